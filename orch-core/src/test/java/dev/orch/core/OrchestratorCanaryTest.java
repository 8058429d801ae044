package dev.orch.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.orch.api.spec.Analysis;
import dev.orch.api.spec.RolloutStrategy;
import dev.orch.api.spec.ServiceSpec;
import dev.orch.core.util.Revisions;
import dev.orch.core.lb.Endpoint;
import dev.orch.core.lb.LoadBalancer;
import dev.orch.core.lb.Pickers;
import io.micrometer.core.instrument.Counter;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * Canary: weights through the endpoints (down to 0.1%), pauses, analysis that promotes a good revision
 * and rolls a bad one back, abort, and the planned steps taken exactly.
 */
class OrchestratorCanaryTest extends VirtualClusterTest {
  private static Analysis successRate(int count) {
    return Analysis.builder().interval(Duration.ofSeconds(10)).count(count).failureThreshold(2).minRequests(20)
        .successRate(0.95).latency(0.99, Duration.ofSeconds(1)).build();
  }

  private String start(ServiceSpec v1) {
    orch.apply(v1);
    time.advance(Duration.ofSeconds(5));
    assertTrue(orch.status("web").orElseThrow().isReady());
    return Revisions.revision(v1);
  }

  private Map<String, Long> weightPerRevision() {
    return orch.endpoints("web").current().all().stream()
        .collect(Collectors.groupingBy(e -> e.revision().orElse(""), Collectors.summingLong(Endpoint::weight)));
  }

  @Test
  void aGoodCanaryPassesItsStepsAndAnalysisTakingThePlannedSteps() {
    RolloutStrategy canary = RolloutStrategy.canary().setWeight(10).pause(Duration.ofSeconds(20))
        .setWeight(50).analyze(successRate(2)).build();
    String r1 = start(web("web:1", canary));
    ServiceSpec v2 = web("web:2", canary);
    String r2 = Revisions.revision(v2);
    LoadClient client = new LoadClient(time, runtime, orch.loadBalancer("web", Pickers.weightedRoundRobin()), 3);
    RolloutPlan plan = orch.plan(v2);
    assertEquals(java.util.List.of("setWeight 10%", "pause 20s", "setWeight 50%",
        "analysis [success rate >= 95%, p99 latency <= 1000ms]", "scale up", "promote"),
        plan.steps().stream().map(RolloutStep::action).toList(), plan::toString);

    orch.apply(v2);
    time.advance(Duration.ofSeconds(10));
    RolloutStatus atTen = orch.status("web").orElseThrow().rollout();
    assertEquals(1, atTen.step(), atTen::toString);
    assertEquals(RolloutStatus.Phase.PAUSED, atTen.phase());
    assertEquals(Map.of(r1, 90.0, r2, 10.0), atTen.weights());
    assertEquals(new RolloutStatus.Counts(1, 1, 1, 1), atTen.revisions().get(r2));
    assertEquals(new RolloutStatus.Counts(4, 4, 4, 4), atTen.revisions().get(r1));
    int before = client.answeredBy.size();
    time.advance(Duration.ofSeconds(5));
    long toCanary = client.answeredBy.subList(before, client.answeredBy.size()).stream().filter(r2::equals).count();
    double share = (double) toCanary / (client.answeredBy.size() - before);
    assertTrue(share > 0.08 && share < 0.12, "the canary's share of traffic at 10%: " + share);

    time.advance(Duration.ofSeconds(90));
    client.stop();
    time.advance(Duration.ofSeconds(1));

    RolloutStatus done = orch.status("web").orElseThrow().rollout();
    assertEquals(RolloutStatus.Phase.COMPLETE, done.phase(), done::toString);
    assertEquals(plan.steps(), done.steps(), "the rollout took the planned steps");
    assertEquals(Map.of(r2, 100.0), done.weights());
    assertEquals(0, client.failed, "failed requests");
    assertEquals(1000, client.lastAnsweredBy(r2, 1000));
    assertEquals(1.0, meters.get("orch.rollout.events").tags("service", "web", "event", "promoted").counter().count());
    assertEquals(1.0, meters.get("orch.rollout.events").tags("service", "web", "event", "started").counter().count());
  }

