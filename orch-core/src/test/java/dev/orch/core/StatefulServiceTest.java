package dev.orch.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.orch.api.runtime.ContainerInfo;
import dev.orch.api.runtime.LabelSelector;
import dev.orch.api.runtime.OrchLabels;
import dev.orch.api.spec.ContainerSpec;
import dev.orch.api.spec.Probe;
import dev.orch.api.spec.ServiceSpec;
import dev.orch.api.spec.Stateful;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * Stateful services on the in-memory runtime: stable names, OrderedReady creation and scale-down, volumes that
 * follow an ordinal (retained or deleted), updates from the highest ordinal down to the partition, a broken
 * update that recovers when the spec is reverted, and an ordinal that never runs twice while its node is
 * partitioned until a person forces it.
 */
class StatefulServiceTest extends VirtualClusterTest {

  private static ServiceSpec db(String image, int replicas, Stateful.Builder mode) {
    return ServiceSpec.builder("db").replicas(replicas)
        .container(ContainerSpec.builder(image).port("sql", 5432).requests("250m", "128Mi").build())
        .readiness(Probe.tcp("sql").withPeriod(Duration.ofSeconds(1)))
        .stateful(mode.volume("data", "/var/data").build())
        .build();
  }

  private Map<String, ContainerInfo> byName() {
    return runtime.list(LabelSelector.of(OrchLabels.SERVICE, "db")).toCompletableFuture().join().stream()
        .collect(Collectors.toMap(ContainerInfo::name, c -> c, (a, b) -> a, TreeMap::new));
  }

  private List<String> created() {
    return orch.events().recent("db", 500).stream().filter(e -> e.reason().equals("Created"))
        .map(OrchEvent::replica).toList();
  }

  private void write(String replica, String text) {
    ContainerInfo c = byName().get(replica);
    assertEquals(0, runtime.exec(c.id(), List.of("sh", "-c", "echo " + text + " > /var/data/f"), Duration.ofSeconds(1))
        .toCompletableFuture().join().exitCode());
  }

  private String read(String replica) {
    ContainerInfo c = byName().get(replica);
    return runtime.exec(c.id(), List.of("cat", "/var/data/f"), Duration.ofSeconds(1)).toCompletableFuture().join()
        .stdout().strip();
  }

  @Test
  void orderedReadyCreatesEachOrdinalOnceTheOnesBelowAreReadyUnderAStableName() {
    orch.apply(db("db:1", 3, Stateful.builder()));
    time.advance(Duration.ofMillis(10));
    assertEquals(List.of("db-0"), List.copyOf(byName().keySet()), "db-1 waits for db-0 to be ready");
    assertTrue(orch.status("db").orElseThrow().pending().stream().anyMatch(p -> p.ordinal() == 1
        && p.reason().contains("OrderedReady")), () -> orch.status("db").toString());
    time.advance(Duration.ofSeconds(10));
    assertEquals(List.of("db-0", "db-1", "db-2"), created());
    assertEquals(List.of("db-0", "db-1", "db-2"), List.copyOf(byName().keySet()));
    assertTrue(orch.status("db").orElseThrow().isReady());
  }

  @Test
  void scaleDownGoesFromTheTopAndARetainedVolumeComesBackWithItsData() {
    orch.apply(db("db:1", 3, Stateful.builder()));
    time.advance(Duration.ofSeconds(10));
    write("db-2", "two");
    String node2 = byName().get("db-2").nodeId();
    orch.scale("db", 1);
    time.advance(Duration.ofSeconds(10));
    assertEquals(List.of("db-0"), List.copyOf(byName().keySet()));
    List<String> gone = orch.events().recent("db", 500).stream().filter(e -> e.reason().equals("ScaledDown"))
        .map(OrchEvent::replica).toList();
    assertEquals(List.of("db-2", "db-1"), gone, "the highest first, the next once it is gone");
    List<ServiceVolume> volumes = orch.volumes("db");
    assertEquals(List.of("db-data-0", "db-data-1", "db-data-2"), volumes.stream().map(ServiceVolume::name).toList());
    assertEquals(List.of(true, false, false), volumes.stream().map(ServiceVolume::inUse).toList());

    orch.scale("db", 3);
    time.advance(Duration.ofSeconds(10));
    assertEquals(node2, byName().get("db-2").nodeId(), "db-2 goes back to the node holding its volume");
    assertEquals("two", read("db-2"), "and finds its data");
  }

