package dev.orch.core.reconcile;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;
import org.jctools.queues.MpscUnboundedArrayQueue;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@link MpscWorkQueue.Driver#THREADS} consumer of one shard: a named daemon thread that handles
 * the shard's keys one at a time, and when the queue is empty spins, then yields, then parks until an
 * enqueue wakes it. Thread-safe: any thread may {@link #wake}; {@link #start}, {@link #stop} and
 * {@link #join} belong to the queue's owner.
 */
final class ShardThread implements Runnable {
  // The queue's logger, so that the names users configure for its logs still apply.
  private static final Logger LOG = LoggerFactory.getLogger(MpscWorkQueue.class);

  private static final int SPINS = 200;
  private static final int YIELDS = 20;

  private final MpscUnboundedArrayQueue<WorkItem> queue;
  private final RetryingHandler runner;
  private final Thread thread;
  private final AtomicBoolean sleeping = new AtomicBoolean();
  private volatile boolean stopped;

  ShardThread(String name, MpscUnboundedArrayQueue<WorkItem> queue, RetryingHandler runner) {
    this.queue = queue;
    this.runner = runner;
    this.thread = new Thread(this, name);
    thread.setDaemon(true);
  }

  void start() {
    thread.start();
  }

  /** Unparks the thread if it sleeps; call after offering to its queue. */
  void wake() {
    if (sleeping.get() && sleeping.compareAndSet(true, false)) {
      LockSupport.unpark(thread);
    }
  }

  @Override
  public void run() {
    int idle = 0;
    while (!stopped) {
      WorkItem item = queue.relaxedPoll();
      if (item == null) {
        // Spin, then yield, before parking: an unpark per enqueue would cost producers a syscall each.
        if (idle < SPINS) {
          idle++;
          Thread.onSpinWait();
          continue;
        }
        if (idle < SPINS + YIELDS) {
          idle++;
          Thread.yield();
          continue;
        }
        idle = 0;
        sleeping.set(true);
        if (!queue.isEmpty() || stopped) {
          sleeping.set(false);
          continue;
        }
        LockSupport.park(this);
        sleeping.set(false);
        continue;
      }
      idle = 0;
      try {
        runner.run(item);
      } catch (Throwable t) {
        LOG.error("{}: handler failed fatally; the key is dropped", item.key, t);
        item.drop();
      }
    }
  }

  /** Makes the thread exit after the key it is handling. */
  void stop() {
    stopped = true;
    LockSupport.unpark(thread);
  }

  /** Waits (a bounded while) for the thread to finish the key it is handling; not from the thread itself. */
  void join() {
    if (thread != Thread.currentThread()) {
      try {
        thread.join(TimeUnit.SECONDS.toMillis(10));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }
}
