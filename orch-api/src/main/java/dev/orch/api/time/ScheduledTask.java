package dev.orch.api.time;

/** A task scheduled on a {@link TimeSource}; it may be cancelled until it runs. Thread-safe. */
public interface ScheduledTask {
  /** Cancels the task if it has not run; does nothing otherwise. */
  void cancel();

  /** Whether the task was cancelled before it ran. */
  boolean isCancelled();
}