  @Test
  void deleteRetentionRemovesTheVolumesOfOrdinalsScaledAwayAndOfADeletedService() {
    orch.apply(db("db:1", 2, Stateful.builder().whenScaled(Stateful.Retention.DELETE)
        .whenDeleted(Stateful.Retention.DELETE)));
    time.advance(Duration.ofSeconds(10));
    orch.scale("db", 1);
    time.advance(Duration.ofSeconds(10));
    assertEquals(List.of("db-data-0"), orch.volumes("db").stream().map(ServiceVolume::name).toList());
    assertTrue(orch.delete("db"));
    time.advance(Duration.ofSeconds(10));
    assertEquals(List.of(), orch.volumes("db"));
    assertTrue(orch.status("db").isEmpty() && byName().isEmpty());
  }

  @Test
  void aRetainedVolumeCanBeListedAndDeletedButNotOneInUse() {
    orch.apply(db("db:1", 2, Stateful.builder()));
    time.advance(Duration.ofSeconds(10));
    IllegalStateException inUse = assertThrows(IllegalStateException.class, () -> orch.deleteVolume("db",
        "db-data-1"));
    assertTrue(inUse.getMessage().contains("in use by replica 1"), inUse::getMessage);
    orch.scale("db", 1);
    time.advance(Duration.ofSeconds(10));
    assertTrue(orch.deleteVolume("db", "db-data-1"));
    assertEquals(List.of("db-data-0"), orch.volumes("db").stream().map(ServiceVolume::name).toList());
    assertEquals(false, orch.deleteVolume("db", "db-data-1"));
  }

  @Test
  void anUpdateGoesFromTheHighestOrdinalDownToThePartition() {
    orch.apply(db("db:1", 3, Stateful.builder().update(Stateful.Update.rolling(1, 1))));
    time.advance(Duration.ofSeconds(10));
    orch.apply(db("db:2", 3, Stateful.builder().update(Stateful.Update.rolling(1, 1))));
    time.advance(Duration.ofSeconds(30));
    Map<String, ContainerInfo> now = byName();
    assertEquals("db:1", now.get("db-0").image(), "below the partition: not moved");
    assertEquals("db:2", now.get("db-1").image());
    assertEquals("db:2", now.get("db-2").image());
    List<String> updated = orch.events().recent("db", 500).stream().filter(e -> e.reason().equals("Updating"))
        .map(OrchEvent::replica).toList();
    assertEquals(List.of("db-2", "db-1"), updated, "from the highest down, one at a time");
  }

  @Test
  void anAddedVolumeTemplateReachesEachReplicaAtItsNextReplacementInUpdateOrderAndTheDataStays() {
    orch.apply(db("db:1", 3, Stateful.builder()));
    time.advance(Duration.ofSeconds(10));
    for (int k = 0; k < 3; k++) {
      write("db-" + k, "data" + k);
    }
    orch.apply(db("db:1", 3, Stateful.builder().volume("logs", "/var/logs")));
    time.advance(Duration.ofSeconds(30));
    assertEquals(List.of("db-2", "db-1", "db-0"), orch.events().recent("db", 500).stream()
        .filter(e -> e.reason().equals("Updating")).map(OrchEvent::replica).toList(), "in update order");
    for (int k = 0; k < 3; k++) {
      assertEquals("data" + k, read("db-" + k), "db-" + k + " kept its data");
      String node = byName().get("db-" + k).nodeId();
      assertTrue(runtime.volumeFiles(node, "db-logs-" + k).isEmpty(), "db-" + k + " has its new, empty volume");
    }
    assertTrue(orch.status("db").orElseThrow().ordinals().stream().allMatch(o -> o.volumes().size() == 2));
  }

