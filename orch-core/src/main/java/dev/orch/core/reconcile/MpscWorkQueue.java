package dev.orch.core.reconcile;

import dev.orch.api.time.TimeSource;
import dev.orch.core.util.Durations;
import dev.orch.core.util.ExponentialBackoff;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import org.jspecify.annotations.Nullable;

/**
 * A keyed work queue in the style of client-go's workqueue, on JCTools MPSC queues: keys hash onto shards,
 * each drained by one consumer, so a key is never handled twice at once and no lock guards it.
 *
 * <ul>
 *   <li>Dedup: a key enqueued again before its handler runs is handled once; one enqueued while it is
 *       being handled is handled once more afterwards.
 *   <li>Backoff: a handler that throws is retried after a per-key delay that doubles from
 *       {@code baseDelay} to {@code maxDelay}; a success resets it. Other keys are never held behind it.
 *   <li>Delays and resync use the injected {@link TimeSource}, so virtual time drives them in tests.
 * </ul>
 *
 * <p>Two drivers: {@link Driver#THREADS} runs one named daemon worker per shard (production);
 * {@link Driver#TIME_SOURCE} drains every shard in tasks scheduled on the time source, so with a
 * {@code VirtualTimeSource} everything runs on the thread that advances the clock, in a repeatable order.
 *
 * <p>Thread-safe: any thread may enqueue. The handler runs on the shard's consumer.
 */
public final class MpscWorkQueue implements AutoCloseable {
  // One concept a file, as in client-go's workqueue: WorkItem (a key's dedup and backoff state), Shard
  // (an MPSC queue and its one consumer, a ShardThread or a ShardDrainTask), EnqueueTimers (delayed
  // enqueues) and RetryingHandler (the handler and its retries). None of them calls back up here.

  /** How shards are drained. */
  public enum Driver {
    /** One daemon worker thread per shard. */
    THREADS,
    /** Drain tasks scheduled on the time source; deterministic under virtual time. */
    TIME_SOURCE
  }

  private final ConcurrentHashMap<String, WorkItem> items = new ConcurrentHashMap<>();
  private final Shard[] shards;
  private final EnqueueTimers timers;
  private final RetryingHandler runner;
  private volatile boolean closed;

  private MpscWorkQueue(Builder b) {
    this.timers = new EnqueueTimers(b.time);
    this.runner = new RetryingHandler(b.handler, new ExponentialBackoff(b.baseDelay, b.maxDelay), timers);
    this.shards = new Shard[b.shards];
    for (int i = 0; i < shards.length; i++) {
      shards[i] = b.driver == Driver.THREADS ? Shard.drainedByThread(b.threadNamePrefix + "-" + i, runner)
          : Shard.drainedByTimeSource(b.time, runner);
    }
    for (Shard s : shards) {
      s.start();
    }
  }

  /** Starts a builder. */
  public static Builder builder() {
    return new Builder();
  }

  /** Queues {@code key} (dedup: a key already queued is not queued twice). Returns at once. */
  public void enqueue(String key) {
    Objects.requireNonNull(key, "key");
    if (closed) {
      return;
    }
    item(key).enqueue();
  }

  /** A handle that enqueues {@code key} without a map lookup; for hot producers. */
  public Handle handle(String key) {
    Objects.requireNonNull(key, "key");
    WorkItem item = item(key);
    return item::enqueue;
  }

  /**
   * Queues {@code key} after {@code delay}, by the time source. A key keeps at most one such timer, at
   * its earliest deadline: a later request for a later time is already served by the earlier one.
   */
  public void enqueueAfter(String key, Duration delay) {
    Objects.requireNonNull(key, "key");
    Objects.requireNonNull(delay, "delay");
    if (closed) {
      return;
    }
    if (delay.isZero() || delay.isNegative()) {
      enqueue(key);
      return;
    }
    timers.enqueueAfter(item(key), delay);
  }

  private WorkItem item(String key) {
    WorkItem item = items.get(key);
    return item != null ? item
        : items.computeIfAbsent(key, k -> new WorkItem(k, shards[Math.floorMod(k.hashCode(), shards.length)]));
  }

