package dev.orch.core.lb;

/**
 * A cached monotonic reading that picks may use instead of asking the time source: reports and
 * rebuilds move it forward. Thread-safe (a racy, monotonic-enough cache).
 */
final class ClockCell {
  private static final long RESOLUTION_NANOS = 1_000_000L;

  volatile long nanos;

  /** Stores {@code now} if it is at least a millisecond later, so that concurrent reports rarely write. */
  void advance(long now) {
    if (now - nanos >= RESOLUTION_NANOS) {
      nanos = now;
    }
  }
}
