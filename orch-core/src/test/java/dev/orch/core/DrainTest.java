package dev.orch.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.orch.api.runtime.ContainerInfo;
import dev.orch.api.runtime.ContainerState;
import dev.orch.api.runtime.LabelSelector;
import dev.orch.api.runtime.OrchLabels;
import dev.orch.api.runtime.Subscription;
import dev.orch.api.spec.ContainerSpec;
import dev.orch.api.spec.Probe;
import dev.orch.api.spec.RolloutStrategy;
import dev.orch.api.spec.ServiceSpec;
import dev.orch.api.spec.Stateful;
import dev.orch.api.state.StateStore;
import dev.orch.core.state.InMemoryStateStore;
import dev.orch.inmemory.CallFault;
import dev.orch.inmemory.RuntimeOperation;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/**
 * {@link Orchestrator#drain} on the in-memory runtime: a stateful replica moves with its data, one at a time
 * and never two of one ordinal; a stateless service surges and never drops below its floor; a drain that
 * cannot finish says what it left and why; uncordon ends one; a restarted orchestrator goes on with one.
 */
class DrainTest extends VirtualClusterTest {

  private static ServiceSpec db(int replicas) {
    return ServiceSpec.builder("db").replicas(replicas)
        .container(ContainerSpec.builder("db:1").port("sql", 5432).requests("250m", "128Mi").build())
        .readiness(Probe.tcp("sql").withPeriod(Duration.ofSeconds(1)))
        .stateful(Stateful.builder().podManagement(Stateful.PodManagement.PARALLEL).volume("data", "/var/data")
            .build())
        .build();
  }

  private List<ContainerInfo> containers(String service) {
    return runtime.list(LabelSelector.of(OrchLabels.SERVICE, service)).toCompletableFuture().join();
  }

  private ContainerInfo replica(String name) {
    return containers("db").stream().filter(c -> c.name().equals(name)).findFirst().orElseThrow();
  }

  private void write(String replica, String text) {
    assertEquals(0, runtime.exec(replica(replica).id(), List.of("sh", "-c", "echo " + text + " > /var/data/f"),
        Duration.ofSeconds(1)).toCompletableFuture().join().exitCode());
  }

  private String read(String replica) {
    return runtime.exec(replica(replica).id(), List.of("cat", "/var/data/f"), Duration.ofSeconds(1))
        .toCompletableFuture().join().stdout().strip();
  }

  /** An orchestrator over {@link #runtime} that keeps its state in {@code store}. */
  private Orchestrator onStore(StateStore store) {
    return Orchestrator.builder().runtime(runtime).timeSource(time).stateStore(store)
        .terminationGrace(Duration.ofSeconds(1)).build();
  }

  /** The node holding the most replicas of {@code service}. */
  private String busiestNode(String service) {
    Map<String, Integer> count = new HashMap<>();
    containers(service).forEach(c -> count.merge(c.nodeId(), 1, Integer::sum));
    return count.entrySet().stream().max(Map.Entry.comparingByValue()).orElseThrow().getKey();
  }

  /** Advances time in small steps until {@code drain} completes, checking {@code invariant} at each. */
  private DrainReport advanceUntilDone(CompletableFuture<DrainReport> drain, Runnable invariant) {
    for (int i = 0; i < 3_000 && !drain.isDone(); i++) {
      time.advance(Duration.ofMillis(100));
      invariant.run();
    }
    assertTrue(drain.isDone(), "the drain ended within 300 s of virtual time");
    return drain.join();
  }

