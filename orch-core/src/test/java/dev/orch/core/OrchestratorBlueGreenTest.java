package dev.orch.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.orch.api.spec.RolloutStrategy;
import dev.orch.api.spec.ServiceSpec;
import dev.orch.core.util.Revisions;
import dev.orch.core.lb.Endpoint;
import dev.orch.core.lb.Endpoints;
import dev.orch.core.lb.Pickers;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * Blue/green: the new set starts beside the old one on preview endpoints; promotion switches the traffic in
 * one endpoint snapshot; the old set stays for the scale-down delay (an instant rollback), then goes; no
 * request fails.
 */
class OrchestratorBlueGreenTest extends VirtualClusterTest {
  private static Set<String> revisionsOf(Endpoints endpoints) {
    return endpoints.all().stream().map(e -> e.revision().orElse("")).collect(Collectors.toCollection(TreeSet::new));
  }

  private Set<String> runningIds(String revision) {
    return orch.status("web").orElseThrow().replicas().stream()
        .filter(r -> r.revision().equals(revision)).map(ReplicaStatus::containerId).collect(Collectors.toSet());
  }

  @Test
  void previewThenOneSwapPromotionThenScaleDownWithNoFailedRequest() {
    RolloutStrategy.BlueGreen strategy = RolloutStrategy.blueGreen().withAutoPromote(false);
    ServiceSpec v1 = web("web:1", strategy);
    ServiceSpec v2 = web("web:2", strategy);
    String r1 = Revisions.revision(v1);
    String r2 = Revisions.revision(v2);
    orch.apply(v1);
    time.advance(Duration.ofSeconds(5));
    assertTrue(orch.status("web").orElseThrow().isReady());
    LoadClient client = new LoadClient(time, runtime, orch.loadBalancer("web", Pickers.roundRobin()), 2);
    time.advance(Duration.ofSeconds(2));
    RolloutPlan plan = orch.plan(v2);

    orch.apply(v2);
    time.advance(Duration.ofSeconds(10));

    RolloutStatus waiting = orch.status("web").orElseThrow().rollout();
    assertEquals(RolloutStatus.Phase.PAUSED, waiting.phase(), waiting::toString);
    assertEquals("await promote", waiting.steps().get(waiting.step()).action());
    assertEquals(new RolloutStatus.Counts(4, 4, 4, 4), waiting.revisions().get(r1));
    assertEquals(new RolloutStatus.Counts(4, 4, 4, 4), waiting.revisions().get(r2));
    assertEquals(Map.of(r1, 100.0, r2, 0.0), waiting.weights());
    assertEquals(Set.of(r1), revisionsOf(orch.endpoints("web").current()), "the service serves only the old set");
    assertEquals(Set.of(r2), revisionsOf(orch.previewEndpoints("web").current()));
    assertEquals(4, orch.previewEndpoints("web").current().all().size());
    LoadClient preview = new LoadClient(time, runtime, orch.previewLoadBalancer("web", Pickers.roundRobin()), 1);
    time.advance(Duration.ofSeconds(2));
    preview.stop();
    time.advance(Duration.ofSeconds(1));
    assertTrue(preview.succeeded > 50 && preview.failed == 0, "preview requests");
    assertEquals(preview.answeredBy.size(), preview.answeredBy.stream().filter(r2::equals).count());
    assertEquals(client.answeredBy.size(), client.answeredBy.stream().filter(r1::equals).count(),
        "nothing reached the preview through the service");

    List<Set<String>> snapshots = new ArrayList<>();
    orch.endpoints("web").subscribe(e -> snapshots.add(revisionsOf(e)));
    Set<String> oldIds = runningIds(r1);
    orch.promote("web");
    time.advance(Duration.ofSeconds(1));

    assertTrue(snapshots.stream().noneMatch(s -> s.size() > 1), "no snapshot mixes the revisions: " + snapshots);
    assertEquals(Set.of(r2), snapshots.get(snapshots.size() - 1));
    assertEquals(Set.of(r1), snapshots.get(0), "the first snapshot seen is the old set's");
    RolloutStatus promoted = orch.status("web").orElseThrow().rollout();
    assertEquals(Map.of(r1, 0.0, r2, 100.0), promoted.weights());
    assertEquals(oldIds, runningIds(r1), "the old set stays for the scale-down delay");

    time.advance(Duration.ofSeconds(25));
    assertEquals(oldIds, runningIds(r1), "still there before the 30 s delay ends");
    time.advance(Duration.ofSeconds(10));
    client.stop();
    time.advance(Duration.ofSeconds(1));

    ServiceStatus done = orch.status("web").orElseThrow();
    assertEquals(Set.of(), runningIds(r1), "the old set went after the delay");
    assertEquals(RolloutStatus.Phase.COMPLETE, done.rollout().phase(), done.rollout()::toString);
    assertEquals(r2, done.rollout().stable());
    assertEquals(plan.steps(), done.rollout().steps(), "the rollout took the planned steps");
    assertEquals(0, client.failed, "failed requests");
    assertTrue(client.lastAnsweredBy(r2, 1000) == 1000, "only the new revision answers at the end");
    assertTrue(orch.events().recent("web", 100).stream().map(OrchEvent::reason).toList()
        .containsAll(List.of("RolloutStarted", "RolloutPaused", "RolloutPromoted", "RolloutCompleted")));
  }

