package dev.orch.core.reconcile;

import dev.orch.core.util.ExponentialBackoff;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs an {@link MpscWorkQueue}'s {@link KeyHandler} for one key and schedules what comes next (the
 * queue's rate-limiting part): a retry after a per-key exponential backoff when the handler throws, a
 * pass after the delay the handler asked for, or one more run if the key was enqueued meanwhile.
 * Thread-safe: each shard's consumer calls {@link #run} for its own keys; the counters are atomic.
 */
final class RetryingHandler {
  // The queue's logger, so that the names users configure for its logs still apply.
  private static final Logger LOG = LoggerFactory.getLogger(MpscWorkQueue.class);

  private final KeyHandler handler;
  private final ExponentialBackoff backoff;
  private final EnqueueTimers timers;
  private final AtomicLong handled = new AtomicLong();
  private final AtomicLong retries = new AtomicLong();

  RetryingHandler(KeyHandler handler, ExponentialBackoff backoff, EnqueueTimers timers) {
    this.handler = handler;
    this.backoff = backoff;
    this.timers = timers;
  }

  /**
   * Handles {@code item}'s key; call only from the consumer of the item's shard. An {@link Error} other
   * than an {@link AssertionError} propagates, the item still marked running.
   */
  void run(WorkItem item) {
    item.startRun();
    ReconcileResult result = null;
    boolean failed = false;
    try {
      result = handler.handle(item.key);
    } catch (Exception | Error e) {
      if (e instanceof Error err && !(e instanceof AssertionError)) {
        throw err;
      }
      failed = true;
      int failures = ++item.failures;
      Duration delay = backoff(failures);
      retries.incrementAndGet();
      LOG.debug("{}: reconcile failed (attempt {}), retrying in {}", item.key, failures, delay, e);
      timers.enqueueAfter(item, delay);
    } finally {
      handled.incrementAndGet();
    }
    if (result != null) {
      item.failures = 0;
      if (!result.requeueAfter().isZero()) {
        timers.enqueueAfter(item, result.requeueAfter());
      }
    }
    item.finishRun(failed);
  }

  /** The delay before the {@code failures}-th retry: base * 2^(failures-1), capped at max. */
  Duration backoff(int failures) {
    return backoff.delay(failures);
  }

  /** Keys whose handler has run, successfully or not. */
  long handledCount() {
    return handled.get();
  }

  /** Handler failures that were retried with backoff. */
  long retryCount() {
    return retries.get();
  }
}
