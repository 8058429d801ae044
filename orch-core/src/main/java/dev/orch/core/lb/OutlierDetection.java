package dev.orch.core.lb;

import java.time.Duration;
import java.util.Objects;

/**
 * Passive outlier ejection, as Envoy does it: after {@code consecutiveFailures} failed calls in a row an
 * endpoint is ejected for {@code baseEjectionTime} times the number of times it has been ejected, at
 * most {@code maxEjectionTime}; never more than {@code maxEjectionPercent} of the service's members are
 * ejected at once (at least one may always be). The ejection count falls by one for each
 * {@code interval} an endpoint spends back in service. Immutable and thread-safe.
 *
 * @param enabled whether endpoints are ejected at all
 * @param consecutiveFailures failures in a row that eject, {@code >= 1}
 * @param baseEjectionTime ejection time per ejection so far, positive
 * @param maxEjectionTime the longest ejection, {@code >= baseEjectionTime}
 * @param maxEjectionPercent the largest share of members ejected at once, 0..100 (rounded down, but
 *     at least one); 0 ejects none
 * @param interval time back in service that forgives one past ejection, positive
 */
public record OutlierDetection(boolean enabled, int consecutiveFailures, Duration baseEjectionTime,
    Duration maxEjectionTime, int maxEjectionPercent, Duration interval) {

  /**
   * Validates the fields.
   *
   * @throws IllegalArgumentException naming the field, the value and the rule it breaks
   */
  public OutlierDetection {
    Objects.requireNonNull(baseEjectionTime, "baseEjectionTime");
    Objects.requireNonNull(maxEjectionTime, "maxEjectionTime");
    Objects.requireNonNull(interval, "interval");
    if (consecutiveFailures < 1) {
      throw new IllegalArgumentException(
          "outlierDetection.consecutiveFailures: " + consecutiveFailures + ": must be >= 1");
    }
    if (baseEjectionTime.isNegative() || baseEjectionTime.isZero()) {
      throw new IllegalArgumentException(
          "outlierDetection.baseEjectionTime: " + baseEjectionTime + ": must be positive");
    }
    if (maxEjectionTime.compareTo(baseEjectionTime) < 0) {
      throw new IllegalArgumentException("outlierDetection.maxEjectionTime: " + maxEjectionTime
          + ": must be >= baseEjectionTime " + baseEjectionTime);
    }
    if (maxEjectionPercent < 0 || maxEjectionPercent > 100) {
      throw new IllegalArgumentException(
          "outlierDetection.maxEjectionPercent: " + maxEjectionPercent + ": must be in 0..100");
    }
    if (interval.isNegative() || interval.isZero()) {
      throw new IllegalArgumentException("outlierDetection.interval: " + interval + ": must be positive");
    }
  }

  /**
   * Envoy's defaults: eject after 5 consecutive failures, for 30 s times the number of ejections, at
   * most 300 s, never more than 10% of the members (at least one); one ejection forgiven per 10 s.
   */
  public static OutlierDetection defaults() {
    return new OutlierDetection(true, 5, Duration.ofSeconds(30), Duration.ofSeconds(300), 10,
        Duration.ofSeconds(10));
  }

  /** No ejection. */
  public static OutlierDetection disabled() {
    OutlierDetection d = defaults();
    return new OutlierDetection(false, d.consecutiveFailures, d.baseEjectionTime, d.maxEjectionTime,
        d.maxEjectionPercent, d.interval);
  }

  /** These settings, ejecting after {@code n} consecutive failures. */
  public OutlierDetection withConsecutiveFailures(int n) {
    return new OutlierDetection(enabled, n, baseEjectionTime, maxEjectionTime, maxEjectionPercent, interval);
  }

  /** These settings with the given base and maximum ejection times. */
  public OutlierDetection withEjectionTime(Duration base, Duration max) {
    Objects.requireNonNull(base, "base");
    Objects.requireNonNull(max, "max");
    return new OutlierDetection(enabled, consecutiveFailures, base, max, maxEjectionPercent, interval);
  }

  /** These settings, ejecting at most {@code percent} of the members at once (at least one). */
  public OutlierDetection withMaxEjectionPercent(int percent) {
    return new OutlierDetection(enabled, consecutiveFailures, baseEjectionTime, maxEjectionTime, percent,
        interval);
  }

  /** These settings, forgiving one past ejection per {@code interval} back in service. */
  public OutlierDetection withInterval(Duration interval) {
    return new OutlierDetection(enabled, consecutiveFailures, baseEjectionTime, maxEjectionTime,
        maxEjectionPercent, interval);
  }

  /** How many of {@code members} may be ejected at once: the percentage, rounded down, at least one. */
  int maxEjected(int members) {
    return Math.max(1, members * maxEjectionPercent / 100);
  }
}