  @Test
  void aWeightOfOneTenthOfAPercentReachesTheCanaryThroughTheEndpointWeights() {
    RolloutStrategy canary = RolloutStrategy.canary().setWeight(0.1).pause().build();
    String r1 = start(web("web:1", canary));
    ServiceSpec v2 = web("web:2", canary);
    String r2 = Revisions.revision(v2);
    orch.apply(v2);
    time.advance(Duration.ofSeconds(10));

    Map<String, Long> weights = weightPerRevision();
    assertEquals(0.001, (double) weights.get(r2) / (weights.get(r1) + weights.get(r2)), 1e-12, weights::toString);
    try (LoadBalancer lb = orch.loadBalancer("web", Pickers.weightedRoundRobin())) {
      int canaryPicks = 0;
      for (int i = 0; i < 100_000; i++) {
        Endpoint e = lb.pick();
        canaryPicks += r2.equals(e.revision().orElse("")) ? 1 : 0;
        lb.release(e);
      }
      assertEquals(100, canaryPicks, 5, "0.1% of 100,000 picks");
    }
    assertEquals(RolloutStatus.Phase.PAUSED, orch.status("web").orElseThrow().rollout().phase());
  }

  @Test
  void aBadCanaryFailsAnalysisAndIsRolledBackWithTheStableSetAlwaysFull() {
    RolloutStrategy canary = RolloutStrategy.canary().setWeight(20).analyze(successRate(5)).setWeight(60).build();
    String r1 = start(web("web:1", canary));
    LoadClient client = new LoadClient(time, runtime, orch.loadBalancer("web", Pickers.weightedRoundRobin()), 3);
    orch.apply(web("web:bad", canary));
    int lowestStable = Integer.MAX_VALUE;
    for (int s = 0; s < 60; s++) {
      time.advance(Duration.ofSeconds(1));
      lowestStable = Math.min(lowestStable, orch.status("web").orElseThrow().rollout().revisions()
          .getOrDefault(r1, new RolloutStatus.Counts(0, 0, 0, 0)).available());
    }
    client.stop();
    time.advance(Duration.ofSeconds(1));

    ServiceStatus s = orch.status("web").orElseThrow();
    assertEquals(RolloutStatus.Phase.ROLLED_BACK, s.rollout().phase(), s.rollout()::toString);
    assertEquals(4, lowestStable, "the stable set never dropped below 4 available");
    assertEquals(r1, Revisions.revision(orch.spec("web").orElseThrow()));
    assertEquals(Set.of(r1), s.replicas().stream().map(ReplicaStatus::revision).collect(Collectors.toSet()));
    assertTrue(client.errors > 0, "the canary answered some requests with errors");
    assertEquals(0, client.failed, "no request was lost");
    assertTrue(orch.events().recent("web", 200).stream().anyMatch(e -> e.reason().equals("RolledBack")
        && e.message().contains("success rate >= 95%")));
    assertEquals(1.0, meters.get("orch.rollout.events").tags("service", "web", "event", "rolledback").counter()
        .count());
    assertEquals(1000, client.lastAnsweredBy(r1, 1000), "all traffic is back on the stable revision");
  }

