package dev.orch.core.reconcile;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.orch.api.time.TimeSource;
import dev.orch.api.time.VirtualTimeSource;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class MpscWorkQueueTest {

  @Test
  void aKeyQueuedManyTimesBeforeItRunsRunsOnce() {
    VirtualTimeSource time = new VirtualTimeSource();
    List<String> runs = new ArrayList<>();
    try (MpscWorkQueue q = MpscWorkQueue.builder().timeSource(time).driver(MpscWorkQueue.Driver.TIME_SOURCE)
        .shards(2).handler(k -> {
          runs.add(k);
          return ReconcileResult.done();
        }).build()) {
      for (int i = 0; i < 100; i++) {
        q.enqueue("a");
        q.enqueue("b");
      }
      assertEquals(2, q.depth());
      time.runDue();
      assertEquals(List.of("a", "b"), runs.stream().sorted().toList());
      assertEquals(0, q.depth());
    }
  }

  @Test
  void aKeyQueuedWhileItRunsRunsOnceMoreAfterwards() {
    VirtualTimeSource time = new VirtualTimeSource();
    AtomicInteger runs = new AtomicInteger();
    MpscWorkQueue[] self = new MpscWorkQueue[1];
    try (MpscWorkQueue q = MpscWorkQueue.builder().timeSource(time).driver(MpscWorkQueue.Driver.TIME_SOURCE)
        .handler(k -> {
          if (runs.incrementAndGet() == 1) {
            self[0].enqueue(k);
            self[0].enqueue(k);
          }
          return ReconcileResult.done();
        }).build()) {
      self[0] = q;
      q.enqueue("a");
      time.runDue();
      assertEquals(2, runs.get());
    }
  }

  @Test
  void aFailingKeyBacksOffExponentiallyAndSuccessResetsIt() {
    VirtualTimeSource time = new VirtualTimeSource();
    List<Duration> attempts = new ArrayList<>();
    AtomicInteger failuresLeft = new AtomicInteger(5);
    try (MpscWorkQueue q = MpscWorkQueue.builder().timeSource(time).driver(MpscWorkQueue.Driver.TIME_SOURCE)
        .backoff(Duration.ofMillis(5), Duration.ofMillis(40)).handler(k -> {
          attempts.add(time.elapsed());
          if (failuresLeft.getAndDecrement() > 0) {
            throw new IllegalStateException("runtime down");
          }
          return ReconcileResult.done();
        }).build()) {
      q.enqueue("a");
      time.advance(Duration.ofSeconds(1));
      // 0, +5, +10, +20, +40, +40 (capped), then success.
      assertEquals(List.of(0L, 5L, 15L, 35L, 75L, 115L), attempts.stream().map(Duration::toMillis).toList());
      assertEquals(5, q.retryCount());
      assertEquals(Duration.ofMillis(5), q.backoff(1));
      assertEquals(Duration.ofMillis(40), q.backoff(60));
    }
  }

  @Test
  void aFailingKeyNeverHoldsOthersBack() {
    VirtualTimeSource time = new VirtualTimeSource();
    Map<String, Integer> runs = new ConcurrentHashMap<>();
    try (MpscWorkQueue q = MpscWorkQueue.builder().timeSource(time).driver(MpscWorkQueue.Driver.TIME_SOURCE)
        .shards(1).handler(k -> {
          runs.merge(k, 1, Integer::sum);
          if (k.equals("bad")) {
            throw new IllegalStateException("always fails");
          }
          return ReconcileResult.done();
        }).build()) {
      q.enqueue("bad");
      time.runDue();
      for (int i = 0; i < 10; i++) {
        q.enqueue("good-" + i);
      }
      time.runDue();
      for (int i = 0; i < 10; i++) {
        assertEquals(1, runs.get("good-" + i));
      }
      assertEquals(1, runs.get("bad"));
    }
  }

  @Test
  void requeueAfterRunsTheKeyAgainByTheTimeSource() {
    VirtualTimeSource time = new VirtualTimeSource();
    AtomicInteger runs = new AtomicInteger();
    try (MpscWorkQueue q = MpscWorkQueue.builder().timeSource(time).driver(MpscWorkQueue.Driver.TIME_SOURCE)
        .handler(k -> {
          runs.incrementAndGet();
          return ReconcileResult.requeueAfter(Duration.ofSeconds(30));
        }).build()) {
      q.enqueue("a");
      time.runDue();
      assertEquals(1, runs.get());
      time.advance(Duration.ofSeconds(29));
      assertEquals(1, runs.get());
      time.advance(Duration.ofSeconds(1));
      assertEquals(2, runs.get());
      time.advance(Duration.ofSeconds(90));
      assertEquals(5, runs.get());
    }
  }

  @Test
  void threadedShardsNeverRunOneKeyTwiceAtOnce() throws Exception {
    Map<String, AtomicInteger> active = new ConcurrentHashMap<>();
    Map<String, AtomicInteger> runs = new ConcurrentHashMap<>();
    AtomicInteger overlaps = new AtomicInteger();
    AtomicInteger handled = new AtomicInteger();
    try (TimeSource time = TimeSource.system();
         MpscWorkQueue q = MpscWorkQueue.builder().timeSource(time).shards(4).handler(k -> {
           if (active.computeIfAbsent(k, x -> new AtomicInteger()).incrementAndGet() > 1) {
             overlaps.incrementAndGet();
           }
           Thread.onSpinWait();
           active.get(k).decrementAndGet();
           runs.computeIfAbsent(k, x -> new AtomicInteger()).incrementAndGet();
           handled.incrementAndGet();
           return ReconcileResult.done();
         }).build()) {
      int producers = 4;
      CountDownLatch done = new CountDownLatch(producers);
      for (int p = 0; p < producers; p++) {
        Thread t = new Thread(() -> {
          for (int i = 0; i < 20_000; i++) {
            q.enqueue("key-" + (i % 16));
          }
          done.countDown();
        });
        t.start();
      }
      assertTrue(done.await(30, TimeUnit.SECONDS));
      // No lost wake-up: a key enqueued after the storm runs again, whatever state it was caught in.
      Map<String, Integer> before = new java.util.HashMap<>();
      for (int i = 0; i < 16; i++) {
        String k = "key-" + i;
        before.put(k, runs.getOrDefault(k, new AtomicInteger()).get());
        q.enqueue(k);
      }
      await().atMost(Duration.ofSeconds(30))
          .until(() -> before.entrySet().stream().allMatch(e -> runs.get(e.getKey()).get() > e.getValue()));
      assertEquals(0, overlaps.get());
      assertTrue(handled.get() < 80_000 + 16, "dedup merged some of the 80,000 enqueues: " + handled.get());
    }
  }

  @Test
  void aFailingKeyEnqueuedWhileItRunsWaitsForItsBackoff() {
    VirtualTimeSource time = new VirtualTimeSource();
    List<Duration> attempts = new ArrayList<>();
    MpscWorkQueue[] self = new MpscWorkQueue[1];
    try (MpscWorkQueue q = MpscWorkQueue.builder().timeSource(time).driver(MpscWorkQueue.Driver.TIME_SOURCE)
        .backoff(Duration.ofMillis(100), Duration.ofSeconds(10)).handler(k -> {
          attempts.add(time.elapsed());
          self[0].enqueue(k); // an event arrives while the key is being handled
          throw new IllegalStateException("runtime down");
        }).build()) {
      self[0] = q;
      q.enqueue("a");
      time.advance(Duration.ofMillis(350));
      assertEquals(List.of(0L, 100L, 300L), attempts.stream().map(Duration::toMillis).toList());
    }
  }

  @Test
  void aKeyKeepsOneDelayedTimerAtItsEarliestDeadline() {
    VirtualTimeSource time = new VirtualTimeSource();
    List<Duration> runs = new ArrayList<>();
    try (MpscWorkQueue q = MpscWorkQueue.builder().timeSource(time).driver(MpscWorkQueue.Driver.TIME_SOURCE)
        .handler(k -> {
          runs.add(time.elapsed());
          return ReconcileResult.done();
        }).build()) {
      for (int i = 0; i < 100; i++) {
        q.enqueueAfter("a", Duration.ofSeconds(30));
      }
      q.enqueueAfter("a", Duration.ofSeconds(5));
      q.enqueueAfter("a", Duration.ofSeconds(40));
      time.advance(Duration.ofSeconds(60));
      assertEquals(List.of(Duration.ofSeconds(5)), runs);
      assertEquals(0, time.pendingTasks());
    }
  }

  @Test
  void refusesBadSettingsNamingEach() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> MpscWorkQueue.builder().shards(0).backoff(Duration.ZERO, Duration.ofSeconds(1)).build());
    assertTrue(e.getMessage().contains("shards: 0: must be between 1 and 1024"), e.getMessage());
    assertTrue(e.getMessage().contains("handler: null: is required"), e.getMessage());
    assertTrue(e.getMessage().contains("timeSource: null: is required"), e.getMessage());
    assertTrue(e.getMessage().contains("backoff.base: PT0S: must be > 0"), e.getMessage());
  }

  @Test
  void refusesNullArgumentsNamingThem() {
    assertEquals("handler", assertThrows(NullPointerException.class,
        () -> MpscWorkQueue.builder().handler(null)).getMessage());
    assertEquals("delay", assertThrows(NullPointerException.class,
        () -> ReconcileResult.requeueAfter(null)).getMessage());
  }
}
