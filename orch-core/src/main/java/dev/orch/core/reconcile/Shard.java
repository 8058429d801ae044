package dev.orch.core.reconcile;

import dev.orch.api.time.TimeSource;
import org.jctools.queues.MpscUnboundedArrayQueue;
import org.jspecify.annotations.Nullable;

/**
 * One shard of an {@link MpscWorkQueue}: a JCTools MPSC queue of keys and the one consumer that drains
 * it, either a {@link ShardThread} or a {@link ShardDrainTask} on the time source. Thread-safe: any
 * thread may {@link #offer}; only the consumer polls the queue and calls {@link #requeue}.
 */
final class Shard {
  final MpscUnboundedArrayQueue<WorkItem> queue = new MpscUnboundedArrayQueue<>(256);
  // Exactly one is set; both are final classes, so the JIT inlines the wake-up on the enqueue path.
  private final @Nullable ShardThread thread;
  private final @Nullable ShardDrainTask drainTask;

  private Shard(@Nullable String threadName, @Nullable TimeSource time, RetryingHandler runner) {
    if (threadName != null) {
      this.thread = new ShardThread(threadName, queue, runner);
      this.drainTask = null;
    } else {
      this.thread = null;
      this.drainTask = new ShardDrainTask(time, queue, runner);
    }
  }

  /** A shard drained by its own daemon thread {@code threadName}, once {@link #start()}ed. */
  static Shard drainedByThread(String threadName, RetryingHandler runner) {
    return new Shard(threadName, null, runner);
  }

  /** A shard drained by tasks on {@code time}, so virtual time runs its keys on the advancing thread. */
  static Shard drainedByTimeSource(TimeSource time, RetryingHandler runner) {
    return new Shard(null, time, runner);
  }

  /** Queues {@code item} and wakes the consumer; the caller has marked it queued. */
  void offer(WorkItem item) {
    queue.offer(item);
    if (thread != null) {
      thread.wake();
    } else {
      drainTask.schedule();
    }
  }

  /** Queues {@code item} at the back without a wake-up; only the consumer, which is awake, calls it. */
  void requeue(WorkItem item) {
    queue.offer(item);
  }

  /** Keys queued and not yet taken by the consumer. */
  int size() {
    return queue.size();
  }

  /** Starts the consumer thread, if this shard has one. */
  void start() {
    if (thread != null) {
      thread.start();
    }
  }

  /** Stops the consumer after the key it is handling; keys still queued are dropped. */
  void stop() {
    if (thread != null) {
      thread.stop();
    } else {
      drainTask.stop();
    }
  }

  /** Waits (a bounded while) for the consumer thread to finish; not from the consumer itself. */
  void join() {
    if (thread != null) {
      thread.join();
    }
  }
}