  @Test
  void withTheNodeLossPolicyALostReplicaIsRecreatedEmptyElsewhereAfterTheBoundNamingTheDataLeft() {
    orch.apply(db("db:1", 2, Stateful.builder().nodeLoss(Stateful.NodeLoss.recreateEmptyAfter(Duration.ofSeconds(60)))));
    time.advance(Duration.ofSeconds(10));
    write("db-1", "lost");
    String node = byName().get("db-1").nodeId();
    runtime.failNode(node);
    time.advance(Duration.ofSeconds(40));
    assertEquals(List.of(), runtime.allContainers().stream().filter(c -> "db".equals(c.labels().get(
        OrchLabels.SERVICE)) && c.labels().get(OrchLabels.ORDINAL).equals("1")).map(ContainerInfo::nodeId).toList(),
        "within the bound it waits for its node (the failed node's containers are gone): none created elsewhere");
    assertTrue(orch.events().recent("db", 500).stream().noneMatch(e -> e.reason().equals("RecreatedEmpty")));
    time.advance(Duration.ofSeconds(40));
    OrchEvent warning = orch.events().recent("db", 500).stream().filter(e -> e.reason().equals("RecreatedEmpty"))
        .findFirst().orElseThrow(() -> new AssertionError(orch.events().recent("db", 50).toString()));
    assertEquals(OrchEvent.Type.WARNING, warning.type());
    assertTrue(warning.message().contains("db-data-1") && warning.message().contains(node), warning::toString);
    time.advance(Duration.ofSeconds(10));
    ContainerInfo again = byName().values().stream().filter(c -> c.labels().get(OrchLabels.ORDINAL).equals("1"))
        .findFirst().orElseThrow();
    assertTrue(!again.nodeId().equals(node), "elsewhere");
    assertEquals("", runtime.exec(again.id(), List.of("sh", "-c", "cat /var/data/f 2>/dev/null"),
        Duration.ofSeconds(1)).toCompletableFuture().join().stdout().strip(), "with empty volumes");
  }

  @Test
  void aBrokenUpdateRecoversWhenTheSpecIsRevertedWithNoManualStep() {
    orch.apply(db("db:1", 3, Stateful.builder()));
    time.advance(Duration.ofSeconds(10));
    orch.apply(db("not-ready:from=0s:to=1000h", 3, Stateful.builder()));
    time.advance(Duration.ofSeconds(30));
    assertEquals("not-ready:from=0s:to=1000h", byName().get("db-2").image(), "db-2 moved and never became ready");
    assertEquals("db:1", byName().get("db-1").image(), "the update waits on it: db-1 is not touched");
    orch.apply(db("db:1", 3, Stateful.builder())); // reverted
    time.advance(Duration.ofSeconds(10));
    assertEquals("db:1", byName().get("db-2").image(), "the broken replica is replaced at once");
    assertTrue(orch.status("db").orElseThrow().isReady());
  }

  @Test
  void aRollbackRestoresTheVolumeTemplatesOfTheRevisionItGoesBackTo() {
    ServiceSpec good = db("db:1", 2, Stateful.builder());
    orch.apply(good);
    time.advance(Duration.ofSeconds(10));
    String goodRevision = orch.status("db").orElseThrow().replicas().get(0).revision();
    orch.apply(db("not-ready:from=0s:to=1000h", 2, Stateful.builder().volume("logs", "/var/logs")));
    time.advance(Duration.ofSeconds(30));
    Revision back = orch.rollback("db");
    assertEquals(goodRevision, back.id());
    assertEquals(good.stateful().orElseThrow().volumes(), back.volumes(), "the revision kept its templates");
    assertEquals(good, orch.spec("db").orElseThrow(), "the spec rolled back is the good one, templates and all");
    time.advance(Duration.ofSeconds(30));
    assertTrue(orch.status("db").orElseThrow().isReady());
    assertTrue(orch.status("db").orElseThrow().replicas().stream().allMatch(r -> r.revision().equals(goodRevision)),
        () -> orch.status("db").toString());
  }

  @Test
  void anOrdinalNeverRunsTwiceWhileItsNodeIsPartitionedUntilAPersonForcesIt() {
    orch.apply(db("db:1", 2, Stateful.builder()));
    time.advance(Duration.ofSeconds(10));
    ContainerInfo one = byName().get("db-1");
    runtime.partitionNode(one.nodeId());
    time.advance(Duration.ofMinutes(5)); // far past the node-lost grace
    assertEquals(0, runtime.list(LabelSelector.of(OrchLabels.ORDINAL, "1")).toCompletableFuture().join().stream()
        .filter(c -> c.labels().get(OrchLabels.SERVICE).equals("db")).count(),
        "no second db-1 while the first, on the partitioned node (which lists nothing), may still run");
    assertTrue(orch.events().recent("db", 500).stream().noneMatch(e -> e.reason().equals("Created")
        && e.replica().equals("db-1") && e.time().isAfter(one.createdAt())));
    OrdinalStatus waits = orch.status("db").orElseThrow().ordinals().get(1);
    assertEquals(List.of("db-data-1"), waits.volumes().stream().map(ServiceVolume::name).toList());
    assertEquals(one.nodeId(), waits.node());
    assertTrue(waits.waiting().contains("is lost; waiting for it"), waits::toString);

    orch.forceReplace("db", 1);
    time.advance(Duration.ofSeconds(10));
    assertTrue(orch.events().recent("db", 500).stream().anyMatch(e -> e.reason().equals("ForceReplaced")
        && e.message().contains("two replicas of ordinal 1")), () -> orch.events().recent("db", 50).toString());
    assertEquals(2, orch.status("db").orElseThrow().ready(), () -> orch.status("db").toString());
    assertTrue(!orch.status("db").orElseThrow().isReady(), "not settled while the given-up replica may run");
    runtime.healPartition(one.nodeId());
    time.advance(Duration.ofSeconds(30));
    List<ContainerInfo> ones = runtime.list(LabelSelector.of(OrchLabels.SERVICE, "db")).toCompletableFuture().join()
        .stream().filter(c -> c.labels().get(OrchLabels.ORDINAL).equals("1")).toList();
    assertEquals(1, ones.size(), () -> "the given-up db-1 goes once its node answers: " + ones);
    assertTrue(!ones.get(0).id().equals(one.id()));
    assertTrue(orch.status("db").orElseThrow().isReady(), () -> orch.status("db").toString());
  }

