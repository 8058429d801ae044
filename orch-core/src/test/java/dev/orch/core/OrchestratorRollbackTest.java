package dev.orch.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.orch.api.runtime.ContainerInfo;
import dev.orch.api.runtime.LabelSelector;
import dev.orch.api.runtime.OrchLabels;
import dev.orch.api.spec.ContainerSpec;
import dev.orch.api.spec.IntOrPercent;
import dev.orch.api.spec.Probe;
import dev.orch.api.spec.Resources;
import dev.orch.api.spec.RolloutStrategy;
import dev.orch.api.spec.ServiceSpec;
import dev.orch.api.time.VirtualTimeSource;
import dev.orch.inmemory.Behaviors;
import dev.orch.inmemory.InMemoryRuntime;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Revision history, rollback on demand, and automatic rollback of an update that makes no progress. */
class OrchestratorRollbackTest {
  private final VirtualTimeSource time = new VirtualTimeSource();
  private InMemoryRuntime runtime;
  private Orchestrator orch;

  @BeforeEach
  void setUp() {
    runtime = InMemoryRuntime.builder().timeSource(time).nodes(3, Resources.of("4", "8Gi"))
        .behavior("never-ready", Behaviors.notReadyFor(Duration.ZERO, Duration.ofDays(1)))
        .behavior("crashing", Behaviors.exitAfter(Duration.ofSeconds(2), 1))
        .build();
    orch = Orchestrator.builder().runtime(runtime).timeSource(time).revisionHistoryLimit(3).build();
  }

  @AfterEach
  void tearDown() {
    orch.close();
    runtime.close();
  }

  private static ServiceSpec web(String image) {
    return web(image, Duration.ZERO);
  }

  private static ServiceSpec web(String image, Duration minReady) {
    return ServiceSpec.builder("web").replicas(4)
        .container(ContainerSpec.builder(image).port("http", 8080).requests("250m", "128Mi").build())
        .readiness(Probe.http("/ready", "http").withPeriod(Duration.ofSeconds(1)))
        .rollout(new RolloutStrategy.RollingUpdate(IntOrPercent.of(1), IntOrPercent.of(0), minReady,
            Duration.ofSeconds(30)))
        .build();
  }

  private Set<String> images() {
    return runtime.list(LabelSelector.of(OrchLabels.OWNER, "orch")).toCompletableFuture().join().stream()
        .map(ContainerInfo::image).collect(Collectors.toSet());
  }

  private int advanceWatchingTheFloor(int seconds) {
    int lowest = Integer.MAX_VALUE;
    for (int i = 0; i < seconds * 2; i++) {
      time.advance(Duration.ofMillis(500));
      lowest = Math.min(lowest, orch.status("web").orElseThrow().ready());
    }
    return lowest;
  }

  @Test
  void aRevisionThatNeverGetsReadyIsRolledBackAndTheOldOneNeverDropsBelowItsFloor() {
    orch.apply(web("web:1"));
    time.advance(Duration.ofSeconds(5));
    assertTrue(orch.status("web").orElseThrow().isReady());
    String good = orch.revisions("web").get(0).id();

    orch.apply(web("never-ready"));
    time.advance(Duration.ofSeconds(5));
    RolloutStatus midway = orch.status("web").orElseThrow().rollout();
    assertEquals(RolloutStatus.Phase.PROGRESSING, midway.phase());
    assertEquals(2, midway.revisions().size(), midway::toString);
    assertEquals(new RolloutStatus.Counts(0, 4, 4, 4), midway.revisions().get(good));
    int lowest = advanceWatchingTheFloor(55);

    assertEquals(4, lowest, "maxUnavailable 0: never fewer than 4 ready");
    assertTrue(orch.events().recent().stream().anyMatch(e -> e.reason().equals("ProgressDeadlineExceeded")));
    assertTrue(orch.events().recent().stream().anyMatch(e -> e.reason().equals("RolledBack")));
    assertEquals(Set.of("web:1"), images());
    assertEquals(good, dev.orch.core.util.Revisions.revision(orch.spec("web").orElseThrow()));
    ServiceStatus s = orch.status("web").orElseThrow();
    assertTrue(s.isReady());
    assertEquals(RolloutStatus.Phase.ROLLED_BACK, s.rollout().phase());
    assertEquals(good, s.rollout().revision());
    assertEquals(java.util.Map.of(good, new RolloutStatus.Counts(4, 4, 4, 4)), s.rollout().revisions());
    assertTrue(s.rollout().reason().contains("rolled back") && s.rollout().reason().contains(good),
        s.rollout().reason());
  }

