package dev.orch.core.rollout;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.orch.api.runtime.OrchLabels;
import dev.orch.api.spec.Analysis;
import dev.orch.core.lb.Endpoint;
import dev.orch.core.lb.OutcomeListener;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

class RevisionTrafficTest {
  private final RevisionTraffic traffic = new RevisionTraffic();

  private static void assertNear(Duration expected, Duration actual) {
    double error = Math.abs(actual.toNanos() - expected.toNanos()) / (double) expected.toNanos();
    assertTrue(error <= RevisionTraffic.RELATIVE_ERROR, () -> "expected about " + expected + ", got " + actual);
  }

  @Test
  void anUnknownRevisionHasNoRequestsANaNSuccessRateAndZeroLatency() {
    RevisionTraffic.Snapshot s = traffic.snapshot("orders", "v1");
    assertEquals(0, s.requests());
    assertEquals(0, s.failures());
    assertTrue(Double.isNaN(s.successRate()));
    assertEquals(Duration.ZERO, s.latency(0.99));
  }

  @Test
  void countsFailuresAndKeepsUnknownLatenciesOutOfTheHistogram() {
    traffic.record("orders", "v1", true, 2_000_000);
    traffic.record("orders", "v1", true, 4_000_000);
    traffic.record("orders", "v1", false, 3_000_000);
    traffic.record("orders", "v1", false, -1); // failed before any latency was known
    RevisionTraffic.Snapshot s = traffic.snapshot("orders", "v1");
    assertEquals(4, s.requests());
    assertEquals(2, s.failures());
    assertEquals(0.5, s.successRate());
    assertEquals(3, s.latencyCount());
    assertNear(Duration.ofMillis(2), s.latency(0));
    assertNear(Duration.ofMillis(3), s.latency(0.5));
    assertNear(Duration.ofMillis(4), s.latency(1));
  }

  @Test
  void onlyUnknownLatenciesGiveZeroLatency() {
    traffic.record("orders", "v1", true, -1);
    RevisionTraffic.Snapshot s = traffic.snapshot("orders", "v1");
    assertEquals(1, s.requests());
    assertEquals(1.0, s.successRate());
    assertEquals(Duration.ZERO, s.latency(0.5));
  }

  @Test
  void clampsLatenciesToOneMicrosecondUpToOneHour() {
    traffic.record("s", "a", true, 0);
    traffic.record("s", "b", true, Duration.ofHours(5).toNanos());
    assertNear(Duration.ofNanos(RevisionTraffic.MIN_LATENCY_NANOS), traffic.snapshot("s", "a").latency(1));
    assertNear(Duration.ofHours(1), traffic.snapshot("s", "b").latency(1));
  }

  @Test
  void anIntervalReflectsOnlyWhatWasRecordedInBetween() {
    for (int i = 0; i < 100; i++) {
      traffic.record("orders", "v2", true, Duration.ofMillis(1).toNanos());
    }
    RevisionTraffic.Snapshot start = traffic.snapshot("orders", "v2");
    for (int i = 0; i < 10; i++) {
      traffic.record("orders", "v2", i >= 2, Duration.ofMillis(100).toNanos());
    }
    RevisionTraffic.Snapshot end = traffic.snapshot("orders", "v2");

    Analysis.Traffic interval = end.since(start);
    assertEquals(10, interval.requests());
    assertEquals(2, interval.failures());
    assertEquals(0.8, interval.successRate(), 1e-12);
    assertNear(Duration.ofMillis(100), interval.latency(0));
    assertNear(Duration.ofMillis(100), interval.latency(0.5));
    // Cumulatively, the 100 fast requests dominate.
    assertEquals(110, end.requests());
    assertNear(Duration.ofMillis(1), end.latency(0.5));
    assertNear(Duration.ofMillis(100), end.latency(1));

    Analysis.Traffic empty = end.since(end);
    assertEquals(0, empty.requests());
    assertTrue(Double.isNaN(empty.successRate()));
    assertEquals(Duration.ZERO, empty.latency(0.5));
  }

  @Test
  void anIntervalFromBeforeTheFirstRecordHoldsEverything() {
    RevisionTraffic.Snapshot before = traffic.snapshot("orders", "v2");
    traffic.record("orders", "v2", false, 5_000);
    Analysis.Traffic interval = traffic.snapshot("orders", "v2").since(before);
    assertEquals(1, interval.requests());
    assertEquals(1, interval.failures());
  }

