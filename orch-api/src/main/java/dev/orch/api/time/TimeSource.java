package dev.orch.api.time;

import java.time.Duration;
import java.time.Instant;

/**
 * The one source of time and timers for everything Orch runs: the in-memory runtime's simulated
 * containers, the reconciler's backoff and resync, the prober's periods.
 *
 * <p>Production uses {@link #system()}; tests use a {@link VirtualTimeSource}, which moves only when the
 * test advances it, so a run with a given seed repeats exactly. Implementations are thread-safe.
 * Tasks scheduled for the same instant run in the order they were scheduled.
 */
public interface TimeSource extends AutoCloseable {

  /** The current wall-clock instant of this source. */
  Instant now();

  /** A monotonic reading in nanoseconds, for measuring elapsed time; its origin is arbitrary. */
  long nanoTime();

  /**
   * Runs {@code task} once after {@code delay}. A zero or negative delay runs it as soon as possible,
   * never on the calling thread. A task that throws is logged by the source and does not stop others.
   *
   * @return a handle that cancels the task
   */
  ScheduledTask schedule(Duration delay, Runnable task);

  /** Stops the source's timer thread, if it has one; tasks not yet run are dropped. Idempotent. */
  @Override
  void close();

  /**
   * A time source on the system clock with one daemon timer thread named {@code orch-timer}, stopped
   * by {@link #close()}.
   */
  static TimeSource system() {
    return new SystemTimeSource("orch-timer");
  }
}