  @Test
  void afterAnAutomaticRollbackTheReasonKeepsTheCauseAndNothingIsProgressing() {
    orch.apply(web("web:1"));
    time.advance(Duration.ofSeconds(5));
    orch.apply(web("never-ready"));
    time.advance(Duration.ofSeconds(60));
    ServiceStatus s = orch.status("web").orElseThrow();
    assertEquals(RolloutStatus.Phase.ROLLED_BACK, s.rollout().phase(), s::toString);
    assertTrue(s.rollout().reason().contains("no progress in 30s"), () -> "the cause is kept: " + s.rollout());
    Condition progressing = s.condition("Progressing").orElseThrow();
    assertFalse(progressing.status(), progressing::toString);
    assertEquals("RolledBack", progressing.reason());
    assertTrue(progressing.message().contains("no progress in 30s"), progressing::message);
  }

  @Test
  void aCrashingRevisionIsRolledBackAndMinReadyKeepsItFromCountingAsAvailable() {
    orch.apply(web("web:1", Duration.ofSeconds(5)));
    time.advance(Duration.ofSeconds(10));
    assertTrue(orch.status("web").orElseThrow().isReady());
    orch.apply(web("crashing", Duration.ofSeconds(5))); // runs 2 s, then exits: never ready for 5 s
    int lowest = advanceWatchingTheFloor(90);
    assertEquals(4, lowest);
    assertEquals(Set.of("web:1"), images());
  }

  /** Shrunk from RolloutProperties: a rollback must replace new replicas that were never available. */
  @Test
  void aRollbackWithoutSurgeReplacesTheUnavailableNewReplica() {
    ServiceSpec v1 = ServiceSpec.builder("web").replicas(1)
        .container(ContainerSpec.builder("web:1").port("http", 8080).requests("250m", "128Mi").build())
        .readiness(Probe.http("/ready", "http").withPeriod(Duration.ofSeconds(1)))
        .rollout(new RolloutStrategy.RollingUpdate(IntOrPercent.percent(0), IntOrPercent.of(1), Duration.ZERO,
            Duration.ofSeconds(30)))
        .build();
    orch.apply(v1);
    time.advance(Duration.ofSeconds(5));
    orch.apply(v1.toBuilder().container(ContainerSpec.builder("never-ready").port("http", 8080)
        .requests("250m", "128Mi").build()).build());
    for (int s = 0; s < 90; s++) {
      time.advance(Duration.ofSeconds(1));
    }
    assertTrue(orch.status("web").orElseThrow().isReady(), () -> orch.status("web").toString());
    assertEquals(Set.of("web:1"), images());
  }

  @Test
  void rollbackOnDemandAndItsErrors() {
    orch.apply(web("web:1"));
    time.advance(Duration.ofSeconds(5));
    orch.apply(web("web:2"));
    advanceWatchingTheFloor(30);
    assertEquals(Set.of("web:2"), images());

    Revision back = orch.rollback("web");
    assertEquals("web:1", back.container().image());
    advanceWatchingTheFloor(30);
    assertEquals(Set.of("web:1"), images());

    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> orch.rollback("web", "nope"));
    assertTrue(e.getMessage().startsWith("rollback web: revision: \"nope\": must be one of ["), e.getMessage());
    assertThrows(UnknownServiceException.class, () -> orch.rollback("other"));
  }

  @Test
  void theHistoryKeepsTheLastRevisionsAndAReplicaCountChangeIsNoRevision() {
    for (String image : List.of("web:1", "web:2", "web:3", "web:4")) {
      orch.apply(web(image));
    }
    orch.scale("web", 6);
    List<String> kept = orch.revisions("web").stream().map(r -> r.container().image()).toList();
    assertEquals(List.of("web:2", "web:3", "web:4"), kept);
  }
}
