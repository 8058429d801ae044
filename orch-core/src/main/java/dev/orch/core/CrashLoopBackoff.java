package dev.orch.core;

import dev.orch.core.util.Durations;
import dev.orch.core.util.ExponentialBackoff;
import java.time.Duration;
import java.util.Objects;

/**
 * kubelet's restart backoff: the n-th restart in a row waits {@code initial * 2^(n-1)}, at most
 * {@code max}; a container that ran for {@code resetAfter} starts again from {@code initial}.
 * Defaults: 10 s doubling to 5 min, reset after 10 min running. Immutable and thread-safe.
 *
 * @param initial    the wait before the first restart
 * @param max        the longest wait
 * @param resetAfter a run this long forgets earlier crashes
 */
public record CrashLoopBackoff(Duration initial, Duration max, Duration resetAfter) {
  /** 10 s doubling to 5 min, reset after 10 min running. */
  public static final CrashLoopBackoff DEFAULT =
      new CrashLoopBackoff(Duration.ofSeconds(10), Duration.ofMinutes(5), Duration.ofMinutes(10));

  /** Creates a backoff; refuses non-positive durations and a max below the initial wait. */
  public CrashLoopBackoff {
    Objects.requireNonNull(initial, "initial");
    Objects.requireNonNull(max, "max");
    Objects.requireNonNull(resetAfter, "resetAfter");
    Durations.requirePositive("crashLoopBackoff.initial", initial);
    if (max.compareTo(initial) < 0) {
      throw new IllegalArgumentException("crashLoopBackoff.max: " + max + ": must be >= initial (" + initial + ")");
    }
    Durations.requirePositive("crashLoopBackoff.resetAfter", resetAfter);
  }

  /** The wait before restart number {@code n} in a row (1-based). */
  public Duration delay(int n) {
    return new ExponentialBackoff(initial, max).delay(n);
  }
}