  @Test
  void aRestartedOrchestratorRemovesTheGivenUpReplicaNotItsSuccessorWhenBothAreSeen() {
    dev.orch.api.state.StateStore store = new dev.orch.core.state.InMemoryStateStore();
    orch.close();
    orch = Orchestrator.builder().runtime(runtime).timeSource(time).stateStore(store)
        .terminationGrace(Duration.ofSeconds(1)).build();
    orch.apply(db("db:1", 2, Stateful.builder()));
    time.advance(Duration.ofSeconds(10));
    ContainerInfo one = byName().get("db-1");
    runtime.partitionNode(one.nodeId());
    time.advance(Duration.ofMinutes(1));
    orch.forceReplace("db", 1);
    time.advance(Duration.ofSeconds(10));
    ContainerInfo successor = byName().values().stream().filter(c -> c.name().startsWith("db-1-")).findFirst()
        .orElseThrow(() -> new AssertionError("a successor of db-1 runs elsewhere: " + byName()));

    orch.close();
    orch = Orchestrator.builder().runtime(runtime).timeSource(time).stateStore(store)
        .terminationGrace(Duration.ofSeconds(1)).build();
    runtime.healPartition(one.nodeId());
    time.advance(Duration.ofSeconds(30));
    List<String> ones = runtime.list(LabelSelector.of(OrchLabels.ORDINAL, "1")).toCompletableFuture().join()
        .stream().map(ContainerInfo::id).toList();
    assertEquals(List.of(successor.id()), ones, "the given-up db-1 goes, its successor stays");
    assertTrue(orch.status("db").orElseThrow().isReady(), () -> orch.status("db").toString());
  }

  @Test
  void aStagedUpdateIsNotRolledBackForLeavingTheOrdinalsBelowThePartition() {
    orch.apply(db("db:1", 3, Stateful.builder().update(Stateful.Update.rolling(1, 1))));
    time.advance(Duration.ofSeconds(10));
    orch.apply(db("db:2", 3, Stateful.builder().update(Stateful.Update.rolling(1, 1))));
    time.advance(Duration.ofMinutes(12)); // past the 600 s progress deadline
    assertEquals("db:2", orch.spec("db").orElseThrow().container().image(), "no automatic rollback");
    assertEquals("db:1", byName().get("db-0").image());
    assertEquals("db:2", byName().get("db-2").image());
  }

  @Test
  void aTemplateNameWithADashIsRefusedSoThatVolumeNamesStayUnambiguous() {
    dev.orch.api.spec.InvalidSpecException e = assertThrows(dev.orch.api.spec.InvalidSpecException.class,
        () -> ServiceSpec.builder("db").container(ContainerSpec.builder("db:1").build())
            .stateful(Stateful.builder().volume("a-b", "/x").build()).build());
    assertTrue(e.getMessage().contains("db.stateful.volumes[0].name: \"a-b\": must be 1 to 40 lowercase letters"),
        e::getMessage);
  }