  /** Drops what the queue remembers of {@code key} (its backoff); call when the key is gone for good. */
  public void forget(String key) {
    Objects.requireNonNull(key, "key");
    WorkItem item = items.get(key);
    if (item != null) {
      item.failures = 0;
    }
  }

  /** Keys queued and not yet taken by a consumer, over every shard. */
  public int depth() {
    int n = 0;
    for (Shard s : shards) {
      n += s.size();
    }
    return n;
  }

  /** Keys whose handler has run, successfully or not, since the queue started. */
  public long handledCount() {
    return runner.handledCount();
  }

  /** Handler failures that were retried with backoff since the queue started. */
  public long retryCount() {
    return runner.retryCount();
  }

  /** How many shards (consumers) the queue has. */
  public int shardCount() {
    return shards.length;
  }

  /** The delay before the {@code failures}-th retry: base * 2^(failures-1), capped at max. */
  Duration backoff(int failures) {
    return runner.backoff(failures);
  }

  /** Stops the workers and every pending timer; keys still queued are dropped. Idempotent. */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    timers.close();
    for (Shard s : shards) {
      s.stop();
    }
    for (Shard s : shards) {
      s.join();
    }
  }

  /** Enqueues one key without a lookup; thread-safe. */
  @FunctionalInterface
  public interface Handle {
    /** Queues the handle's key. */
    void enqueue();
  }

  /** Builds an {@link MpscWorkQueue}; not thread-safe. */
  public static final class Builder {
    private int shards = Math.min(8, Runtime.getRuntime().availableProcessors());
    private @Nullable KeyHandler handler;
    private @Nullable TimeSource time;
    private Duration baseDelay = Duration.ofMillis(5);
    private Duration maxDelay = Duration.ofMinutes(5);
    private Driver driver = Driver.THREADS;
    private String threadNamePrefix = "orch-reconcile";

    private Builder() {
    }

    /** Number of shards (consumers); default the number of cores, at most 8. */
    public Builder shards(int shards) {
      this.shards = shards;
      return this;
    }

    /** The handler run for each key (required). */
    public Builder handler(KeyHandler handler) {
      this.handler = Objects.requireNonNull(handler, "handler");
      return this;
    }

    /** The time source for delays (required). */
    public Builder timeSource(TimeSource time) {
      this.time = Objects.requireNonNull(time, "time");
      return this;
    }

    /** Per-key retry backoff: doubles from {@code base} to {@code max} (default 5 ms to 5 min). */
    public Builder backoff(Duration base, Duration max) {
      this.baseDelay = Objects.requireNonNull(base, "base");
      this.maxDelay = Objects.requireNonNull(max, "max");
      return this;
    }

    /** How shards are drained (default {@link Driver#THREADS}). */
    public Builder driver(Driver driver) {
      this.driver = Objects.requireNonNull(driver, "driver");
      return this;
    }

    /** Worker thread names: {@code prefix-0}, {@code prefix-1}, ... (default {@code orch-reconcile}). */
    public Builder threadNamePrefix(String prefix) {
      this.threadNamePrefix = Objects.requireNonNull(prefix, "prefix");
      return this;
    }

    /**
     * Builds and starts the queue.
     *
     * @throws IllegalArgumentException naming each bad setting
     */
    public MpscWorkQueue build() {
      List<String> problems = new ArrayList<>();
      if (shards < 1 || shards > 1024) {
        problems.add("shards: " + shards + ": must be between 1 and 1024");
      }
      if (handler == null) {
        problems.add("handler: null: is required");
      }
      if (time == null) {
        problems.add("timeSource: null: is required");
      }
      if (Durations.requirePositive(problems, "backoff.base", baseDelay)
          && (maxDelay == null || maxDelay.compareTo(baseDelay) < 0)) {
        problems.add("backoff.max: " + maxDelay + ": must be >= backoff.base (" + baseDelay + ")");
      }
      if (driver == null) {
        problems.add("driver: null: is required");
      }
      if (!problems.isEmpty()) {
        throw new IllegalArgumentException("invalid work queue settings: " + String.join("; ", problems));
      }
      return new MpscWorkQueue(this);
    }
  }
}