  @Test
  void aStatefulReplicaMovesWithItsDataOneAtATimeAndNeverTwiceAtOnce() {
    orch.apply(db(4));
    time.advance(Duration.ofSeconds(10));
    assertTrue(orch.status("db").orElseThrow().isReady());
    for (int k = 0; k < 4; k++) {
      write("db-" + k, "data" + k);
    }
    String node = busiestNode("db");
    List<String> there = containers("db").stream().filter(c -> c.nodeId().equals(node)).map(ContainerInfo::name)
        .sorted().toList();
    assertTrue(there.size() >= 2, "the busiest of 3 nodes holds at least 2 of 4");
    // Each volume call takes 3 s, as a copy of real data does: the drain must wait for the copies.
    Subscription slowVolumes = runtime.injectFault(CallFault.slow(Duration.ofSeconds(3))
        .operations(RuntimeOperation.VOLUME).build());

    DrainReport report = advanceUntilDone(orch.drain(node, Duration.ofMinutes(5)), () -> {
      Map<String, Integer> running = new HashMap<>();
      runtime.allContainers().stream().filter(c -> c.state() == ContainerState.RUNNING)
          .forEach(c -> running.merge(c.labels().get(OrchLabels.ORDINAL), 1, Integer::sum));
      running.forEach((k, n) -> assertTrue(n <= 1, "ordinal " + k + " runs " + n + " times at once"));
      ServiceStatus s = orch.status("db").orElseThrow();
      assertTrue(s.ready() >= 3, () -> "at most one replica down at once (maxUnavailable 1): " + s);
    });

    assertTrue(report.complete(), report::toString);
    assertEquals(there, report.moved());
    assertEquals(Map.of(), report.left());
    assertTrue(orch.status("db").orElseThrow().ordinals().stream().noneMatch(o -> o.node().equals(node)),
        () -> "complete once every replica's data left the node: " + orch.status("db"));
    slowVolumes.close();
    time.advance(Duration.ofSeconds(10));
    assertTrue(orch.status("db").orElseThrow().isReady());
    for (int k = 0; k < 4; k++) {
      assertFalse(replica("db-" + k).nodeId().equals(node), "db-" + k + " left " + node);
      assertEquals("data" + k, read("db-" + k), "db-" + k + " kept its data");
    }
    assertTrue(orch.volumes("db").stream().noneMatch(v -> v.node().equals(node)),
        () -> "the originals are removed once each replica is ready elsewhere: " + orch.volumes("db"));
    assertEquals(there.size(), orch.events().recent("db", 500).stream()
        .filter(e -> e.reason().equals("VolumesMoved")).count());
    assertEquals(List.of(node), orch.cordoned(), "the node stays cordoned");
    assertEquals(List.of(), orch.events().recent("db", 500).stream().filter(e -> e.type() == OrchEvent.Type.WARNING)
        .toList(), "a drain warns of nothing");
    for (OrdinalStatus o : orch.status("db").orElseThrow().ordinals()) {
      assertEquals(1, o.volumes().size());
      assertEquals(o.node(), o.volumes().get(0).node());
    }
  }

  @Test
  void aStatelessServiceSurgesAndNeverDropsBelowItsFloor() {
    orch.apply(web("web:1", RolloutStrategy.rollingUpdate()).withReplicas(6));
    time.advance(Duration.ofSeconds(10));
    String node = busiestNode("web");
    long there = containers("web").stream().filter(c -> c.nodeId().equals(node)).count();
    assertTrue(there >= 2, "the busiest of 3 nodes holds at least 2 of 6");

    // maxUnavailable 25% of 6 rounds down to 1: at least 5 ready throughout.
    DrainReport report = advanceUntilDone(orch.drain(node, Duration.ofMinutes(5)), () -> {
      ServiceStatus s = orch.status("web").orElseThrow();
      assertTrue(s.ready() >= 5, () -> "the floor is 5 ready: " + s);
      int total = containers("web").size();
      assertTrue(total <= 8, () -> "maxSurge 25% of 6 rounds up to 2: at most 8 at once, not " + total);
    });

    assertTrue(report.complete(), report::toString);
    assertEquals(there, report.moved().size());
    time.advance(Duration.ofSeconds(5));
    assertTrue(orch.status("web").orElseThrow().isReady());
    assertTrue(containers("web").stream().noneMatch(c -> c.nodeId().equals(node)));
    assertEquals(6, containers("web").size(), "every replica that left was replaced, once");
    assertTrue(orch.events().recent("web", 500).stream().noneMatch(e -> e.reason().equals("RolloutStarted")),
        "a drain is not a rollout");
  }