  @Test
  void abortSendsAllTrafficBackAndRemovesTheCanaryWithNoFailedRequest() {
    RolloutStrategy canary = RolloutStrategy.canary().setWeight(25).pause().setWeight(75).build();
    String r1 = start(web("web:1", canary));
    ServiceSpec v2 = web("web:2", canary);
    String r2 = Revisions.revision(v2);
    LoadClient client = new LoadClient(time, runtime, orch.loadBalancer("web", Pickers.weightedRoundRobin()), 3);
    orch.apply(v2);
    time.advance(Duration.ofSeconds(10));
    assertTrue(client.lastAnsweredBy(r2, 200) > 20, "the canary serves its share");
    assertEquals(RolloutStatus.Phase.PAUSED, orch.status("web").orElseThrow().rollout().phase());

    orch.abort("web");
    time.advance(Duration.ofSeconds(10));
    client.stop();
    time.advance(Duration.ofSeconds(1));

    ServiceStatus s = orch.status("web").orElseThrow();
    assertEquals(RolloutStatus.Phase.ABORTED, s.rollout().phase(), s.rollout()::toString);
    assertTrue(s.conditions().stream().anyMatch(c -> c.type().equals("Progressing") && c.reason().equals("Aborted")),
        s.conditions()::toString);
    assertEquals(Set.of(r1), s.replicas().stream().map(ReplicaStatus::revision).collect(Collectors.toSet()));
    assertEquals(0, client.failed, "failed requests");
    assertEquals(1000, client.lastAnsweredBy(r1, 1000));
    assertEquals(r2, Revisions.revision(orch.spec("web").orElseThrow()), "abort keeps the spec");
    assertThrows(IllegalStateException.class, () -> orch.promote("web"), "nothing left to promote");

    orch.resume("web"); // a retry
    time.advance(Duration.ofSeconds(10));
    RolloutStatus retried = orch.status("web").orElseThrow().rollout();
    assertEquals(RolloutStatus.Phase.PAUSED, retried.phase(), retried::toString);
    assertEquals(List.of("setWeight 25%", "pause until resumed"),
        retried.steps().stream().map(RolloutStep::action).toList(), retried::toString);
    assertEquals(1, retried.revisions().get(r2).available(), retried::toString);
  }

  @Test
  void pauseHoldsAStepUntilResumeAndPromoteSkipsTheRest() {
    RolloutStrategy canary = RolloutStrategy.canary().setWeight(25).pause(Duration.ofSeconds(5)).setWeight(50)
        .pause(Duration.ofHours(1)).build();
    start(web("web:1", canary));
    ServiceSpec v2 = web("web:2", canary);
    String r2 = Revisions.revision(v2);
    orch.apply(v2);
    orch.pause("web");
    time.advance(Duration.ofSeconds(30));
    RolloutStatus paused = orch.status("web").orElseThrow().rollout();
    assertEquals(RolloutStatus.Phase.PAUSED, paused.phase(), paused::toString);
    assertEquals(-1, paused.step(), () -> "paused before its first step: " + paused);
    assertEquals(0, paused.revisions().getOrDefault(r2, new RolloutStatus.Counts(0, 0, 0, 0)).replicas(),
        paused::toString);

    orch.resume("web");
    time.advance(Duration.ofSeconds(20));
    RolloutStatus resumed = orch.status("web").orElseThrow().rollout();
    assertEquals("pause 3600s", resumed.steps().get(resumed.step()).action(), resumed::toString);

    orch.promote("web");
    time.advance(Duration.ofSeconds(20));
    RolloutStatus done = orch.status("web").orElseThrow().rollout();
    assertEquals(RolloutStatus.Phase.COMPLETE, done.phase(), done::toString);
    assertEquals(r2, done.stable());
  }

  @Test
  void scalingDuringACanaryScalesBothSidesByTheWeight() {
    RolloutStrategy canary = RolloutStrategy.canary().setWeight(25).pause().build();
    String r1 = start(web("web:1", canary));
    ServiceSpec v2 = web("web:2", canary);
    String r2 = Revisions.revision(v2);
    orch.apply(v2);
    time.advance(Duration.ofSeconds(10));

    orch.scale("web", 8);
    time.advance(Duration.ofSeconds(10));

    RolloutStatus s = orch.status("web").orElseThrow().rollout();
    assertEquals(RolloutStatus.Phase.PAUSED, s.phase(), s::toString);
    assertEquals(new RolloutStatus.Counts(8, 8, 8, 8), s.revisions().get(r1), s::toString);
    assertEquals(new RolloutStatus.Counts(2, 2, 2, 2), s.revisions().get(r2), s::toString);
    Map<String, Long> weights = weightPerRevision();
    assertEquals(0.25, (double) weights.get(r2) / (weights.get(r1) + weights.get(r2)), 1e-9, weights::toString);
  }

