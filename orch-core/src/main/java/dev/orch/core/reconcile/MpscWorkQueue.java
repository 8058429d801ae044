package dev.orch.core.reconcile;

import dev.orch.api.time.ScheduledTask;
import dev.orch.api.time.TimeSource;
import dev.orch.core.util.Durations;
import dev.orch.core.util.ExponentialBackoff;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.jctools.queues.MpscUnboundedArrayQueue;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

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
  private static final Logger LOG = LoggerFactory.getLogger(MpscWorkQueue.class);

  /** How shards are drained. */
  public enum Driver {
    /** One daemon worker thread per shard. */
    THREADS,
    /** Drain tasks scheduled on the time source; deterministic under virtual time. */
    TIME_SOURCE
  }

  private static final int SPINS = 200;
  private static final int YIELDS = 20;

  private static final int IDLE = 0;
  private static final int QUEUED = 1;
  private static final int RUNNING = 2;
  private static final int RUNNING_DIRTY = 3;

  private final ConcurrentHashMap<String, Item> items = new ConcurrentHashMap<>();
  private final Shard[] shards;
  private final KeyHandler handler;
  private final TimeSource time;
  private final ExponentialBackoff backoff;
  private final Driver driver;
  private final AtomicLong handled = new AtomicLong();
  private final AtomicLong retries = new AtomicLong();
  private final Set<ScheduledTask> timers = ConcurrentHashMap.newKeySet();
  private volatile boolean closed;

  private MpscWorkQueue(Builder b) {
    this.handler = b.handler;
    this.time = b.time;
    this.backoff = new ExponentialBackoff(b.baseDelay, b.maxDelay);
    this.driver = b.driver;
    this.shards = new Shard[b.shards];
    for (int i = 0; i < shards.length; i++) {
      shards[i] = new Shard(i, b.threadNamePrefix + "-" + i);
    }
    if (driver == Driver.THREADS) {
      for (Shard s : shards) {
        s.thread.start();
      }
    }
  }

  /** Starts a builder. */
  public static Builder builder() {
    return new Builder();
  }

  /** Queues {@code key} (dedup: a key already queued is not queued twice). Returns at once. */
  public void enqueue(String key) {
    if (closed) {
      return;
    }
    enqueue(item(key));
  }

  /** A handle that enqueues {@code key} without a map lookup; for hot producers. */
  public Handle handle(String key) {
    Objects.requireNonNull(key, "key");
    Item item = item(key);
    return () -> enqueue(item);
  }

  /**
   * Queues {@code key} after {@code delay}, by the time source. A key keeps at most one such timer, at
   * its earliest deadline: a later request for a later time is already served by the earlier one.
   */
  public void enqueueAfter(String key, Duration delay) {
    if (closed) {
      return;
    }
    if (delay.isZero() || delay.isNegative()) {
      enqueue(key);
      return;
    }
    Item item = item(key);
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
        enqueue(item);
      });
      item.timer = holder[0];
      item.timerDue = due;
      timers.add(holder[0]);
    }
  }

  private Item item(String key) {
    Item item = items.get(key);
    return item != null ? item
        : items.computeIfAbsent(key, k -> new Item(k, shards[Math.floorMod(k.hashCode(), shards.length)]));
  }

  /** Drops what the queue remembers of {@code key} (its backoff); call when the key is gone for good. */
  public void forget(String key) {
    Item item = items.get(key);
    if (item != null) {
      item.failures = 0;
    }
  }

  /** Keys queued and not yet taken by a consumer, over every shard. */
  public int depth() {
    int n = 0;
    for (Shard s : shards) {
      n += s.queue.size();
    }
    return n;
  }

  /** Keys whose handler has run, successfully or not, since the queue started. */
  public long handledCount() {
    return handled.get();
  }

  /** Handler failures that were retried with backoff since the queue started. */
  public long retryCount() {
    return retries.get();
  }

  /** How many shards (consumers) the queue has. */
  public int shardCount() {
    return shards.length;
  }

  /** The delay before the {@code failures}-th retry: base * 2^(failures-1), capped at max. */
  Duration backoff(int failures) {
    return backoff.delay(failures);
  }

  private void enqueue(Item item) {
    while (true) {
      int s = item.state.get();
      if (s == QUEUED || s == RUNNING_DIRTY) {
        return;
      }
      if (s == IDLE && item.state.compareAndSet(IDLE, QUEUED)) {
        item.shard.offer(item);
        return;
      }
      if (s == RUNNING && item.state.compareAndSet(RUNNING, RUNNING_DIRTY)) {
        return;
      }
    }
  }

  private void process(Item item) {
    item.state.set(RUNNING);
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
      enqueueAfter(item.key, delay);
    } finally {
      handled.incrementAndGet();
    }
    if (result != null) {
      item.failures = 0;
      if (!result.requeueAfter().isZero()) {
        enqueueAfter(item.key, result.requeueAfter());
      }
    }
    if (!item.state.compareAndSet(RUNNING, IDLE)) {
      if (failed) {
        // Its backoff timer brings it back; running it again now would defeat the backoff.
        item.state.set(IDLE);
      } else {
        // Enqueued while running: run once more, at the back of the queue.
        item.state.set(QUEUED);
        item.shard.queue.offer(item);
      }
    }
  }

  /** Stops the workers and every pending timer; keys still queued are dropped. Idempotent. */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    for (ScheduledTask t : new ArrayList<>(timers)) {
      t.cancel();
    }
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

  private static final class Item {
    final String key;
    final Shard shard;
    final AtomicInteger state = new AtomicInteger(IDLE);
    int failures; // consumer-only
    ScheduledTask timer; // guarded by this
    long timerDue; // guarded by this

    Item(String key, Shard shard) {
      this.key = key;
      this.shard = shard;
    }
  }

  private final class Shard implements Runnable {
    final MpscUnboundedArrayQueue<Item> queue = new MpscUnboundedArrayQueue<>(256);
    final AtomicBoolean sleeping = new AtomicBoolean();
    final AtomicBoolean drainScheduled = new AtomicBoolean();
    final Thread thread;

    Shard(int index, String name) {
      if (driver == Driver.THREADS) {
        thread = new Thread(this, name);
        thread.setDaemon(true);
      } else {
        thread = null;
      }
    }

    void offer(Item item) {
      queue.offer(item);
      if (driver == Driver.THREADS) {
        if (sleeping.get() && sleeping.compareAndSet(true, false)) {
          LockSupport.unpark(thread);
        }
      } else if (drainScheduled.compareAndSet(false, true)) {
        time.schedule(Duration.ZERO, this::drain);
      }
    }

    /** The TIME_SOURCE driver: handle what is queued, one key at a time, then yield to other tasks. */
    void drain() {
      int budget = Math.max(64, queue.size());
      Item item;
      try {
        while (!closed && budget-- > 0 && (item = queue.relaxedPoll()) != null) {
          process(item);
        }
      } finally {
        drainScheduled.set(false);
      }
      if (!closed && !queue.isEmpty() && drainScheduled.compareAndSet(false, true)) {
        time.schedule(Duration.ZERO, this::drain);
      }
    }

    @Override
    public void run() {
      int idle = 0;
      while (!closed) {
        Item item = queue.relaxedPoll();
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
          if (!queue.isEmpty() || closed) {
            sleeping.set(false);
            continue;
          }
          LockSupport.park(this);
          sleeping.set(false);
          continue;
        }
        idle = 0;
        try {
          process(item);
        } catch (Throwable t) {
          LOG.error("{}: handler failed fatally; the key is dropped", item.key, t);
          item.state.set(IDLE);
        }
      }
    }

    void stop() {
      if (thread != null) {
        LockSupport.unpark(thread);
      }
    }

    /** Waits (a bounded while) for the worker to finish the key it is handling; not from the worker itself. */
    void join() {
      if (thread != null && thread != Thread.currentThread()) {
        try {
          thread.join(TimeUnit.SECONDS.toMillis(10));
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
    }
  }

  /** Builds an {@link MpscWorkQueue}; not thread-safe. */
  public static final class Builder {
    private int shards = Math.min(8, Runtime.getRuntime().availableProcessors());
    private KeyHandler handler;
    private TimeSource time;
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
      this.handler = handler;
      return this;
    }

    /** The time source for delays (required). */
    public Builder timeSource(TimeSource time) {
      this.time = time;
      return this;
    }

    /** Per-key retry backoff: doubles from {@code base} to {@code max} (default 5 ms to 5 min). */
    public Builder backoff(Duration base, Duration max) {
      this.baseDelay = base;
      this.maxDelay = max;
      return this;
    }

    /** How shards are drained (default {@link Driver#THREADS}). */
    public Builder driver(Driver driver) {
      this.driver = driver;
      return this;
    }

    /** Worker thread names: {@code prefix-0}, {@code prefix-1}, ... (default {@code orch-reconcile}). */
    public Builder threadNamePrefix(String prefix) {
      this.threadNamePrefix = prefix;
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