  @Test
  void forgetDropsEveryRevisionOfTheServiceOnly() {
    traffic.record("orders", "v1", true, 5_000);
    traffic.record("orders", "v2", true, 5_000);
    traffic.record("users", "v1", true, 5_000);
    RevisionTraffic.Snapshot beforeForget = traffic.snapshot("orders", "v1");
    traffic.forget("orders");
    assertEquals(0, traffic.snapshot("orders", "v1").requests());
    assertEquals(0, traffic.snapshot("orders", "v2").requests());
    assertEquals(1, traffic.snapshot("users", "v1").requests());
    assertEquals(0, traffic.snapshot("orders", "v1").since(beforeForget).requests());

    // Counting starts again; an interval across the forget holds what came after it.
    traffic.record("orders", "v1", false, 7_000);
    RevisionTraffic.Snapshot after = traffic.snapshot("orders", "v1");
    Analysis.Traffic interval = after.since(beforeForget);
    assertEquals(1, interval.requests());
    assertEquals(1, interval.failures());
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> beforeForget.since(after));
    assertTrue(e.getMessage().startsWith("earlier: snapshot of orders/v1 taken after"), e.getMessage());
  }

  @Test
  void revisionsAreCountedApart() {
    traffic.record("orders", "v1", true, 5_000);
    traffic.record("orders", "v2", false, 5_000);
    traffic.record("orders", "v2", false, 5_000);
    assertEquals(1, traffic.snapshot("orders", "v1").requests());
    assertEquals(0, traffic.snapshot("orders", "v1").failures());
    assertEquals(2, traffic.snapshot("orders", "v2").failures());
  }

  @Test
  void refusesBadQuantilesAndMismatchedSnapshots() {
    traffic.record("orders", "v1", true, 5_000);
    RevisionTraffic.Snapshot s = traffic.snapshot("orders", "v1");
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> s.latency(1.5));
    assertEquals("quantile: 1.5: must be in 0..1", e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> s.latency(-0.1));
    assertThrows(IllegalArgumentException.class, () -> s.latency(Double.NaN));
    assertThrows(IllegalArgumentException.class, () -> traffic.snapshot("orders", "v2").latency(2));

    e = assertThrows(IllegalArgumentException.class, () -> s.since(traffic.snapshot("orders", "v2")));
    assertEquals("earlier: snapshot of orders/v2: must be of orders/v1", e.getMessage());
    traffic.record("orders", "v1", true, 5_000);
    RevisionTraffic.Snapshot later = traffic.snapshot("orders", "v1");
    e = assertThrows(IllegalArgumentException.class, () -> s.since(later));
    assertEquals("earlier: snapshot of orders/v1 with 2 requests: must be taken before this one, with 1",
        e.getMessage());
    assertThrows(NullPointerException.class, () -> traffic.record(null, "v1", true, 1));
    assertThrows(NullPointerException.class, () -> traffic.snapshot("orders", null));
  }

  @Test
  void concurrentRecordsAreAllCounted() throws Exception {
    int threads = 4;
    int perThread = 50_000;
    CyclicBarrier start = new CyclicBarrier(threads + 1);
    AtomicReference<Throwable> failure = new AtomicReference<>();
    List<Thread> started = new ArrayList<>();
    for (int t = 0; t < threads; t++) {
      Thread thread = new Thread(() -> {
        try {
          start.await();
          for (int i = 0; i < perThread; i++) {
            // Every 10th fails, every 4th has no latency.
            traffic.record("orders", "v1", i % 10 != 0, i % 4 == 0 ? -1 : 1_000L + i);
          }
        } catch (Throwable x) {
          failure.compareAndSet(null, x);
        }
      }, "orch-test-record-" + t);
      thread.setDaemon(true);
      started.add(thread);
      thread.start();
    }
    start.await();
    // Snapshots taken meanwhile never go backwards and never show more failures than requests.
    RevisionTraffic.Snapshot previous = traffic.snapshot("orders", "v1");
    while (started.stream().anyMatch(Thread::isAlive)) {
      RevisionTraffic.Snapshot now = traffic.snapshot("orders", "v1");
      assertTrue(now.failures() <= now.requests(), now::toString);
      Analysis.Traffic interval = now.since(previous);
      assertTrue(interval.failures() <= interval.requests() && interval.failures() >= 0, interval::toString);
      previous = now;
    }
    for (Thread thread : started) {
      thread.join();
    }
    assertEquals(null, failure.get());
    RevisionTraffic.Snapshot s = traffic.snapshot("orders", "v1");
    assertEquals((long) threads * perThread, s.requests());
    assertEquals((long) threads * (perThread / 10), s.failures());
    assertEquals((long) threads * (perThread - perThread / 4), s.latencyCount());
  }

  @Test
  void aListenerRecordsUnderTheEndpointsRevisionLabel() {
    OutcomeListener listener = traffic.listener("orders");
    Endpoint v2 = Endpoint.of("e1", "127.0.0.1", 9000).withLabels(Map.of(OrchLabels.REVISION, "v2"));
    Endpoint unlabelled = Endpoint.of("e2", "127.0.0.1", 9001);
    listener.onOutcome(v2, false, 3_000_000);
    listener.onOutcome(unlabelled, true, 3_000_000);
    RevisionTraffic.Snapshot s = traffic.snapshot("orders", "v2");
    assertEquals(1, s.requests());
    assertEquals(1, s.failures());
    assertNear(Duration.ofMillis(3), s.latency(0.5));
    assertTrue(traffic.toString().contains("orders"));
  }

  @Test
  void recordingAKnownRevisionAllocatesNothing() {
    com.sun.management.ThreadMXBean mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
    String service = "orders";
    String revision = "v1";
    for (int i = 0; i < 20_000; i++) { // warm up: first sight of the key, JIT
      traffic.record(service, revision, i % 7 != 0, i % 5 == 0 ? -1 : 1_000L * i);
    }
    long tid = Thread.currentThread().getId();
    long before = mx.getThreadAllocatedBytes(tid);
    for (int i = 0; i < 100_000; i++) {
      traffic.record(service, revision, i % 7 != 0, i % 5 == 0 ? -1 : 1_000L * i);
    }
    long allocated = mx.getThreadAllocatedBytes(tid) - before;
    // Measuring itself costs a few bytes; 100,000 records at even 8 bytes each would be 800 KB.
    assertTrue(allocated < 10_000, "record allocated " + allocated + " bytes");
  }
}
