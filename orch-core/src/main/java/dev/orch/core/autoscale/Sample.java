package dev.orch.core.autoscale;

import java.time.Instant;
import java.util.Objects;

/**
 * One replica's value of a metric, when it was read. Immutable and thread-safe.
 *
 * @param value   the value (requests per second, CPU cores used, bytes, ...)
 * @param request what the replica requests of the same resource, in the same unit, for a utilization target
 *                (0 when the metric has no request)
 * @param at      when it was read; one older than the policy's {@code staleAfter} counts as missing
 */
public record Sample(double value, double request, Instant at) {
  /** Creates a sample. */
  public Sample {
    Objects.requireNonNull(at, "at");
  }

  /** A value with no request. */
  public static Sample of(double value, Instant at) {
    return new Sample(value, 0, at);
  }
}
