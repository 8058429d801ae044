package dev.orch.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.orch.api.runtime.ContainerInfo;
import dev.orch.api.runtime.LabelSelector;
import dev.orch.api.runtime.OrchLabels;
import dev.orch.api.spec.Analysis;
import dev.orch.api.spec.InvalidSpecException;
import dev.orch.api.spec.Resources;
import dev.orch.api.spec.RolloutStrategy;
import dev.orch.api.spec.ServiceSpec;
import dev.orch.api.state.StateSchema;
import dev.orch.api.state.StateStore;
import dev.orch.api.state.StateStoreException;
import dev.orch.api.state.UnsupportedSchemaException;
import dev.orch.api.time.VirtualTimeSource;
import dev.orch.core.state.InMemoryStateStore;
import dev.orch.inmemory.InMemoryRuntime;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * An orchestrator started on a store that holds state resumes: specs applied, revision history kept, a
 * canary at its step with its pause clock, a paused rollout paused, a deletion finished, adopted replicas
 * untouched; and a store that fails writes makes Orch refuse or hold the change, never lose it.
 */
class OrchestratorRestartTest {
  private final VirtualTimeSource time = new VirtualTimeSource();
  private final InMemoryRuntime runtime = InMemoryRuntime.builder().timeSource(time).nodes(3, Resources.of("4", "8Gi"))
      .build();
  private final InMemoryStateStore store = new InMemoryStateStore();
  private Orchestrator orch = start();

  private Orchestrator start() {
    Orchestrator o = Orchestrator.builder().runtime(runtime).timeSource(time).stateStore(store)
        .terminationGrace(Duration.ofSeconds(1)).analysisCheck("always", m -> true).build();
    time.advance(Duration.ofMillis(100)); // start-up: nodes found, containers adopted
    return o;
  }

  private void restart() {
    orch.close();
    orch = start();
  }

  @AfterEach
  void close() {
    orch.close();
    runtime.close();
    store.close();
  }

  private static final RolloutStrategy CANARY = RolloutStrategy.canary().setWeight(25).pause(Duration.ofHours(1))
      .setWeight(50).analyze(Analysis.builder().interval(Duration.ofSeconds(10)).count(3).minRequests(0)
          .check("always").build()).build();

  private Set<String> containerIds() {
    return runtime.list(LabelSelector.of(OrchLabels.SERVICE, "web")).toCompletableFuture().join().stream()
        .map(ContainerInfo::id).collect(Collectors.toCollection(TreeSet::new));
  }

  private RolloutStatus rollout() {
    return orch.status("web").orElseThrow().rollout();
  }

  @Test
  void specsAndRevisionHistorySurviveARestartAndTheAdoptedReplicasAreKept() {
    orch.apply(VirtualClusterTest.web("web:1", RolloutStrategy.RollingUpdate.DEFAULT));
    time.advance(Duration.ofSeconds(10));
    orch.apply(VirtualClusterTest.web("web:2", RolloutStrategy.RollingUpdate.DEFAULT));
    time.advance(Duration.ofSeconds(30));
    assertTrue(orch.status("web").orElseThrow().isReady());
    ServiceSpec spec = orch.spec("web").orElseThrow();
    List<Revision> revisions = orch.revisions("web");
    Set<String> ids = containerIds();

    restart();
    assertEquals(spec, orch.spec("web").orElseThrow(), "the spec is applied again");
    assertEquals(revisions, orch.revisions("web"), "the revision history is kept");
    time.advance(Duration.ofSeconds(30));
    assertTrue(orch.status("web").orElseThrow().isReady());
    assertEquals(ids, containerIds(), "the adopted replicas keep serving: none replaced");
    assertEquals(revisions.get(0), orch.rollback("web"), "the earlier revision is still a rollback target");
    assertTrue(orch.events().recent().stream().anyMatch(e -> e.reason().equals("Restored")));
  }