  @Test
  void withNoScaleDownDelayTheOldSetStillFinishesItsRequestsBeforeItStops() {
    RolloutStrategy.BlueGreen strategy = RolloutStrategy.blueGreen().withScaleDownDelay(Duration.ZERO);
    orch.apply(web("web:1", strategy));
    time.advance(Duration.ofSeconds(5));
    LoadClient client = new LoadClient(time, runtime, orch.loadBalancer("web", Pickers.roundRobin()), 2);
    time.advance(Duration.ofSeconds(1));
    ServiceSpec v2 = web("web:2", strategy);
    orch.apply(v2);
    time.advance(Duration.ofSeconds(20));
    client.stop();
    time.advance(Duration.ofSeconds(1));

    assertEquals(RolloutStatus.Phase.COMPLETE, orch.status("web").orElseThrow().rollout().phase());
    assertEquals(0, client.failed, "failed requests");
    assertEquals(1000, client.lastAnsweredBy(Revisions.revision(v2), 1000));
  }

  @Test
  void deletingTheServiceDuringItsPreviewRemovesThePreviewEndpointsToo() {
    RolloutStrategy.BlueGreen strategy = RolloutStrategy.blueGreen().withAutoPromote(false);
    orch.apply(web("web:1", strategy));
    time.advance(Duration.ofSeconds(5));
    orch.apply(web("web:2", strategy));
    time.advance(Duration.ofSeconds(10));
    assertEquals(4, orch.previewEndpoints("web").current().all().size());

    orch.delete("web");
    time.advance(Duration.ofSeconds(10));

    assertEquals(0, orch.previewEndpoints("web").current().all().size());
    assertEquals(0, orch.endpoints("web").current().all().size());
    assertEquals(Set.of(), RolloutFaults.images(runtime));
  }

  @Test
  void aRollbackWithinTheScaleDownDelayIsInstant() {
    RolloutStrategy.BlueGreen strategy = RolloutStrategy.blueGreen();
    ServiceSpec v1 = web("web:1", strategy);
    String r1 = Revisions.revision(v1);
    String r2 = Revisions.revision(web("web:2", strategy));
    orch.apply(v1);
    time.advance(Duration.ofSeconds(5));
    Set<String> oldIds = runningIds(r1);
    LoadClient client = new LoadClient(time, runtime, orch.loadBalancer("web", Pickers.roundRobin()), 2);
    orch.apply(web("web:2", strategy));
    time.advance(Duration.ofSeconds(10));
    assertEquals(Set.of(r2), revisionsOf(orch.endpoints("web").current()),
        "promoted by itself once the new set was available");

    orch.rollback("web", r1);
    time.advance(Duration.ofMillis(100));

    assertEquals(Set.of(r1), revisionsOf(orch.endpoints("web").current()));
    assertEquals(4, orch.endpoints("web").current().all().stream().filter(Endpoint::ready).count(),
        "the old set serves again at once, all ready");
    assertEquals(oldIds, runningIds(r1), "the same replicas: nothing had to start");
    time.advance(Duration.ofSeconds(5));
    client.stop();
    time.advance(Duration.ofSeconds(1));
    assertEquals(Set.of(), runningIds(r2), "the rolled-back set went");
    assertEquals(0, client.failed, "failed requests");
    assertEquals(500, client.lastAnsweredBy(r1, 500));
  }

  @Test
  void aFailedPrePromotionAnalysisKeepsTrafficOnTheOldSetAndRollsBack() {
    var analysis = dev.orch.api.spec.Analysis.builder().interval(Duration.ofSeconds(5)).count(3)
        .successRate(0.99).build();
    RolloutStrategy.BlueGreen strategy = RolloutStrategy.blueGreen().withPrePromotionAnalysis(analysis);
    ServiceSpec v1 = web("web:1", strategy);
    String r1 = Revisions.revision(v1);
    orch.apply(v1);
    time.advance(Duration.ofSeconds(5));
    LoadClient client = new LoadClient(time, runtime, orch.loadBalancer("web", Pickers.roundRobin()), 2);
    orch.apply(web("web:bad", strategy));
    time.advance(Duration.ofSeconds(8));
    LoadClient preview = new LoadClient(time, runtime, orch.previewLoadBalancer("web", Pickers.roundRobin()), 1);
    time.advance(Duration.ofSeconds(20));
    client.stop();
    preview.stop();
    time.advance(Duration.ofSeconds(2));

    ServiceStatus s = orch.status("web").orElseThrow();
    assertEquals(RolloutStatus.Phase.ROLLED_BACK, s.rollout().phase(), s.rollout()::toString);
    assertEquals(r1, Revisions.revision(orch.spec("web").orElseThrow()));
    assertEquals(Set.of(r1), s.replicas().stream().map(ReplicaStatus::revision).collect(Collectors.toSet()));
    assertTrue(preview.errors > 0, "the preview was tried");
    assertEquals(0, client.failed + client.errors, "the service's own traffic never reached the bad set");
    assertTrue(orch.events().recent("web", 100).stream().anyMatch(e -> e.reason().equals("RolledBack")
        && e.message().contains("success rate >= 99%")));
  }
}
