package dev.orch.core.scheduler;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.orch.api.runtime.NodeInfo;
import dev.orch.api.spec.AntiAffinity;
import dev.orch.api.spec.ContainerSpec;
import dev.orch.api.spec.Placement;
import dev.orch.api.spec.PortSpec;
import dev.orch.api.spec.Protocol;
import dev.orch.api.spec.Resources;
import dev.orch.api.spec.ServiceSpec;
import dev.orch.api.spec.Taint;
import dev.orch.api.spec.TaintEffect;
import dev.orch.api.spec.Toleration;
import dev.orch.api.spec.TopologySpread;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class SchedulerTest {
  static NodeInfo node(String id, String cpu, String mem, Map<String, String> labels) {
    return new NodeInfo(id, labels, List.of(), Resources.of(cpu, mem), true);
  }

  static ReplicaRequest replica(String service, String id, String cpu, String mem) {
    return ReplicaRequest.builder(service, id).requests(Resources.of(cpu, mem)).build();
  }

  private final Scheduler scheduler = Scheduler.builder().seed(42).build();

  @Test
  void placesAndReservesAtOnce() {
    ClusterSnapshot s = ClusterSnapshot.of(List.of(node("n1", "1", "1Gi", Map.of())));
    PlacementResult first = scheduler.place(s, replica("web", "web-0", "600m", "256Mi"));
    assertEquals(new PlacementResult.Placed("n1"), first);
    assertEquals(Resources.of("600m", "256Mi"), s.requested("n1"));
    PlacementResult second = scheduler.place(s, replica("web", "web-1", "600m", "256Mi"));
    PlacementResult.Unschedulable u = assertInstanceOf(PlacementResult.Unschedulable.class, second);
    assertEquals("0/1 nodes fit: 1 insufficient cpu", u.message());
    assertTrue(scheduler.release(s, "web-0"));
    assertTrue(scheduler.place(s, replica("web", "web-1", "600m", "256Mi")).placed());
  }

  @Test
  void explainsRefusalsCountedPerReasonLargestFirst() {
    List<NodeInfo> nodes = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      nodes.add(node("eu-" + i, "4", "1Gi", Map.of("zone", "eu")));
    }
    nodes.add(node("us-0", "4", "8Gi", Map.of("zone", "us")));
    nodes.add(node("us-1", "4", "8Gi", Map.of("zone", "us")));
    ClusterSnapshot s = ClusterSnapshot.of(nodes);
    ReplicaRequest r = ReplicaRequest.builder("db", "db-0").requests(Resources.of("1", "2Gi"))
        .placement(Placement.builder().nodeSelector("zone", "eu").build()).build();
    PlacementResult.Unschedulable u = assertInstanceOf(PlacementResult.Unschedulable.class, scheduler.place(s, r));
    assertEquals("0/5 nodes fit: 3 insufficient memory, 2 missing label zone=eu", u.message());
    assertEquals(List.of("insufficient memory", "missing label zone=eu"), List.copyOf(u.reasons().keySet()));
    assertEquals(0, s.replicaCount());

    Explanation e = scheduler.explain(s, r);
    assertEquals(5, e.verdicts().size());
    assertEquals(Optional.of("insufficient memory"), e.verdicts().get(0).reason());
    assertEquals(Optional.empty(), e.best());
    assertEquals(u.message(), e.message());
  }

  @Test
  void explainScoresEveryFeasibleNode() {
    ClusterSnapshot s = ClusterSnapshot.of(List.of(node("a", "2", "2Gi", Map.of()), node("b", "4", "4Gi", Map.of()),
        node("c", "1", "1Gi", Map.of())));
    Explanation e = scheduler.explain(s, replica("web", "web-0", "1500m", "1Gi"));
    assertEquals("2/3 nodes fit: 1 insufficient cpu", e.message());
    assertEquals(Optional.of("b"), e.best()); // least allocated by default
    assertTrue(e.verdicts().get(1).score() > e.verdicts().get(0).score());
    assertTrue(Double.isNaN(e.verdicts().get(2).score()));
  }

  @Test
  void filtersNotReadyTaintsAndHostPorts() {
    NodeInfo down = node("down", "4", "4Gi", Map.of()).withReady(false);
    NodeInfo gpu = new NodeInfo("gpu", Map.of(), List.of(Taint.noSchedule("gpu", "true")), Resources.of("4", "4Gi"),
        true);
    NodeInfo web = node("web", "4", "4Gi", Map.of());
    ClusterSnapshot s = ClusterSnapshot.of(List.of(down, gpu, web));
    ReplicaRequest p80 = ReplicaRequest.builder("lb", "lb-0").hostPort(80, Protocol.TCP).build();
    assertEquals(new PlacementResult.Placed("web"), scheduler.place(s, p80));
    ReplicaRequest again = ReplicaRequest.builder("lb2", "lb2-0").hostPort(80, Protocol.TCP).build();
    PlacementResult.Unschedulable u = assertInstanceOf(PlacementResult.Unschedulable.class,
        scheduler.place(s, again));
    assertEquals("0/3 nodes fit: 1 host port 80/TCP in use, 1 node not ready, 1 untolerated taint gpu=true:NO_SCHEDULE",
        u.message());
    ReplicaRequest udp = ReplicaRequest.builder("dns", "dns-0").hostPort(80, Protocol.UDP).build();
    assertEquals(new PlacementResult.Placed("web"), scheduler.place(s, udp));
    ReplicaRequest tolerant = ReplicaRequest.builder("lb3", "lb3-0").hostPort(80, Protocol.TCP)
        .placement(Placement.builder().tolerate(Toleration.exists("gpu")).build()).build();
    assertEquals(new PlacementResult.Placed("gpu"), scheduler.place(s, tolerant));
  }

  @Test
  void preferNoScheduleTaintIsAvoidedNotRefused() {
    NodeInfo tainted = new NodeInfo("tainted", Map.of(),
        List.of(new Taint("spot", "", TaintEffect.PREFER_NO_SCHEDULE)), Resources.of("4", "4Gi"), true);
    ClusterSnapshot s = ClusterSnapshot.of(List.of(tainted, node("plain", "4", "4Gi", Map.of())));
    assertEquals(new PlacementResult.Placed("plain"), scheduler.place(s, replica("a", "a-0", "100m", "64Mi")));
    s.setReady("plain", false);
    assertEquals(new PlacementResult.Placed("tainted"), scheduler.place(s, replica("a", "a-1", "100m", "64Mi")));
  }

  @Test
  void nodeLocalVolumeBindsToItsNode() {
    ClusterSnapshot s = ClusterSnapshot.of(List.of(node("a", "4", "4Gi", Map.of()), node("b", "4", "4Gi", Map.of())));
    ReplicaRequest r = replica("db", "db-0", "1", "1Gi").withBoundNode("b");
    assertEquals(new PlacementResult.Placed("b"), scheduler.place(s, r));
    scheduler.release(s, "db-0");
    s.setReady("b", false);
    PlacementResult.Unschedulable u = assertInstanceOf(PlacementResult.Unschedulable.class, scheduler.place(s, r));
    assertEquals("0/2 nodes fit: 1 node not ready, 1 node-local volume is on node b", u.message());
  }

  @Test
  void hardAntiAffinityAndSoftAntiAffinity() {
    ClusterSnapshot s = ClusterSnapshot.of(List.of(node("a", "4", "4Gi", Map.of()), node("b", "4", "4Gi", Map.of())));
    Placement hard = Placement.builder().antiAffinity(AntiAffinity.HARD).build();
    List<String> used = new ArrayList<>();
    for (int i = 0; i < 2; i++) {
      ReplicaRequest r = ReplicaRequest.builder("kv", "kv-" + i).placement(hard).build();
      used.add(((PlacementResult.Placed) scheduler.place(s, r)).nodeId());
    }
    assertEquals(2, used.stream().distinct().count());
    PlacementResult third = scheduler.place(s, ReplicaRequest.builder("kv", "kv-2").placement(hard).build());
    assertEquals("0/2 nodes fit: 2 replica anti-affinity", third.toString());

    // Soft: the emptier node loses to the one without a replica of the service.
    ClusterSnapshot t = ClusterSnapshot.of(List.of(node("big", "64", "64Gi", Map.of()),
        node("small", "2", "2Gi", Map.of())));
    Placement soft = Placement.builder().antiAffinity(AntiAffinity.SOFT).build();
    t.addReplica(ReplicaRequest.builder("kv", "kv-0").placement(soft).build(), "big");
    assertEquals(new PlacementResult.Placed("small"),
        scheduler.place(t, ReplicaRequest.builder("kv", "kv-1").placement(soft).build()));
  }

  @Test
  void hardSpreadKeepsSkewWithinMax() {
    List<NodeInfo> nodes = new ArrayList<>();
    for (String zone : List.of("a", "b", "c")) {
      for (int i = 0; i < 3; i++) {
        nodes.add(node(zone + i, zone.equals("a") ? "64" : "4", "64Gi", Map.of("zone", zone)));
      }
    }
    nodes.add(node("nozone", "64", "64Gi", Map.of()));
    ClusterSnapshot s = ClusterSnapshot.of(nodes);
    Placement spread = Placement.builder().spread(TopologySpread.hard("zone", 1)).build();
    Scheduler binPack = Scheduler.builder().score(Scores.mostAllocated(), 1).build();
    Map<String, Integer> perZone = new HashMap<>();
    for (int i = 0; i < 9; i++) {
      ReplicaRequest r = ReplicaRequest.builder("api", "api-" + i).requests(Resources.of("100m", "64Mi"))
          .placement(spread).build();
      String nodeId = ((PlacementResult.Placed) binPack.place(s, r)).nodeId();
      perZone.merge(s.node(nodeId).orElseThrow().labels().get("zone"), 1, Integer::sum);
    }
    assertEquals(Map.of("a", 3, "b", 3, "c", 3), perZone);
  }

  @Test
  void gangPlacesAllOrNothing() {
    ClusterSnapshot s = ClusterSnapshot.of(List.of(node("a", "2", "4Gi", Map.of()), node("b", "2", "4Gi", Map.of())));
    List<ReplicaRequest> fits = List.of(replica("job", "job-0", "1", "1Gi"), replica("job", "job-1", "2", "1Gi"),
        replica("job", "job-2", "1", "1Gi"));
    GangResult ok = scheduler.placeGang(s, fits);
    assertTrue(ok.placed());
    assertEquals(List.of("job-0", "job-1", "job-2"), List.copyOf(((GangResult.Placed) ok).nodes().keySet()));
    assertEquals(3, s.replicaCount());

    List<ReplicaRequest> tooBig = List.of(replica("big", "big-0", "100m", "1Gi"),
        replica("big", "big-1", "100m", "64Gi"));
    GangResult no = scheduler.placeGang(s, tooBig);
    GangResult.Unschedulable u = assertInstanceOf(GangResult.Unschedulable.class, no);
    assertEquals("big-1", u.replicaId());
    assertEquals(3, s.replicaCount()); // nothing reserved for the failed gang
    assertEquals(Optional.empty(), s.nodeOf("big-0"));
    assertThrows(IllegalArgumentException.class, () -> scheduler.placeGang(s,
        List.of(replica("dup", "dup-0", "1m", "1Mi"), replica("dup", "dup-0", "1m", "1Mi"))));
    assertThrows(IllegalArgumentException.class, () -> scheduler.placeGang(s,
        List.of(replica("new", "new-0", "1m", "1Mi"), replica("job", "job-0", "1m", "1Mi"))));
    assertEquals(3, s.replicaCount());
  }

  @Test
  void preemptionNamesTheSmallestSetOfLowerPriorityReplicas() {
    ClusterSnapshot s = ClusterSnapshot.of(List.of(node("a", "4", "8Gi", Map.of()), node("b", "4", "8Gi", Map.of())));
    // a: four small low-priority replicas; b: one large low-priority and one equal-priority replica.
    for (int i = 0; i < 4; i++) {
      s.addReplica(ReplicaRequest.builder("batch", "batch-" + i).requests(Resources.of("1", "1Gi")).priority(1)
          .build(), "a");
    }
    s.addReplica(ReplicaRequest.builder("bulk", "bulk-0").requests(Resources.of("3", "1Gi")).priority(1).build(),
        "b");
    s.addReplica(ReplicaRequest.builder("peer", "peer-0").requests(Resources.of("1", "1Gi")).priority(5).build(),
        "b");
    ReplicaRequest urgent = ReplicaRequest.builder("urgent", "urgent-0").requests(Resources.of("3", "1Gi"))
        .priority(5).build();
    PlacementResult.Unschedulable u = assertInstanceOf(PlacementResult.Unschedulable.class,
        scheduler.place(s, urgent));
    assertEquals(Optional.of(new Preemption("b", List.of("bulk-0"))), u.preemption());
    assertEquals(u.preemption(), scheduler.preemptionFor(s, urgent));

    // Equal priority is never preempted.
    ReplicaRequest peer = ReplicaRequest.builder("x", "x-0").requests(Resources.of("3", "1Gi")).priority(1).build();
    PlacementResult.Unschedulable none = assertInstanceOf(PlacementResult.Unschedulable.class,
        scheduler.place(s, peer));
    assertEquals(Optional.empty(), none.preemption());

    for (String victim : u.preemption().orElseThrow().victims()) {
      scheduler.release(s, victim);
    }
    assertEquals(new PlacementResult.Placed("b"), scheduler.place(s, urgent));
  }

  @Test
  void preemptionFreesAConflictingHostPort() {
    ClusterSnapshot s = ClusterSnapshot.of(List.of(node("a", "4", "8Gi", Map.of())));
    s.addReplica(ReplicaRequest.builder("old", "old-0").hostPort(443, Protocol.TCP).priority(0).build(), "a");
    ReplicaRequest r = ReplicaRequest.builder("new", "new-0").hostPort(443, Protocol.TCP).priority(1).build();
    PlacementResult.Unschedulable u = assertInstanceOf(PlacementResult.Unschedulable.class, scheduler.place(s, r));
    assertEquals(Optional.of(new Preemption("a", List.of("old-0"))), u.preemption());
  }

  @Test
  void userFilterAndScorePlugIn() {
    Filter notDraining = new Filter() {
      @Override
      public boolean accepts(ReplicaRequest replica, NodeView node) {
        return !"true".equals(node.labels().get("draining"));
      }

      @Override
      public String reason(ReplicaRequest replica, NodeView node) {
        return "node is draining";
      }
    };
    Score preferFast = (replica, node) -> "fast".equals(node.labels().get("disk")) ? 1 : 0;
    Scheduler custom = Scheduler.builder().filter(notDraining).score(preferFast, 1).build();
    ClusterSnapshot s = ClusterSnapshot.of(List.of(node("slow", "4", "4Gi", Map.of("disk", "slow")),
        node("fast", "4", "4Gi", Map.of("disk", "fast")), node("old", "4", "4Gi", Map.of("draining", "true"))));
    assertEquals(new PlacementResult.Placed("fast"), custom.place(s, replica("a", "a-0", "1", "1Gi")));
    s.setReady("slow", false);
    ReplicaRequest big = replica("a", "a-1", "3500m", "1Gi");
    assertEquals("0/3 nodes fit: 1 insufficient cpu, 1 node is draining, 1 node not ready",
        custom.place(s, big).toString());
  }

  @Test
  void sameSeedSamePlacements() {
    List<NodeInfo> nodes = new ArrayList<>();
    for (int i = 0; i < 300; i++) {
      nodes.add(node("n" + i, "8", "16Gi", Map.of("zone", "z" + i % 3)));
    }
    List<String> first = placeMany(Scheduler.builder().seed(7).build(), nodes);
    List<String> again = placeMany(Scheduler.builder().seed(7).build(), nodes);
    List<String> other = placeMany(Scheduler.builder().seed(8).build(), nodes);
    assertEquals(first, again);
    assertFalse(first.equals(other), "another seed breaks ties differently");
  }

  private static List<String> placeMany(Scheduler scheduler, List<NodeInfo> nodes) {
    ClusterSnapshot s = ClusterSnapshot.of(nodes);
    List<String> out = new ArrayList<>();
    for (int i = 0; i < 200; i++) {
      out.add(((PlacementResult.Placed) scheduler.place(s, replica("s" + i % 7, "r" + i, "100m", "128Mi"))).nodeId());
    }
    return out;
  }

  @Test
  void nodesComeAndGo() {
    ClusterSnapshot s = ClusterSnapshot.of(List.of(node("a", "4", "4Gi", Map.of()), node("b", "4", "4Gi", Map.of())));
    s.addReplica(replica("web", "web-0", "1", "1Gi"), "a");
    s.addReplica(replica("web", "web-1", "1", "1Gi"), "a");
    assertEquals(List.of("web-0", "web-1"), s.removeNode("a").stream().sorted().toList());
    assertEquals(1, s.nodeCount());
    assertEquals(0, s.replicaCount());
    s.putNode(node("c", "4", "4Gi", Map.of("zone", "x")));
    ReplicaRequest r = ReplicaRequest.builder("web", "web-0")
        .placement(Placement.builder().nodeSelector("zone", "x").build()).build();
    assertEquals(new PlacementResult.Placed("c"), scheduler.place(s, r));
    assertThrows(IllegalArgumentException.class, () -> scheduler.place(s, r));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> s.addReplica(replica("x", "x-0", "1", "1Gi"), "gone"));
    assertEquals("nodeId: \"gone\": no such node in the snapshot", e.getMessage());
  }

  @Test
  void emptySnapshotSaysSo() {
    ClusterSnapshot s = ClusterSnapshot.of(List.of());
    assertEquals("0/0 nodes fit: the snapshot has no nodes", scheduler.place(s, replica("a", "a-0", "1", "1Gi"))
        .toString());
  }

  @Test
  void requestFromSpec() {
    ServiceSpec spec = ServiceSpec.builder("orders").priority(3).label("tier", "backend")
        .container(ContainerSpec.builder("orders:1").requests("250m", "128Mi")
            .port(PortSpec.tcp("http", 8080).withHostPort(18080)).build())
        .build();
    ReplicaRequest r = ReplicaRequest.of(spec, "orders-1").withBoundNode("n1");
    assertEquals("orders", r.service());
    assertEquals(Resources.of("250m", "128Mi"), r.requests());
    assertEquals(List.of(new ReplicaRequest.HostPort(18080, Protocol.TCP)), r.hostPorts());
    assertEquals(3, r.priority());
    assertEquals(Map.of("tier", "backend"), r.labels());
    assertEquals(Optional.of("n1"), r.boundNode());
  }

  @Test
  void metricsGoToTheGivenRegistry() {
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    Scheduler measured = Scheduler.builder().meterRegistry(registry).build();
    ClusterSnapshot s = ClusterSnapshot.of(List.of(node("a", "1", "1Gi", Map.of())));
    measured.place(s, replica("a", "a-0", "1", "1Gi"));
    measured.place(s, replica("a", "a-1", "1", "1Gi"));
    assertEquals(1.0, registry.get("orch.scheduler.placements").counter().count());
    assertEquals(1.0, registry.get("orch.scheduler.unschedulable").counter().count());
    assertEquals(2L, registry.get("orch.scheduler.placement.duration").timer().count());
  }

  @Test
  void badBuilderInputNamesTheField() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> Scheduler.builder().percentageOfNodesToScore(101));
    assertEquals("percentageOfNodesToScore: 101: must be between 0 (adaptive) and 100 (all)", e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> Scheduler.builder().score(Scores.leastAllocated(), -1));
    IllegalArgumentException neg = assertThrows(IllegalArgumentException.class,
        () -> ReplicaRequest.builder("a", "a-0").requests(Resources.ofMillis(-1, 0)).build());
    assertEquals("a-0.requests.cpu: -1m: must be >= 0", neg.getMessage());
    Map<String, String> labels = new LinkedHashMap<>();
    assertThrows(IllegalArgumentException.class, () -> ReplicaRequest.builder(" ", "x").labels(labels).build());
  }

  @Test
  void samplingScoresAShareOfLargeClusters() {
    PlacementKernel adaptive = new PlacementKernel(new double[6], new Filter[0], new Score[0], new double[0], 0);
    assertEquals(50, adaptive.feasibleToFind(50));
    assertEquals(420, adaptive.feasibleToFind(1000));
    assertEquals(500, adaptive.feasibleToFind(5000));
    assertEquals(100, adaptive.feasibleToFind(120));
    PlacementKernel all = new PlacementKernel(new double[6], new Filter[0], new Score[0], new double[0], 100);
    assertEquals(5000, all.feasibleToFind(5000));
  }

  @Test
  void refusesNullArgumentsNamingThem() {
    ClusterSnapshot s = ClusterSnapshot.of(List.of(node("n1", "1", "1Gi", Map.of())));
    assertEquals("snapshot", assertThrows(NullPointerException.class,
        () -> scheduler.explain(null, replica("web", "web-0", "100m", "64Mi"))).getMessage());
    assertEquals("labels", assertThrows(NullPointerException.class,
        () -> ReplicaRequest.builder("web", "web-0").labels(null)).getMessage());
    assertEquals("nodeId", assertThrows(NullPointerException.class, () -> s.node(null)).getMessage());
  }
}