  @Test
  void aCanaryGoesOnAtItsStepAndItsPauseKeepsItsClock() {
    orch.apply(VirtualClusterTest.web("web:1", CANARY));
    time.advance(Duration.ofSeconds(10));
    orch.apply(VirtualClusterTest.web("web:2", CANARY));
    time.advance(Duration.ofMinutes(30)); // at step 1, half-way through its hour
    RolloutStatus before = rollout();
    assertEquals(1, before.step(), before::toString);
    Set<String> ids = containerIds();

    restart();
    RolloutStatus after = rollout();
    assertEquals(before.step(), after.step(), after::toString);
    assertEquals(before.steps(), after.steps());
    assertEquals(before.weights(), after.weights());
    assertEquals(before.revision(), after.revision());
    assertEquals(before.stable(), after.stable());
    assertEquals(RolloutStatus.Phase.PAUSED, after.phase());
    assertEquals(ids, containerIds(), "the canary and stable replicas are the same ones");

    time.advance(Duration.ofMinutes(29));
    assertEquals(1, rollout().step(), () -> "still in the pause: " + rollout());
    time.advance(Duration.ofMinutes(2)); // the hour counted from before the restart (not 60 minutes from it)
    assertTrue(rollout().step() >= 2, () -> "past the pause: " + rollout());
    time.advance(Duration.ofMinutes(2));
    assertEquals(RolloutStatus.Phase.COMPLETE, rollout().phase(), () -> rollout().toString());
  }

  @Test
  void aPausedRolloutStaysPausedAndAnAnalysisGoesOnWithItsCount() {
    orch.apply(VirtualClusterTest.web("web:1", CANARY));
    time.advance(Duration.ofSeconds(10));
    orch.apply(VirtualClusterTest.web("web:2", CANARY));
    time.advance(Duration.ofSeconds(10));
    orch.pause("web");
    time.advance(Duration.ofSeconds(1));
    assertEquals(RolloutStatus.Phase.PAUSED, rollout().phase());
    restart();
    time.advance(Duration.ofHours(2));
    assertEquals(RolloutStatus.Phase.PAUSED, rollout().phase(), () -> "paused by pause(): " + rollout());
    assertEquals(1, rollout().step());
    orch.resume("web");
    // past the pause (its hour is over), to the analysis, until its first interval passed
    for (int i = 0; i < 60 && !rollout().reason().contains("1/3 passed"); i++) {
      time.advance(Duration.ofSeconds(1));
    }
    assertTrue(rollout().reason().contains("1/3 passed"), () -> rollout().toString());
    int step = rollout().step();

    restart();
    time.advance(Duration.ofSeconds(19));
    assertEquals(step, rollout().step(), () -> "two intervals to go: " + rollout());
    assertTrue(rollout().reason().contains("2/3 passed"), () -> "the count went on: " + rollout());
    time.advance(Duration.ofSeconds(2)); // 2 more intervals (20 s) pass it; had the count restarted, 3 (30 s)
    assertTrue(rollout().step() > step, () -> "the analysis passed: " + rollout());
    time.advance(Duration.ofMinutes(1));
    assertEquals(RolloutStatus.Phase.COMPLETE, rollout().phase(), () -> rollout().toString());
  }

  @Test
  void aDeletionCutShortByARestartIsFinished() {
    orch.apply(VirtualClusterTest.web("web:1", RolloutStrategy.RollingUpdate.DEFAULT));
    time.advance(Duration.ofSeconds(10));
    assertTrue(orch.delete("web"));
    restart(); // before any replica went
    time.advance(Duration.ofSeconds(30));
    assertEquals(Set.of(), containerIds());
    assertTrue(orch.services().isEmpty());
    assertEquals(List.of(StateSchema.KEY), store.list("").toCompletableFuture().join().stream()
        .map(r -> r.key()).toList(), "nothing is kept of a deleted service");
  }

  @Test
  void anApplyTheStoreCannotKeepIsRefusedAndChangesNothing() {
    ServiceSpec v1 = VirtualClusterTest.web("web:1", RolloutStrategy.RollingUpdate.DEFAULT);
    orch.apply(v1);
    time.advance(Duration.ofSeconds(10));
    store.failWrites("disk full");
    StateStoreException e = assertThrows(StateStoreException.class,
        () -> orch.apply(VirtualClusterTest.web("web:2", RolloutStrategy.RollingUpdate.DEFAULT)));
    assertTrue(e.getMessage().startsWith("apply web: ") && e.getMessage().contains("disk full"), e::getMessage);
    assertEquals(v1, orch.spec("web").orElseThrow());
    assertEquals(1, orch.revisions("web").size());
    assertThrows(StateStoreException.class, () -> orch.delete("web"));
    time.advance(Duration.ofSeconds(30));
    assertEquals(4, orch.status("web").orElseThrow().ready(), "nothing was acted on");

    store.healWrites();
    orch.apply(VirtualClusterTest.web("web:2", RolloutStrategy.RollingUpdate.DEFAULT));
    time.advance(Duration.ofSeconds(60));
    assertEquals(2, orch.revisions("web").size());
  }

