package dev.orch.core.reconcile;

import dev.orch.api.time.ScheduledTask;
import dev.orch.api.time.TimeSource;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The delaying part of an {@link MpscWorkQueue} (client-go's delaying queue): enqueues a key after a
 * delay on the time source, with at most one timer per key, at its earliest deadline. Thread-safe: any
 * thread may call {@link #enqueueAfter}; a key's timer is guarded by its {@link WorkItem}'s monitor.
 */
final class EnqueueTimers {
  private final TimeSource time;
  private final Set<ScheduledTask> timers = ConcurrentHashMap.newKeySet();
  private volatile boolean closed;

  EnqueueTimers(TimeSource time) {
    this.time = time;
  }

  /**
   * Enqueues {@code item} after {@code delay} (at once if not positive). An item keeps only its earliest
   * timer: a later request for a later time is already served by the earlier one. Ignored once closed.
   */
  void enqueueAfter(WorkItem item, Duration delay) {
    if (closed) {
      return;
    }
    if (delay.isZero() || delay.isNegative()) {
      item.enqueue();
      return;
    }
    long due = time.nanoTime() + delay.toNanos();
    synchronized (item) {
      if (item.timer != null && item.timerDue <= due) {
        return;
      }
      if (item.timer != null) {
        item.timer.cancel();
        timers.remove(item.timer);
      }
      ScheduledTask[] holder = new ScheduledTask[1];
      holder[0] = time.schedule(delay, () -> {
        synchronized (item) {
          if (item.timer == holder[0]) {
            item.timer = null;
          }
        }
        timers.remove(holder[0]);
        item.enqueue();
      });
      item.timer = holder[0];
      item.timerDue = due;
      timers.add(holder[0]);
    }
  }

  /** Cancels every pending timer and refuses new ones. */
  void close() {
    closed = true;
    for (ScheduledTask t : new ArrayList<>(timers)) {
      t.cancel();
    }
  }
}