  @Test
  void turningAnAppliedServiceStatefulOrChangingItsPodManagementIsRefusedAndChangesNothing() {
    ServiceSpec stateless = ServiceSpec.builder("db").replicas(2).container(ContainerSpec.builder("db:1").build())
        .build();
    orch.apply(stateless);
    dev.orch.api.spec.InvalidSpecException on = assertThrows(dev.orch.api.spec.InvalidSpecException.class,
        () -> orch.apply(db("db:1", 2, Stateful.builder())));
    assertEquals("db.stateful: ORDERED_READY: must stay none while the service is applied (delete it, then apply "
        + "it again)", on.violations().get(0).toString());
    assertEquals(stateless, orch.spec("db").orElseThrow(), "nothing changed");
    orch.delete("db");
    time.advance(Duration.ofSeconds(5));
    orch.apply(db("db:1", 2, Stateful.builder()));
    dev.orch.api.spec.InvalidSpecException parallel = assertThrows(dev.orch.api.spec.InvalidSpecException.class,
        () -> orch.apply(db("db:1", 2, Stateful.builder().podManagement(Stateful.PodManagement.PARALLEL))));
    assertEquals("db.stateful.podManagement: PARALLEL: must stay ORDERED_READY while the service is applied "
        + "(delete it, then apply it again)", parallel.violations().get(0).toString());
  }

  @Test
  void aRestartedOrchestratorDoesNotCreateAnOrdinalItHasNotSeenWhileANodeDoesNotAnswer() {
    ServiceSpec spec = ServiceSpec.builder("db").replicas(2)
        .container(ContainerSpec.builder("db:1").requests("250m", "128Mi").build())
        .stateful(Stateful.builder().build()).build(); // no volume: only Orch's own rule keeps db-1 single
    orch.apply(spec);
    time.advance(Duration.ofSeconds(10));
    ContainerInfo one = byName().get("db-1");
    runtime.partitionNode(one.nodeId());
    orch.close();
    orch = newOrchestrator();
    orch.apply(spec);
    time.advance(Duration.ofMinutes(2));
    assertEquals(1, runtime.allContainers().stream().filter(c -> c.labels().get(OrchLabels.SERVICE).equals("db")
        && c.labels().get(OrchLabels.ORDINAL).equals("1")).count(), "db-1 still runs once, on the silent node");
    assertTrue(orch.status("db").orElseThrow().pending().stream().anyMatch(p -> p.ordinal() == 1
        && p.reason().contains("have not answered since")), () -> orch.status("db").toString());
    runtime.healPartition(one.nodeId());
    time.advance(Duration.ofSeconds(30));
    assertTrue(orch.status("db").orElseThrow().isReady(), () -> orch.status("db").toString());
    assertEquals(one.id(), byName().get("db-1").id(), "the same db-1, adopted once its node answers");
  }

  @Test
  void aVolumeOnANodeThatDoesNotAnswerIsNotCalledMissing() {
    orch.apply(db("db:1", 2, Stateful.builder()));
    time.advance(Duration.ofSeconds(10));
    String node = byName().get("db-1").nodeId();
    orch.scale("db", 1);
    time.advance(Duration.ofSeconds(10));
    runtime.partitionNode(node);
    time.advance(Duration.ofSeconds(10));
    IllegalStateException e = assertThrows(IllegalStateException.class, () -> orch.deleteVolume("db", "db-data-1"));
    assertTrue(e.getMessage().contains("do not: it may be there"), e::getMessage);
    runtime.healPartition(node);
    time.advance(Duration.ofSeconds(10));
    assertTrue(orch.deleteVolume("db", "db-data-1"));
  }

  @Test
  void thePlanOfAStatefulUpdateGoesFromTheTopDownToThePartitionWithoutSurge() {
    orch.apply(db("db:1", 5, Stateful.builder()));
    RolloutPlan plan = orch.plan(db("db:2", 5, Stateful.builder().update(Stateful.Update.rolling(1, 2))));
    assertEquals("Stateful", plan.strategy());
    assertEquals(List.of("replace replicas 4..3", "replace replicas 2..1"), plan.steps().stream()
        .map(RolloutStep::action).toList());
    RolloutStep last = plan.steps().get(1);
    assertEquals(Map.of(plan.from(), 1, plan.to(), 4), last.replicas(), "replica 0, below the partition, stays");
    assertEquals(3, last.minAvailable());
    assertEquals(5, last.maxTotal(), "no surge");
  }

  @Test
  void aNodeThatFallsSilentAfterItWasListedDoesNotHoldBackANewOrdinal() {
    orch.apply(db("db:1", 2, Stateful.builder()));
    time.advance(Duration.ofSeconds(10));
    String idle = runtime.nodes().toCompletableFuture().join().stream().map(n -> n.id())
        .filter(n -> byName().values().stream().noneMatch(c -> c.nodeId().equals(n))).findFirst().orElseThrow();
    runtime.partitionNode(idle); // listed since this orchestrator started: nothing of db can be there
    orch.scale("db", 3);
    time.advance(Duration.ofSeconds(10));
    assertTrue(byName().containsKey("db-2"), () -> "db-2 is created: " + orch.status("db"));
  }
}