  @Test
  void aRolloutHoldsWhileTheStoreFailsAndGoesOnWhenItHeals() {
    orch.apply(VirtualClusterTest.web("web:1", CANARY));
    time.advance(Duration.ofSeconds(10));
    orch.apply(VirtualClusterTest.web("web:2", CANARY));
    time.advance(Duration.ofSeconds(10));
    assertEquals(1, rollout().step());
    store.failWrites("etcd is away");
    time.advance(Duration.ofHours(1).plusSeconds(30)); // the pause ends, but setWeight 50 cannot be kept
    ServiceStatus held = orch.status("web").orElseThrow();
    assertTrue(held.conditions().stream().anyMatch(c -> c.type().equals("StateStored") && !c.status()
        && c.message().contains("etcd is away")), held::toString);
    long canaries = held.replicas().stream().filter(r -> r.revision().equals(rollout().revision())).count();
    assertEquals(1, canaries, "the canary is not scaled to 50% while its step cannot be kept");

    store.healWrites();
    time.advance(Duration.ofMinutes(2));
    assertTrue(orch.status("web").orElseThrow().conditions().stream().noneMatch(c -> c.type().equals("StateStored")));
    assertTrue(rollout().step() >= 2, () -> rollout().toString());
    restart();
    time.advance(Duration.ofMinutes(2));
    assertEquals(RolloutStatus.Phase.COMPLETE, rollout().phase(), () -> rollout().toString());
  }

  @Test
  void aStoreWithANewerSchemaIsRefused() {
    orch.close();
    store.put(StateSchema.KEY, StateSchema.value(StateSchema.CURRENT + 1), StateStore.ANY).toCompletableFuture()
        .join();
    UnsupportedSchemaException e = assertThrows(UnsupportedSchemaException.class, this::start);
    assertTrue(e.getMessage().contains("schema " + (StateSchema.CURRENT + 1)), e::getMessage);
    store.put(StateSchema.KEY, StateSchema.value(StateSchema.CURRENT), StateStore.ANY).toCompletableFuture().join();
    orch = start();
  }

  @Test
  void aSpecNamingACheckTheOrchestratorLacksIsRefusedAtApplyAndAtRestore() {
    RolloutStrategy canary = RolloutStrategy.canary().setWeight(50).analyze(Analysis.builder().check("missing")
        .build()).build();
    InvalidSpecException e = assertThrows(InvalidSpecException.class,
        () -> orch.apply(VirtualClusterTest.web("web:1", canary)));
    assertEquals("web.rollout.steps[1].analysis.checks[0]", e.violations().get(0).path(), e::getMessage);
    assertTrue(e.getMessage().contains("\"missing\"") && e.getMessage().contains("[always]"), e::getMessage);

    orch.apply(VirtualClusterTest.web("web:1", CANARY)); // names "always"
    orch.close();
    orch = Orchestrator.builder().runtime(runtime).timeSource(time).stateStore(store).build(); // no "always"
    time.advance(Duration.ofMillis(100));
    assertFalse(orch.spec("web").isPresent());
    assertTrue(orch.events().recent().stream().anyMatch(ev -> ev.reason().equals("RestoreRefused")
        && ev.message().contains("always")), () -> orch.events().recent().toString());
  }

  @Test
  void aPauseAskedJustBeforeARestartIsKept() {
    orch.apply(VirtualClusterTest.web("web:1", CANARY));
    time.advance(Duration.ofSeconds(10));
    orch.apply(VirtualClusterTest.web("web:2", CANARY));
    time.advance(Duration.ofSeconds(10));
    orch.pause("web");
    restart(); // before any pass carried the pause out: only the store has it
    time.advance(Duration.ofHours(2));
    assertEquals(RolloutStatus.Phase.PAUSED, rollout().phase(), () -> rollout().toString());
    assertEquals(1, rollout().step());
  }

  @Test
  void aPauseTheStoreCannotKeepIsRefusedAndChangesNothing() {
    orch.apply(VirtualClusterTest.web("web:1", CANARY));
    time.advance(Duration.ofSeconds(10));
    orch.apply(VirtualClusterTest.web("web:2", CANARY));
    time.advance(Duration.ofSeconds(10));
    store.failWrites("disk full");
    StateStoreException e = assertThrows(StateStoreException.class, () -> orch.pause("web"));
    assertTrue(e.getMessage().contains("disk full"), e::getMessage);
    store.healWrites();
    time.advance(Duration.ofHours(1).plusMinutes(2));
    assertTrue(rollout().step() >= 2, () -> "not paused: the pause was refused: " + rollout());
  }

