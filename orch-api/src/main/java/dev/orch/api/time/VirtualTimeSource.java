package dev.orch.api.time;

import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.PriorityQueue;

/**
 * Virtual time for tests: the clock stands still until {@link #advance(Duration)} moves it, and due tasks
 * run on the thread that advances it, in order of due time, then of scheduling. So a test is as
 * deterministic as its own code.
 *
 * <p>Thread-safe: any thread may schedule; tasks run one at a time, on the advancing thread. Unlike the
 * system source, a task that throws stops the advance and its exception reaches the caller, so that a
 * test sees it; the clock then stands at that task's due time.
 */
public final class VirtualTimeSource implements TimeSource {
  private final PriorityQueue<Entry> queue = new PriorityQueue<>();
  private final Object runLock = new Object();
  private long nowNanos;
  private long sequence;
  private final Instant epoch;

  /** A virtual clock starting at 2030-01-01T00:00:00Z. */
  public VirtualTimeSource() {
    this(Instant.parse("2030-01-01T00:00:00Z"));
  }

  /** A virtual clock starting at {@code start}. */
  public VirtualTimeSource(Instant start) {
    this.epoch = Objects.requireNonNull(start, "start");
  }

  @Override
  public synchronized Instant now() {
    return epoch.plusNanos(nowNanos);
  }

  @Override
  public synchronized long nanoTime() {
    return nowNanos;
  }

  /** Time elapsed since the clock started. */
  public synchronized Duration elapsed() {
    return Duration.ofNanos(nowNanos);
  }

  @Override
  public synchronized ScheduledTask schedule(Duration delay, Runnable task) {
    Objects.requireNonNull(delay, "delay");
    Objects.requireNonNull(task, "task");
    long due = nowNanos + Math.max(0, delay.toNanos());
    Entry e = new Entry(due, sequence++, task);
    queue.add(e);
    return e;
  }

  /** How many tasks wait to run, cancelled ones excluded. */
  public synchronized int pendingTasks() {
    int n = 0;
    for (Entry e : queue) {
      if (!e.cancelled) {
        n++;
      }
    }
    return n;
  }

  /** Runs every task that is due now, including those that due tasks schedule for now. */
  public void runDue() {
    advance(Duration.ZERO);
  }

  /**
   * Moves the clock forward by {@code step}, running each task when the clock reaches its due time.
   *
   * @throws IllegalArgumentException if {@code step} is negative
   */
  public void advance(Duration step) {
    Objects.requireNonNull(step, "step");
    if (step.isNegative()) {
      throw new IllegalArgumentException("step: " + step + ": must be >= 0");
    }
    synchronized (runLock) {
      long target;
      synchronized (this) {
        target = nowNanos + step.toNanos();
      }
      while (true) {
        Entry next;
        synchronized (this) {
          next = queue.peek();
          if (next == null || next.due > target) {
            nowNanos = target;
            return;
          }
          queue.poll();
          nowNanos = Math.max(nowNanos, next.due);
        }
        if (!next.cancelled) {
          next.ran = true;
          next.task.run();
        }
      }
    }
  }

  /** Nothing to stop: virtual time has no thread. Pending tasks are dropped. */
  @Override
  public synchronized void close() {
    queue.clear();
  }

  private static final class Entry implements Comparable<Entry>, ScheduledTask {
    final long due;
    final long seq;
    final Runnable task;
    volatile boolean cancelled;
    volatile boolean ran;

    Entry(long due, long seq, Runnable task) {
      this.due = due;
      this.seq = seq;
      this.task = task;
    }

    @Override
    public int compareTo(Entry o) {
      int c = Long.compare(due, o.due);
      return c != 0 ? c : Long.compare(seq, o.seq);
    }

    @Override
    public void cancel() {
      if (!ran) {
        cancelled = true;
      }
    }

    @Override
    public boolean isCancelled() {
      return cancelled;
    }
  }
}