  @Test
  void operationsRefuseWhatCannotBeDone() {
    assertThrows(UnknownServiceException.class, () -> orch.pause("nope"));
    RolloutStrategy canary = RolloutStrategy.canary().setWeight(50).build();
    start(web("web:1", canary));
    IllegalStateException none = assertThrows(IllegalStateException.class, () -> orch.abort("web"));
    assertTrue(none.getMessage().contains("no rollout in progress"), none.getMessage());
    orch.apply(web("web:1", RolloutStrategy.rollingUpdate()));
    orch.apply(web("web:2", RolloutStrategy.rollingUpdate()));
    IllegalStateException rolling = assertThrows(IllegalStateException.class, () -> orch.promote("web"));
    assertTrue(rolling.getMessage().contains("rollout: RollingUpdate"), rolling.getMessage());
    IllegalArgumentException unknown = assertThrows(IllegalArgumentException.class,
        () -> orch.rollback("web", "0000000000"));
    assertTrue(unknown.getMessage().contains("revision: \"0000000000\": must be one of"), unknown.getMessage());
  }

  @Test
  void aRegisteredCheckCanReadAnyMicrometerMeter() {
    orch.close();
    orch = Orchestrator.builder().runtime(runtime).timeSource(time).meterRegistry(meters)
        .terminationGrace(Duration.ofSeconds(1))
        .analysisCheck("app.errors < 10", m -> m.meter("app.errors", Map.of("service", "web")).orElse(0) < 10)
        .build();
    Counter appErrors = Counter.builder("app.errors").tag("service", "web").register(meters);
    Analysis noAppErrors = Analysis.builder().interval(Duration.ofSeconds(5)).count(3).minRequests(0)
        .check("app.errors < 10").build();
    RolloutStrategy canary = RolloutStrategy.canary().setWeight(50).analyze(noAppErrors).build();
    start(web("web:1", canary));
    orch.apply(web("web:2", canary));
    time.advance(Duration.ofSeconds(7));
    appErrors.increment(25);
    time.advance(Duration.ofSeconds(20));

    RolloutStatus s = orch.status("web").orElseThrow().rollout();
    assertEquals(RolloutStatus.Phase.ROLLED_BACK, s.phase(), s::toString);
    assertTrue(orch.events().recent("web", 200).stream().anyMatch(e -> e.message().contains("'app.errors < 10' failed")));
  }

  @Test
  void aBalancerFromOrchLoadBalancerFeedsAnalysisAndTheUsersOwnListener() {
    RolloutStrategy canary = RolloutStrategy.canary().setWeight(50).analyze(successRate(2)).build();
    start(web("web:1", canary));
    ServiceSpec v2 = web("web:2", canary);
    java.util.concurrent.atomic.AtomicInteger heard = new java.util.concurrent.atomic.AtomicInteger();
    LoadBalancer lb = orch.loadBalancer("web").picker(Pickers.weightedRoundRobin())
        .outlierDetection(dev.orch.core.lb.OutlierDetection.disabled())
        .outcomeListener((e, ok, nanos) -> heard.incrementAndGet()).build();
    LoadClient client = new LoadClient(time, runtime, lb, 3);
    orch.apply(v2);
    time.advance(Duration.ofSeconds(60));
    client.stop();
    RolloutStatus done = orch.status("web").orElseThrow().rollout();
    assertEquals(RolloutStatus.Phase.COMPLETE, done.phase(), done::toString);
    assertTrue(heard.get() > 100, "the user's own listener hears every outcome: " + heard.get());
  }

  @Test
  void anAnalysisWithNoOutcomesSaysWhereOutcomesComeFrom() {
    RolloutStrategy canary = RolloutStrategy.canary().setWeight(50).analyze(successRate(2)).build();
    start(web("web:1", canary));
    // The primitive alone: it balances, but Orch never hears what it reports.
    LoadBalancer alone = LoadBalancer.builder(orch.endpoints("web")).picker(Pickers.weightedRoundRobin())
        .timeSource(time).build();
    LoadClient client = new LoadClient(time, runtime, alone, 3);
    orch.apply(web("web:2", canary));
    time.advance(Duration.ofSeconds(120));
    client.stop();
    assertTrue(orch.events().recent("web", 200).stream().anyMatch(e -> e.message()
            .contains("no outcomes were reported through orch.loadBalancer(\"web\")")),
        () -> orch.events().recent("web", 200).toString());
  }
}