  @Test
  void aDrainThatCannotFinishSaysWhatItLeftAndWhy() {
    // Each replica takes 3 of a node's 4 CPUs: the other nodes have no room for the one on the drained node.
    ServiceSpec big = ServiceSpec.builder("big").replicas(3)
        .container(ContainerSpec.builder("big:1").port("http", 8080).requests("3", "128Mi").build())
        .build();
    orch.apply(big);
    time.advance(Duration.ofSeconds(5));
    ContainerInfo stays = containers("big").get(0);

    DrainReport report = advanceUntilDone(orch.drain(stays.nodeId(), Duration.ofSeconds(30)), () -> { });

    assertFalse(report.complete());
    assertEquals(List.of(), report.moved());
    assertEquals(List.of(stays.name()), List.copyOf(report.left().keySet()));
    assertTrue(report.left().get(stays.name()).contains("not placed"), report::toString);
    assertEquals(Duration.ofSeconds(30), report.took());
    assertEquals(ContainerState.RUNNING, runtime.inspect(stays.id()).toCompletableFuture().join().state(),
        "what is left keeps running");
    assertEquals(List.of(stays.nodeId()), orch.cordoned());
    assertTrue(orch.events().recent().stream().anyMatch(e -> e.reason().equals("DrainIncomplete")));
  }

  @Test
  void uncordonEndsADrain() {
    ServiceSpec big = ServiceSpec.builder("big").replicas(3)
        .container(ContainerSpec.builder("big:1").requests("3", "128Mi").build())
        .build();
    orch.apply(big);
    time.advance(Duration.ofSeconds(5));
    String node = containers("big").get(0).nodeId();
    CompletableFuture<DrainReport> drain = orch.drain(node, Duration.ofMinutes(10));
    time.advance(Duration.ofSeconds(2));
    orch.uncordon(node);
    DrainReport report = advanceUntilDone(drain, () -> { });
    assertFalse(report.complete());
    assertTrue(report.left().values().stream().allMatch(w -> w.contains("uncordon")), report::toString);
    assertEquals(List.of(), orch.cordoned());
  }

  @Test
  void aRestartedOrchestratorGoesOnDraining() {
    StateStore store = new InMemoryStateStore();
    orch.close();
    orch = onStore(store);
    orch.apply(db(2));
    time.advance(Duration.ofSeconds(10));
    write("db-1", "kept");
    String node = replica("db-1").nodeId();
    CompletableFuture<DrainReport> drain = orch.drain(node, Duration.ofMinutes(5));
    orch.close(); // before any replica moved
    assertTrue(drain.isDone(), "closing ends the drain");
    assertFalse(drain.join().complete(), drain.join()::toString);

    orch = onStore(store);
    time.advance(Duration.ofSeconds(60));
    assertEquals(List.of(node), orch.cordoned());
    assertFalse(replica("db-1").nodeId().equals(node), "the drain went on after the restart");
    assertEquals("kept", read("db-1"));
  }

  @Test
  void aMoveNeverOverwritesAVolumeOfTheOrdinalThatAnotherNodeHolds() {
    orch.apply(db(1));
    time.advance(Duration.ofSeconds(10));
    write("db-0", "current");
    String node = replica("db-0").nodeId();
    List<String> others = List.of("node-1", "node-2", "node-3").stream().filter(n -> !n.equals(node)).toList();
    for (String other : others) { // data an earlier db-0 left there (the node-loss policy, forceReplace)
      runtime.createVolume(other, "db-data-0", Map.of(OrchLabels.OWNER, orch.ownerId(), OrchLabels.SERVICE, "db",
          OrchLabels.ORDINAL, "0")).toCompletableFuture().join();
      runtime.writeVolumeFile(other, "db-data-0", "/f", "earlier");
    }

    DrainReport report = advanceUntilDone(orch.drain(node, Duration.ofSeconds(30)), () -> { });

    assertFalse(report.complete(), "no node may take db-0's volumes: " + report);
    for (String other : others) {
      assertEquals(java.util.Optional.of("earlier"), runtime.readVolumeFile(other, "db-data-0", "/f"), other);
    }
    assertEquals(java.util.Optional.of("current\n"), runtime.readVolumeFile(node, "db-data-0", "/f"));
  }

