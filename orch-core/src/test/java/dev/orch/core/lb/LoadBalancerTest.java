package dev.orch.core.lb;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.orch.api.runtime.OrchLabels;
import dev.orch.api.time.VirtualTimeSource;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class LoadBalancerTest {
  private final VirtualTimeSource time = new VirtualTimeSource();
  private final EndpointRegistry registry = new EndpointRegistry();
  private final List<LoadBalancer> opened = new ArrayList<>();

  @AfterEach
  void closeAll() {
    opened.forEach(LoadBalancer::close);
  }

  private static List<Endpoint> endpoints(int n) {
    List<Endpoint> list = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      list.add(Endpoint.of("e" + i, "127.0.0.1", 9000 + i));
    }
    return list;
  }

  private LoadBalancer lb(LoadBalancer.Builder b) {
    LoadBalancer lb = b.timeSource(time).build();
    opened.add(lb);
    return lb;
  }

  private Map<String, Integer> counts(LoadBalancer lb, int picks) {
    Map<String, Integer> counts = new HashMap<>();
    for (int i = 0; i < picks; i++) {
      Endpoint e = lb.pick();
      lb.release(e);
      counts.merge(e.id(), 1, Integer::sum);
    }
    return counts;
  }

  private void fail(LoadBalancer lb, String id, int times) {
    Endpoint e = lb.members().get(id).orElseThrow();
    for (int i = 0; i < times; i++) {
      lb.report(e, false, 1_000);
    }
  }

  @Test
  void picksOnlyReadyEndpointsAndFollowsReadiness() {
    registry.update("s", endpoints(4));
    LoadBalancer lb = lb(LoadBalancer.builder(registry.source("s")).picker(Pickers.roundRobin()));
    registry.setReady("s", "e1", false);
    assertEquals(Set.of("e0", "e2", "e3"), counts(lb, 300).keySet());
    registry.setReady("s", "e1", true);
    assertEquals(Set.of("e0", "e1", "e2", "e3"), counts(lb, 300).keySet());
    assertEquals(Map.of("e0", 100, "e1", 100, "e2", 100, "e3", 100), counts(lb, 400));
  }

  @Test
  void countsRequestsInFlightUntilReportedOrReleased() {
    registry.update("s", endpoints(1));
    LoadBalancer lb = lb(LoadBalancer.builder(registry.source("s")));
    Endpoint a = lb.pick();
    Endpoint b = lb.pick();
    assertEquals(2, lb.inFlight("e0"));
    lb.report(a, true, 5_000);
    assertEquals(1, lb.inFlight("e0"));
    // Removing the endpoint keeps its in-flight count readable, so that a rollout can drain it.
    registry.remove("s", "e0");
    assertEquals(1, lb.inFlight("e0"));
    lb.release(b);
    assertEquals(0, lb.inFlight("e0"));
    lb.release(b); // never below zero
    assertEquals(0, lb.inFlight("e0"));
    assertEquals(0, lb.inFlight("unknown"));
  }

  @Test
  void throwsWhenNoEndpointMayTakeTraffic() {
    LoadBalancer lb = lb(LoadBalancer.builder(registry.source("empty")));
    NoAvailableEndpointException e = assertThrows(NoAvailableEndpointException.class, lb::pick);
    assertEquals("empty: no endpoint available: the service has no members", e.getMessage());
    assertTrue(lb.tryPick().isEmpty());
  }

  @Test
  void ejectsAfterFiveConsecutiveFailuresForThirtySecondsTimesEjections() {
    registry.update("s", endpoints(10));
    LoadBalancer lb = lb(LoadBalancer.builder(registry.source("s")).picker(Pickers.random()));
    fail(lb, "e3", 4);
    assertFalse(lb.isEjected("e3"));
    lb.report(lb.members().get("e3").orElseThrow(), true, 1);
    fail(lb, "e3", 4); // the success reset the streak
    assertFalse(lb.isEjected("e3"));
    fail(lb, "e3", 1);
    assertTrue(lb.isEjected("e3"));
    assertFalse(counts(lb, 500).containsKey("e3"));

    time.advance(Duration.ofSeconds(29));
    assertTrue(lb.isEjected("e3"));
    time.advance(Duration.ofSeconds(1));
    assertFalse(lb.isEjected("e3"));
    assertTrue(counts(lb, 500).containsKey("e3"));

    // Second ejection soon after: 60 s.
    fail(lb, "e3", 5);
    time.advance(Duration.ofSeconds(59));
    assertTrue(lb.isEjected("e3"));
    time.advance(Duration.ofSeconds(1));
    assertFalse(lb.isEjected("e3"));
  }

  @Test
  void ejectionTimeIsCappedAndForgivenOverTime() {
    registry.update("s", endpoints(10));
    LoadBalancer lb = lb(LoadBalancer.builder(registry.source("s")));
    for (int i = 1; i <= 12; i++) {
      fail(lb, "e0", 5);
      long expected = Math.min(300, 30L * i);
      time.advance(Duration.ofSeconds(expected).minusMillis(1));
      assertTrue(lb.isEjected("e0"), "ejection " + i);
      time.advance(Duration.ofMillis(1));
      assertFalse(lb.isEjected("e0"), "ejection " + i);
    }
    // A long quiet spell forgives past ejections: back to 30 s.
    time.advance(Duration.ofHours(1));
    fail(lb, "e0", 5);
    time.advance(Duration.ofSeconds(30));
    assertFalse(lb.isEjected("e0"));
  }

  @Test
  void ejectsAtMostTenPercentButAlwaysOne() {
    registry.update("s", endpoints(20));
    LoadBalancer lb = lb(LoadBalancer.builder(registry.source("s")));
    for (int i = 0; i < 5; i++) {
      fail(lb, "e" + i, 5);
    }
    assertEquals(Set.of("e0", "e1"), lb.ejected());

    registry.update("small", endpoints(3));
    LoadBalancer small = lb(LoadBalancer.builder(registry.source("small")));
    fail(small, "e0", 5);
    fail(small, "e1", 5);
    assertEquals(Set.of("e0"), small.ejected());
  }

  @Test
  void panicsBelowHalfHealthyAndSpreadsOverAllMembers() {
    registry.update("s", endpoints(4));
    LoadBalancer lb = lb(LoadBalancer.builder(registry.source("s")).picker(Pickers.roundRobin()));
    registry.setReady("s", "e0", false);
    registry.setReady("s", "e1", false);
    assertFalse(lb.inPanic()); // 50% healthy is not below 50%
    assertEquals(Set.of("e2", "e3"), counts(lb, 100).keySet());
    registry.setReady("s", "e2", false);
    assertTrue(lb.inPanic());
    assertEquals(Set.of("e0", "e1", "e2", "e3"), counts(lb, 100).keySet());
    registry.setReady("s", "e2", true);
    assertFalse(lb.inPanic());

    registry.update("strict", endpoints(2));
    LoadBalancer strict = lb(LoadBalancer.builder(registry.source("strict")).panicThreshold(0));
    registry.setReady("strict", "e0", false);
    registry.setReady("strict", "e1", false);
    assertFalse(strict.inPanic());
    assertThrows(NoAvailableEndpointException.class, strict::pick);
  }

  @Test
  void slowStartRampsANewEndpointsShare() {
    registry.update("s", endpoints(1));
    LoadBalancer lb = lb(LoadBalancer.builder(registry.source("s"))
        .picker(Pickers.weightedRoundRobin())
        .slowStart(SlowStart.of(Duration.ofSeconds(10))));
    registry.upsert("s", Endpoint.of("new", "127.0.0.1", 9999));
    // At the start it gets 10% of its weight: 1 in 11 picks (weights are scaled to a 1,024-slot cycle).
    assertEquals(100, counts(lb, 1100).get("new"), 2);
    time.advance(Duration.ofSeconds(5));
    assertEquals(1000 / 3, counts(lb, 1000).get("new"), 2); // factor 0.5: a third
    time.advance(Duration.ofSeconds(5));
    assertEquals(500, counts(lb, 1000).get("new"));
    assertEquals(0, time.pendingTasks());
  }

  @Test
  void weightsCanBeSetAtRuntime() {
    registry.update("s", endpoints(3));
    LoadBalancer lb = lb(LoadBalancer.builder(registry.source("s")).picker(Pickers.weightedRoundRobin()));
    lb.setWeight("e0", 3);
    lb.setWeight("e2", 0);
    assertEquals(Map.of("e0", 300, "e1", 100), counts(lb, 400));
    lb.clearWeight("e2");
    lb.clearWeight("e0");
    assertEquals(Map.of("e0", 100, "e1", 100, "e2", 100), counts(lb, 300));
  }

  @Test
  void trafficSplitSendsACanaryShareWhateverTheReplicaCounts() {
    List<Endpoint> list = new ArrayList<>();
    for (int i = 0; i < 9; i++) {
      list.add(Endpoint.of("stable" + i, "127.0.0.1", 9000 + i).withLabels(Map.of(OrchLabels.REVISION, "v1")));
    }
    list.add(Endpoint.of("canary", "127.0.0.1", 9100).withLabels(Map.of(OrchLabels.REVISION, "v2")));
    registry.update("s", list);
    for (Picker p : List.of(Pickers.weightedRoundRobin(), Pickers.random(), Pickers.leastRequest())) {
      LoadBalancer lb = lb(LoadBalancer.builder(registry.source("s")).picker(p));
      lb.trafficSplit(OrchLabels.REVISION, Map.of("v1", 99, "v2", 1));
      int canary = counts(lb, 100_000).getOrDefault("canary", 0);
      assertEquals(1_000, canary, 250, p.name());
      lb.trafficSplit(OrchLabels.REVISION, Map.of("v2", 1));
      assertEquals(Map.of("canary", 1000), counts(lb, 1000), p.name());
      lb.clearTrafficSplit();
      assertEquals(10, counts(lb, 10_000).size(), p.name());
    }
    LoadBalancer lb = lb(LoadBalancer.builder(registry.source("s")));
    assertThrows(IllegalArgumentException.class, () -> lb.trafficSplit("x", Map.of("a", 0)));
    assertThrows(IllegalArgumentException.class, () -> lb.trafficSplit("x", Map.of("a", -1)));
  }

  @Test
  void peakEwmaPrefersTheFasterEndpoint() {
    registry.update("s", endpoints(2));
    LoadBalancer lb = lb(LoadBalancer.builder(registry.source("s")).picker(Pickers.p2cPeakEwma()));
    Map<String, Integer> counts = new HashMap<>();
    for (int i = 0; i < 1000; i++) {
      Endpoint e = lb.pick();
      counts.merge(e.id(), 1, Integer::sum);
      lb.report(e, true, e.id().equals("e0") ? 1_000_000 : 50_000_000);
      time.advance(Duration.ofMillis(1));
    }
    assertTrue(counts.get("e0") > 900, counts.toString());
  }

  @Test
  void leastRequestAvoidsTheBusierEndpoint() {
    registry.update("s", endpoints(2));
    LoadBalancer lb = lb(LoadBalancer.builder(registry.source("s")).picker(Pickers.leastRequest()));
    Endpoint first = lb.pick();
    Endpoint second = lb.pick();
    assertFalse(first.id().equals(second.id()));
  }

  @Test
  void consistentHashingSendsEqualKeysToTheSameEndpoint() {
    registry.update("s", endpoints(5));
    for (Picker p : List.of(Pickers.ringHash(), Pickers.maglev())) {
      LoadBalancer lb = lb(LoadBalancer.builder(registry.source("s")).picker(p));
      for (int k = 0; k < 100; k++) {
        String key = "user-" + k;
        Endpoint e = lb.pick(key);
        for (int i = 0; i < 5; i++) {
          assertEquals(e, lb.pick(key), p.name());
        }
      }
    }
  }

  @Test
  void aPickAllocatesNothing() {
    registry.update("s", endpoints(100));
    com.sun.management.ThreadMXBean mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
    for (String name : Pickers.NAMES) {
      LoadBalancer lb = lb(LoadBalancer.builder(registry.source("s")).picker(Pickers.byName(name)));
      for (int i = 0; i < 20_000; i++) {
        lb.report(lb.pick(), true, 1000);
      }
      long tid = Thread.currentThread().getId();
      long before = mx.getThreadAllocatedBytes(tid);
      for (int i = 0; i < 100_000; i++) {
        lb.release(lb.pick());
      }
      long allocated = mx.getThreadAllocatedBytes(tid) - before;
      // Measuring itself costs a few bytes; 100,000 picks at even 8 bytes each would be 800 KB.
      assertTrue(allocated < 10_000, name + " allocated " + allocated + " bytes");
    }
  }

  @Test
  void worksWithAUsersOwnList() {
    LoadBalancer lb = LoadBalancer.builder(EndpointSource.of("mine", endpoints(3)))
        .picker(Pickers.roundRobin()).build();
    try {
      assertEquals(3, counts(lb, 30).size());
    } finally {
      lb.close();
    }
  }

  @Test
  void validatesConfiguration() {
    assertEquals("panicThreshold: 101.0: must be in 0..100", assertThrows(IllegalArgumentException.class,
        () -> LoadBalancer.builder(registry.source("s")).panicThreshold(101)).getMessage());
    assertThrows(IllegalArgumentException.class, () -> OutlierDetection.defaults().withConsecutiveFailures(0));
    assertThrows(IllegalArgumentException.class, () -> OutlierDetection.defaults().withMaxEjectionPercent(101));
    assertThrows(IllegalArgumentException.class,
        () -> OutlierDetection.defaults().withEjectionTime(Duration.ofSeconds(10), Duration.ofSeconds(5)));
    assertThrows(IllegalArgumentException.class, () -> SlowStart.of(Duration.ZERO));
    assertThrows(IllegalArgumentException.class, () -> Pickers.maglev(100));
    assertThrows(IllegalArgumentException.class, () -> Pickers.byName("fastest"));
    assertThrows(IllegalArgumentException.class, () -> Pickers.p2cPeakEwma(Duration.ZERO));
  }

  /** One outcome as a listener heard it. */
  record Outcome(Endpoint endpoint, boolean success, long latencyNanos) {
  }

  @Test
  void anOutcomeListenerHearsEachReportOnce() {
    registry.update("s", endpoints(2));
    List<Outcome> heard = new ArrayList<>();
    LoadBalancer lb = lb(LoadBalancer.builder(registry.source("s")).picker(Pickers.roundRobin())
        .outcomeListener((e, ok, latency) -> heard.add(new Outcome(e, ok, latency))));
    Endpoint a = lb.pick();
    Endpoint b = lb.pick();
    Endpoint c = lb.pick();
    lb.report(a, true, 5_000);
    lb.report(b, false, -1);
    lb.report(c, true, Duration.ofMillis(3));
    assertEquals(List.of(new Outcome(a, true, 5_000), new Outcome(b, false, -1),
        new Outcome(c, true, 3_000_000)), heard);

    lb.release(lb.pick()); // no outcome
    lb.report(Endpoint.of("stranger", "127.0.0.1", 9999), true, 1); // not the balancer's
    assertEquals(3, heard.size());
  }

  @Test
  void aThrowingOutcomeListenerDoesNotBreakTheReport() {
    registry.update("s", endpoints(1));
    int[] calls = {0};
    LoadBalancer lb = lb(LoadBalancer.builder(registry.source("s"))
        .outcomeListener((e, ok, latency) -> {
          calls[0]++;
          throw new IllegalStateException("listener broke");
        }));
    Endpoint e = lb.pick();
    lb.pick();
    lb.report(e, true, 1_000);
    assertEquals(1, lb.inFlight("e0"));
    lb.report(e, false, 1_000);
    assertEquals(0, lb.inFlight("e0"));
    assertEquals(2, calls[0]);
    // Failures still count towards ejection despite the listener.
    fail(lb, "e0", 4);
    assertTrue(lb.isEjected("e0"));
  }

  @Test
  void pickAndReportWithARevisionTrafficListenerAllocateNothing() {
    Map<String, String> v1 = Map.of(OrchLabels.REVISION, "v1");
    List<Endpoint> list = new ArrayList<>();
    for (Endpoint e : endpoints(10)) {
      list.add(e.withLabels(v1));
    }
    registry.update("s", list);
    dev.orch.core.rollout.RevisionTraffic traffic = new dev.orch.core.rollout.RevisionTraffic();
    LoadBalancer lb = lb(LoadBalancer.builder(registry.source("s")).picker(Pickers.p2cPeakEwma())
        .outcomeListener(traffic.listener("s")));
    com.sun.management.ThreadMXBean mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
    for (int i = 0; i < 20_000; i++) {
      lb.report(lb.pick(), true, 1_000 + i);
    }
    long tid = Thread.currentThread().getId();
    long before = mx.getThreadAllocatedBytes(tid);
    for (int i = 0; i < 100_000; i++) {
      lb.report(lb.pick(), true, 1_000 + i);
    }
    long allocated = mx.getThreadAllocatedBytes(tid) - before;
    assertTrue(allocated < 10_000, "pick and report allocated " + allocated + " bytes");
    assertEquals(120_000, traffic.snapshot("s", "v1").requests());
  }

  @Test
  void refusesNullArgumentsNamingThem() {
    assertEquals("source", assertThrows(NullPointerException.class, () -> LoadBalancer.builder(null)).getMessage());
    registry.update("s", endpoints(1));
    LoadBalancer lb = lb(LoadBalancer.builder(registry.source("s")));
    assertEquals("endpointId", assertThrows(NullPointerException.class, () -> lb.inFlight(null)).getMessage());
  }

  @Test
  void aWaitingPickGetsTheFirstEndpointThatComesOrFailsAtItsBound() {
    int[] woken = new int[1];
    LoadBalancer lb = lb(LoadBalancer.builder(registry.source("svc")).onNoEndpoint(() -> woken[0]++));
    java.util.concurrent.CompletableFuture<Endpoint> waiting = lb.pickAsync(java.time.Duration.ofSeconds(5));
    assertEquals(1, woken[0], "the wake hook runs when the pick has to wait");
    org.junit.jupiter.api.Assertions.assertFalse(waiting.isDone());
    registry.update("svc", endpoints(1));
    org.junit.jupiter.api.Assertions.assertTrue(waiting.isDone(), "completed as the endpoint came");
    assertEquals("e0", waiting.join().id());
    assertEquals(1, lb.inFlight("e0"), "counted in flight, like a pick");
    lb.release(waiting.join());

    registry.update("svc", List.of());
    java.util.concurrent.CompletableFuture<Endpoint> late = lb.pickAsync(java.time.Duration.ofSeconds(1));
    time.advance(java.time.Duration.ofMillis(1001));
    org.junit.jupiter.api.Assertions.assertTrue(late.isCompletedExceptionally(), "fails at its bound");
    Throwable cause = org.junit.jupiter.api.Assertions.assertThrows(java.util.concurrent.CompletionException.class,
        late::join).getCause();
    org.junit.jupiter.api.Assertions.assertInstanceOf(NoAvailableEndpointException.class, cause);
    registry.update("svc", endpoints(1));
    assertEquals(0, lb.inFlight("e0"), "a pick that timed out takes no endpoint when one comes");
  }
}
