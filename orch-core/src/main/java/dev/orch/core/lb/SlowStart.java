package dev.orch.core.lb;

import java.time.Duration;
import java.util.Objects;

/**
 * Slow start, as Envoy does it: an endpoint that joins (or turns ready) after the load balancer started
 * gets a share of its weight that grows over {@code window}, as
 * {@code max(minWeightPercent / 100, (elapsed / window) ^ (1 / aggression))}. Immutable and thread-safe.
 *
 * <p>It shapes the weighted pickers (smooth weighted round robin, random, the two-choices pickers);
 * plain round robin, ring hash and Maglev ignore it, as in Envoy.
 *
 * @param window how long the ramp lasts, positive
 * @param aggression the ramp's curve, positive; 1.0 is linear
 * @param minWeightPercent the share of weight at the start, 1..100
 */
public record SlowStart(Duration window, double aggression, int minWeightPercent) {

  /**
   * Validates the fields.
   *
   * @throws IllegalArgumentException naming the field, the value and the rule it breaks
   */
  public SlowStart {
    Objects.requireNonNull(window, "window");
    if (window.isNegative() || window.isZero()) {
      throw new IllegalArgumentException("slowStart.window: " + window + ": must be positive");
    }
    if (!(aggression > 0) || Double.isInfinite(aggression)) {
      throw new IllegalArgumentException("slowStart.aggression: " + aggression + ": must be positive and finite");
    }
    if (minWeightPercent < 1 || minWeightPercent > 100) {
      throw new IllegalArgumentException("slowStart.minWeightPercent: " + minWeightPercent + ": must be in 1..100");
    }
  }

  /** A linear ramp over {@code window} starting at 10% of the weight (Envoy's defaults). */
  public static SlowStart of(Duration window) {
    return new SlowStart(window, 1.0, 10);
  }

  /** The share of its weight an endpoint gets {@code elapsedNanos} after it joined, in (0, 1]. */
  double factor(long elapsedNanos) {
    long w = window.toNanos();
    if (elapsedNanos >= w) {
      return 1.0;
    }
    double t = Math.max(0, elapsedNanos) / (double) w;
    double f = aggression == 1.0 ? t : Math.pow(t, 1.0 / aggression);
    return Math.max(minWeightPercent / 100.0, f);
  }
}