  @Test
  void anOrchestratorThatRestartsMidCopyRemovesTheCutShortCopyAndMovesAgain() {
    StateStore store = new InMemoryStateStore();
    orch.close();
    orch = onStore(store);
    orch.apply(db(1));
    time.advance(Duration.ofSeconds(10));
    write("db-0", "kept");
    String node = replica("db-0").nodeId();
    Subscription slowVolumes = runtime.injectFault(CallFault.slow(Duration.ofSeconds(5))
        .operations(RuntimeOperation.VOLUME).build());
    orch.drain(node, Duration.ofMinutes(5));
    for (int i = 0; i < 100 && orch.events().recent("db", 100).stream().noneMatch(e -> e.message().contains(
        "being copied")) && !orch.status("db").orElseThrow().ordinals().get(0).waiting().contains("being copied"); i++) {
      time.advance(Duration.ofMillis(100));
    }
    assertTrue(orch.status("db").orElseThrow().ordinals().get(0).waiting().contains("being copied"),
        () -> "a copy is under way: " + orch.status("db"));
    orch.close(); // mid-copy: the store holds the move as not copied
    slowVolumes.close();
    time.advance(Duration.ofSeconds(10)); // the runtime finishes the copy nobody waits for

    orch = onStore(store);
    time.advance(Duration.ofSeconds(60));
    assertTrue(orch.status("db").orElseThrow().isReady(), () -> orch.status("db").toString());
    assertFalse(replica("db-0").nodeId().equals(node));
    assertEquals("kept", read("db-0"));
    assertEquals(List.of(replica("db-0").nodeId()), runtime.allVolumes().stream()
        .filter(v -> v.name().equals("db-data-0")).map(dev.orch.api.runtime.VolumeInfo::nodeId).toList(),
        "one volume left, under the replica");
    assertEquals(List.of(), store.list(orch.ownerId() + "/moves/").toCompletableFuture().join(), "no move kept");
    assertTrue(orch.events().recent("db", 100).stream().anyMatch(e -> e.reason().equals("VolumesMoved")),
        "the copy nobody saw verified was not trusted: it was removed and made again");
  }

  @Test
  void aSecondDrainOfANodeJoinsTheFirst() {
    orch.apply(db(2));
    time.advance(Duration.ofSeconds(10));
    String node = replica("db-1").nodeId();
    CompletableFuture<DrainReport> first = orch.drain(node, Duration.ofMinutes(5));
    CompletableFuture<DrainReport> second = orch.drain(node, Duration.ofMinutes(10));
    assertTrue(first == second, "the same drain");
    DrainReport report = advanceUntilDone(second, () -> { });
    assertTrue(report.complete(), report::toString);
  }

  @Test
  void badInputIsRefusedNamingTheRule() {
    IllegalArgumentException unknown = assertThrows(IllegalArgumentException.class,
        () -> orch.drain("node-9", Duration.ofMinutes(1)));
    assertTrue(unknown.getMessage().contains("node: \"node-9\": must be one of [node-1, node-2, node-3]"),
        unknown::getMessage);
    IllegalArgumentException zero = assertThrows(IllegalArgumentException.class,
        () -> orch.drain("node-1", Duration.ZERO));
    assertTrue(zero.getMessage().contains("timeout: PT0S: must be positive and at most 365 days"), zero::getMessage);
    assertThrows(IllegalArgumentException.class, () -> orch.drain("node-1", Duration.ofSeconds(Long.MAX_VALUE)));
    assertEquals(List.of(), orch.cordoned(), "a refused drain cordons nothing");
  }
}
