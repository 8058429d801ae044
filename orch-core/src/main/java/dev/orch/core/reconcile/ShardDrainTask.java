package dev.orch.core.reconcile;

import dev.orch.api.time.TimeSource;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;
import org.jctools.queues.MpscUnboundedArrayQueue;

/**
 * The {@link MpscWorkQueue.Driver#TIME_SOURCE} consumer of one shard: a task scheduled on the time
 * source whenever keys are queued, which handles a bounded batch and reschedules itself if more remain,
 * so that other tasks interleave. Under a virtual time source every key runs on the thread that advances
 * the clock, in a repeatable order. Thread-safe: any thread may {@link #schedule}; at most one drain is
 * scheduled at a time.
 */
final class ShardDrainTask implements Runnable {
  private final TimeSource time;
  private final MpscUnboundedArrayQueue<WorkItem> queue;
  private final RetryingHandler runner;
  private final AtomicBoolean scheduled = new AtomicBoolean();
  private volatile boolean stopped;

  ShardDrainTask(TimeSource time, MpscUnboundedArrayQueue<WorkItem> queue, RetryingHandler runner) {
    this.time = time;
    this.queue = queue;
    this.runner = runner;
  }

  /** Schedules a drain now unless one is scheduled; call after offering to its queue. */
  void schedule() {
    if (scheduled.compareAndSet(false, true)) {
      time.schedule(Duration.ZERO, this);
    }
  }

  /** Handles what is queued, one key at a time, then yields to other tasks. */
  @Override
  public void run() {
    int budget = Math.max(64, queue.size());
    WorkItem item;
    try {
      while (!stopped && budget-- > 0 && (item = queue.relaxedPoll()) != null) {
        runner.run(item);
      }
    } finally {
      scheduled.set(false);
    }
    if (!stopped && !queue.isEmpty() && scheduled.compareAndSet(false, true)) {
      time.schedule(Duration.ZERO, this);
    }
  }

  /** Makes drains handle nothing more; keys still queued are dropped. */
  void stop() {
    stopped = true;
  }
}
