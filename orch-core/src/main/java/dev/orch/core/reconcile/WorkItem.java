package dev.orch.core.reconcile;

import dev.orch.api.time.ScheduledTask;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;

/**
 * One key of an {@link MpscWorkQueue} and what the queue remembers of it: whether it is queued or being
 * handled (the dedup state), its failures in a row (the backoff state) and its pending delayed enqueue.
 * The key keeps its item for the queue's life, so its shard never changes.
 *
 * <p>Thread-safety: {@link #enqueue()} may be called from any thread; {@link #startRun()},
 * {@link #finishRun(boolean)}, {@link #drop()} and {@link #failures} belong to the shard's consumer; the
 * timer fields are guarded by this object's monitor ({@link EnqueueTimers} holds it).
 */
final class WorkItem {
  private static final int IDLE = 0;
  private static final int QUEUED = 1;
  private static final int RUNNING = 2;
  private static final int RUNNING_DIRTY = 3;

  final String key;
  final Shard shard;
  private final AtomicInteger state = new AtomicInteger(IDLE);
  int failures; // consumer-only
  @Nullable ScheduledTask timer; // guarded by this
  long timerDue; // guarded by this

  WorkItem(String key, Shard shard) {
    this.key = key;
    this.shard = shard;
  }

  /**
   * Queues the key on its shard unless it is queued already; if it is being handled, marks it to be
   * handled once more afterwards instead.
   */
  void enqueue() {
    while (true) {
      int s = state.get();
      if (s == QUEUED || s == RUNNING_DIRTY) {
        return;
      }
      if (s == IDLE && state.compareAndSet(IDLE, QUEUED)) {
        shard.offer(this);
        return;
      }
      if (s == RUNNING && state.compareAndSet(RUNNING, RUNNING_DIRTY)) {
        return;
      }
    }
  }

  /** Notes that the consumer took the key and is about to handle it. */
  void startRun() {
    state.set(RUNNING);
  }

  /**
   * Notes that the handler returned; if the key was enqueued meanwhile, queues it once more at the back
   * of its shard, unless the handler {@code failed}.
   */
  void finishRun(boolean failed) {
    if (!state.compareAndSet(RUNNING, IDLE)) {
      if (failed) {
        // Its backoff timer brings it back; running it again now would defeat the backoff.
        state.set(IDLE);
      } else {
        state.set(QUEUED);
        shard.requeue(this);
      }
    }
  }

  /** Forgets that the key is queued or running, after its handler failed fatally; later enqueues queue it. */
  void drop() {
    state.set(IDLE);
  }
}
