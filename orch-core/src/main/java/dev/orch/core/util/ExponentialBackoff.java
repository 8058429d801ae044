package dev.orch.core.util;

import java.time.Duration;
import java.util.Objects;

/**
 * A delay that doubles with each attempt in a row, from {@code initial} up to {@code max}: attempt 1 waits
 * {@code initial}, attempt n waits {@code initial * 2^(n-1)}, never more than {@code max}. Immutable.
 *
 * @param initial the first delay; positive
 * @param max     the longest delay; at least {@code initial}
 */
public record ExponentialBackoff(Duration initial, Duration max) {
  /** Creates a backoff; both delays are required. */
  public ExponentialBackoff {
    Objects.requireNonNull(initial, "initial");
    Objects.requireNonNull(max, "max");
  }
  /** The delay before attempt {@code n} (1-based; below 1 counts as 1). */
  public Duration delay(int n) {
    long base = initial.toNanos();
    long cap = max.toNanos();
    int shift = Math.min(Math.max(n, 1) - 1, 62);
    long nanos = base <= (cap >> shift) ? base << shift : cap;
    return Duration.ofNanos(Math.min(nanos, cap));
  }
}
