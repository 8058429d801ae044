package dev.orch.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.orch.api.spec.IntOrPercent;
import dev.orch.api.spec.RolloutStrategy;
import dev.orch.api.spec.ServiceSpec;
import dev.orch.core.util.Revisions;
import java.time.Duration;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * Rollouts meet what happens around them: a crash long after a rollout, a crash during a long pause, an
 * orchestrator that restarts and adopts replicas of a template it does not know, a strategy changed
 * mid-flight. None may roll back what is healthy, or take the service below its replicas; the floor is
 * checked on every endpoint snapshot.
 */
class RolloutResilienceTest extends VirtualClusterTest {
  private static final int REPLICAS = 4;

  private long ready(String revision) {
    return orch.status("web").orElseThrow().replicas().stream()
        .filter(r -> r.revision().equals(revision) && r.ready()).count();
  }

  private String runningRevision() {
    return Revisions.revision(orch.spec("web").orElseThrow());
  }

  private boolean rolledBack() {
    return orch.events().recent().stream().anyMatch(e -> e.reason().equals("RolledBack"));
  }

  @Test
  void aCrashLongAfterARollingUpdateIsHealedNotRolledBack() {
    RolloutStrategy rolling = new RolloutStrategy.RollingUpdate(IntOrPercent.of(1), IntOrPercent.of(0),
        Duration.ZERO, Duration.ofSeconds(30));
    orch.apply(web("web:1", rolling));
    time.advance(Duration.ofSeconds(5));
    ServiceSpec v2 = web("web:2", rolling);
    orch.apply(v2);
    time.advance(Duration.ofSeconds(30));
    assertEquals(RolloutStatus.Phase.COMPLETE, orch.status("web").orElseThrow().rollout().phase());

    time.advance(Duration.ofMinutes(5));
    runtime.crashContainer(orch.status("web").orElseThrow().replicas().get(0).containerId(), 1);
    time.advance(Duration.ofSeconds(60));

    assertFalse(rolledBack(), () -> "rolled back: " + orch.events().recent());
    assertEquals(Revisions.revision(v2), runningRevision());
    assertTrue(orch.status("web").orElseThrow().isReady());
  }

  @Test
  void aCanaryReplicaCrashingDuringALongPauseIsHealedNotRolledBack() {
    RolloutStrategy canary = RolloutStrategy.canary().setWeight(25).pause(Duration.ofMinutes(10))
        .progressDeadline(Duration.ofSeconds(30)).build();
    orch.apply(web("web:1", canary));
    time.advance(Duration.ofSeconds(5));
    ServiceSpec v2 = web("web:2", canary);
    String r2 = Revisions.revision(v2);
    orch.apply(v2);
    time.advance(Duration.ofMinutes(5));
    String canaryReplica = orch.status("web").orElseThrow().replicas().stream()
        .filter(r -> r.revision().equals(r2)).findFirst().orElseThrow().containerId();

    runtime.crashContainer(canaryReplica, 1);
    time.advance(Duration.ofSeconds(60));

    assertFalse(rolledBack(), () -> "rolled back: " + orch.events().recent());
    RolloutStatus s = orch.status("web").orElseThrow().rollout();
    assertEquals("pause 600s", s.steps().get(s.step()).action(), s::toString);
    assertEquals(1, s.revisions().get(r2).available(), s::toString);
    time.advance(Duration.ofMinutes(6));
    assertEquals(RolloutStatus.Phase.COMPLETE, orch.status("web").orElseThrow().rollout().phase());
    assertEquals(r2, orch.status("web").orElseThrow().rollout().stable());
  }

  @Test
  void anOrchestratorThatRestartsRollsAdoptedReplicasOfAnUnknownTemplateOverWithoutADip() {
    RolloutStrategy canary = RolloutStrategy.canary().setWeight(25).pause().build();
    orch.apply(web("web:1", canary));
    time.advance(Duration.ofSeconds(5));
    orch.close(); // its replicas keep running
    orch = newOrchestrator();
    time.advance(Duration.ofSeconds(1));
    EndpointFloor floor = EndpointFloor.watch(orch, "web", REPLICAS);

    ServiceSpec v2 = web("web:2", canary); // the new orchestrator never saw web:1's template
    orch.apply(v2);
    time.advance(Duration.ofSeconds(60));

    assertTrue(orch.events().recent().stream().anyMatch(e -> e.reason().equals("RolloutFallback")));
    assertEquals(REPLICAS, floor.lowest(), floor::describe);
    assertEquals(Set.of("web:2"), RolloutFaults.images(runtime));
    assertEquals(Revisions.revision(v2), orch.status("web").orElseThrow().rollout().stable());
  }

  @Test
  void switchingFromARollingUpdateToACanaryMidFlightKeepsEveryReplicaServing() {
    RolloutStrategy rolling = RolloutStrategy.RollingUpdate.of(IntOrPercent.of(1), IntOrPercent.of(0));
    ServiceSpec v1 = web("web:1", rolling);
    orch.apply(v1);
    time.advance(Duration.ofSeconds(5));
    EndpointFloor floor = EndpointFloor.watch(orch, "web", REPLICAS);
    ServiceSpec rollingV2 = web("web:2", rolling);
    orch.apply(rollingV2);
    // Wait until the first wave is done (one old replica replaced) and the next under way.
    String r1 = Revisions.revision(v1);
    for (int i = 0; i < 200 && !(ready(r1) == REPLICAS - 1 && ready(Revisions.revision(rollingV2)) == 1); i++) {
      time.advance(Duration.ofMillis(50));
    }
    assertEquals(REPLICAS - 1, ready(r1), () -> "mid-flight: " + orch.status("web").orElseThrow().rollout());

    RolloutStrategy canary = RolloutStrategy.canary().setWeight(25).pause().build();
    ServiceSpec v2 = web("web:2", canary);
    orch.apply(v2);
    time.advance(Duration.ofSeconds(60));

    // The update in flight finishes as a rolling update; the canary applies to the next revision.
    assertEquals(REPLICAS, floor.lowest(), floor::describe);
    assertTrue(orch.events().recent().stream().anyMatch(e -> e.reason().equals("RolloutFallback")));
    RolloutStatus s = orch.status("web").orElseThrow().rollout();
    assertEquals(Revisions.revision(v2), s.stable(), s::toString);
    assertEquals(RolloutStatus.Phase.COMPLETE, s.phase(), s::toString);
    ServiceSpec v3 = web("web:3", canary);
    orch.apply(v3);
    time.advance(Duration.ofSeconds(10));
    RolloutStatus next = orch.status("web").orElseThrow().rollout();
    assertEquals(RolloutStatus.Phase.PAUSED, next.phase(), next::toString);
    assertEquals(new RolloutStatus.Counts(1, 1, 1, 1), next.revisions().get(Revisions.revision(v3)), next::toString);
    assertEquals(REPLICAS, floor.lowest(), floor::describe);
  }
}