  @Test
  void anAutomaticRollbackTheStoreRefusesIsOwedNotActedOnAndMadeWhenItHeals() {
    orch.close();
    orch = Orchestrator.builder().runtime(runtime).timeSource(time).stateStore(store)
        .terminationGrace(Duration.ofSeconds(1)).analysisCheck("never", m -> false).build();
    time.advance(Duration.ofMillis(100));
    RolloutStrategy bad = RolloutStrategy.canary().setWeight(25).analyze(Analysis.builder()
        .interval(Duration.ofSeconds(10)).count(3).minRequests(0).check("never").build()).build();
    ServiceSpec v1 = VirtualClusterTest.web("web:1", bad);
    orch.apply(v1);
    time.advance(Duration.ofSeconds(10));
    ServiceSpec v2 = VirtualClusterTest.web("web:2", bad);
    orch.apply(v2);
    time.advance(Duration.ofSeconds(5)); // in the analysis: its first interval ends in a few seconds
    store.failWrites("etcd is away");
    time.advance(Duration.ofSeconds(30));
    assertEquals(v2, orch.spec("web").orElseThrow(), "the rollback could not be kept: not made");
    assertTrue(orch.events().recent("web", 200).stream().noneMatch(e -> e.reason().equals("RolledBack")),
        "nor said");
    long canaries = orch.status("web").orElseThrow().replicas().stream()
        .filter(r -> r.revision().equals(dev.orch.core.util.Revisions.revision(v2))).count();
    assertEquals(1, canaries, "the abort that was not kept is not acted on: the canary stays");

    store.healWrites();
    time.advance(Duration.ofSeconds(30));
    assertEquals(v1, orch.spec("web").orElseThrow(), "the owed rollback is made once the store keeps it");
    assertTrue(orch.events().recent("web", 200).stream().anyMatch(e -> e.reason().equals("RolledBack")));
    orch.close();
    orch = Orchestrator.builder().runtime(runtime).timeSource(time).stateStore(store)
        .analysisCheck("never", m -> false).build();
    time.advance(Duration.ofMillis(100));
    assertEquals(v1, orch.spec("web").orElseThrow(), "kept");
  }

  @Test
  void theDeletionOfOwnedContainersOfAServiceNeverAppliedSurvivesARestart() {
    ContainerInfo ghost = runtime.create(new dev.orch.api.runtime.ContainerCreateRequest("ghost-0-x", "node-1",
        dev.orch.api.spec.ContainerSpec.builder("run-forever").build(), java.util.Map.of(OrchLabels.OWNER, "orch",
            OrchLabels.SERVICE, "ghost", OrchLabels.ORDINAL, "0", OrchLabels.REVISION, "r"))).toCompletableFuture()
        .join();
    runtime.start(ghost.id()).toCompletableFuture().join();
    restart(); // adopts it
    assertTrue(orch.delete("ghost"));
    restart(); // before it went
    time.advance(Duration.ofSeconds(30));
    assertEquals(List.of(), runtime.list(LabelSelector.of(OrchLabels.SERVICE, "ghost")).toCompletableFuture()
        .join(), "the deletion was kept, and finished");
  }

  @Test
  void aCordonKeepsNewReplicasOffItsNodeAndIsKeptAcrossARestart() {
    orch.cordon("node-1");
    orch.apply(VirtualClusterTest.web("web:1", RolloutStrategy.RollingUpdate.DEFAULT).withReplicas(6));
    time.advance(Duration.ofSeconds(10));
    assertTrue(runtime.list(LabelSelector.of(OrchLabels.SERVICE, "web")).toCompletableFuture().join().stream()
        .noneMatch(c -> c.nodeId().equals("node-1")), "no replica placed on the cordoned node");
    assertTrue(orch.nodes().stream().anyMatch(n -> n.id().equals("node-1") && n.message().contains("cordoned")));
    restart();
    assertEquals(List.of("node-1"), orch.cordoned(), "kept in the store");
    store.failWrites("disk full");
    assertThrows(StateStoreException.class, () -> orch.uncordon("node-1"));
    assertEquals(List.of("node-1"), orch.cordoned(), "a refused uncordon changed nothing");
    store.healWrites();
    orch.uncordon("node-1");
    restart();
    assertEquals(List.of(), orch.cordoned());
    IllegalArgumentException bad = assertThrows(IllegalArgumentException.class, () -> orch.cordon("node-9"));
    assertTrue(bad.getMessage().contains("node: \"node-9\": must be one of [node-1, node-2, node-3]"),
        bad::getMessage);
  }
}
