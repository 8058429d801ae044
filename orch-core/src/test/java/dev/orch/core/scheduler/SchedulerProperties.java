package dev.orch.core.scheduler;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.orch.api.runtime.NodeInfo;
import dev.orch.api.spec.AntiAffinity;
import dev.orch.api.spec.Placement;
import dev.orch.api.spec.Protocol;
import dev.orch.api.spec.Resources;
import dev.orch.api.spec.Taint;
import dev.orch.api.spec.TaintEffect;
import dev.orch.api.spec.Toleration;
import dev.orch.api.spec.TopologySpread;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;

/**
 * Invariants of the scheduler on small random clusters, checked against {@link Oracle}, a brute-force
 * restatement of every filter that looks at every node.
 */
class SchedulerProperties {

  @Property(tries = 200)
  void neverOvercommitsCpuMemoryOrPorts(@ForAll @IntRange(min = 1, max = 12) int nodeCount,
                                        @ForAll @IntRange(min = 1, max = 40) int replicaCount,
                                        @ForAll long seed) {
    World w = World.random(new Random(seed), nodeCount, replicaCount);
    ClusterSnapshot s = ClusterSnapshot.of(w.nodes);
    Scheduler scheduler = Scheduler.builder().seed(seed).build();
    Map<String, String> placedOn = new HashMap<>();
    for (ReplicaRequest r : w.requests) {
      if (scheduler.place(s, r) instanceof PlacementResult.Placed p) {
        placedOn.put(r.replicaId(), p.nodeId());
      }
    }
    for (NodeInfo n : w.nodes) {
      long cpu = 0;
      long mem = 0;
      Set<ReplicaRequest.HostPort> ports = new HashSet<>();
      for (ReplicaRequest r : w.requests) {
        if (n.id().equals(placedOn.get(r.replicaId()))) {
          cpu += r.requests().cpuMillis();
          mem += r.requests().memoryBytes();
          for (ReplicaRequest.HostPort port : r.hostPorts()) {
            assertTrue(ports.add(port), () -> n.id() + ": host port " + port + " used twice");
          }
        }
      }
      assertTrue(cpu <= n.capacity().cpuMillis(), n.id() + ": cpu overcommitted");
      assertTrue(mem <= n.capacity().memoryBytes(), n.id() + ": memory overcommitted");
      assertEquals(Resources.ofMillis(cpu, mem), s.requested(n.id()));
    }
  }

  @Property(tries = 200)
  void unschedulableExactlyWhenNoNodePassesEveryFilter(@ForAll @IntRange(min = 1, max = 12) int nodeCount,
                                                       @ForAll @IntRange(min = 1, max = 40) int replicaCount,
                                                       @ForAll long seed) {
    World w = World.random(new Random(seed), nodeCount, replicaCount);
    ClusterSnapshot s = ClusterSnapshot.of(w.nodes);
    Scheduler scheduler = Scheduler.builder().seed(seed).build();
    Oracle oracle = new Oracle(w.nodes);
    for (ReplicaRequest r : w.requests) {
      List<String> feasible = oracle.feasible(r);
      PlacementResult result = scheduler.place(s, r);
      if (result instanceof PlacementResult.Placed p) {
        assertTrue(feasible.contains(p.nodeId()), () -> r + " placed on " + p.nodeId() + ", oracle: " + feasible);
        oracle.place(r, p.nodeId());
      } else {
        PlacementResult.Unschedulable u = (PlacementResult.Unschedulable) result;
        assertEquals(List.of(), feasible, () -> r + " refused: " + u.message());
        assertEquals(w.nodes.size(), u.reasons().values().stream().mapToInt(Integer::intValue).sum(),
            () -> "reasons add up to the node count: " + u.message());
        assertTrue(u.message().startsWith("0/" + w.nodes.size() + " nodes fit: "), u.message());
      }
    }
  }

  @Property(tries = 25)
  void samplingLargeClustersNeverMissesAFeasibleNode(@ForAll @IntRange(min = 101, max = 400) int nodeCount,
                                                     @ForAll @IntRange(min = 1, max = 60) int replicaCount,
                                                     @ForAll long seed) {
    World w = World.random(new Random(seed), nodeCount, replicaCount);
    ClusterSnapshot s = ClusterSnapshot.of(w.nodes);
    Scheduler scheduler = Scheduler.builder().seed(seed).percentageOfNodesToScore(seed % 2 == 0 ? 0 : 5).build();
    Oracle oracle = new Oracle(w.nodes);
    for (ReplicaRequest r : w.requests) {
      List<String> feasible = oracle.feasible(r);
      PlacementResult result = scheduler.place(s, r);
      if (result instanceof PlacementResult.Placed p) {
        assertTrue(feasible.contains(p.nodeId()), () -> r + " placed on " + p.nodeId());
        oracle.place(r, p.nodeId());
      } else {
        assertEquals(List.of(), feasible, result::toString);
      }
    }
  }

  @Property(tries = 200)
  void nodesLostRelabelledOrNotReadyKeepTheOracleAgreement(@ForAll @IntRange(min = 2, max = 12) int nodeCount,
                                                            @ForAll @IntRange(min = 2, max = 40) int replicaCount,
                                                            @ForAll long seed) {
    Random random = new Random(seed);
    World w = World.random(random, nodeCount, replicaCount);
    ClusterSnapshot s = ClusterSnapshot.of(w.nodes);
    Scheduler scheduler = Scheduler.builder().seed(seed).build();
    Map<String, String> placedOn = new HashMap<>();
    Map<String, ReplicaRequest> byId = new HashMap<>();
    int half = w.requests.size() / 2;
    for (ReplicaRequest r : w.requests.subList(0, half)) {
      byId.put(r.replicaId(), r);
      if (scheduler.place(s, r) instanceof PlacementResult.Placed p) {
        placedOn.put(r.replicaId(), p.nodeId());
      }
    }
    List<NodeInfo> nodes = new ArrayList<>(w.nodes);
    for (int change = 0; change < 3; change++) {
      int k = random.nextInt(nodes.size());
      NodeInfo n = nodes.get(k);
      switch (random.nextInt(4)) {
        case 0 -> {
          List<String> lost = s.removeNode(n.id());
          List<String> expected = new ArrayList<>();
          placedOn.forEach((id, node) -> {
            if (node.equals(n.id())) {
              expected.add(id);
            }
          });
          assertEquals(expected.stream().sorted().toList(), lost.stream().sorted().toList());
          lost.forEach(placedOn::remove);
          nodes.remove(k);
        }
        case 1 -> {
          s.setReady(n.id(), !n.ready());
          nodes.set(k, n.withReady(!n.ready()));
        }
        case 2 -> {
          Map<String, String> labels = new HashMap<>(n.labels());
          labels.put("zone", List.of("a", "b", "c", "d").get(random.nextInt(4)));
          NodeInfo relabelled = new NodeInfo(n.id(), labels, n.taints(), n.capacity(), n.ready());
          s.putNode(relabelled);
          nodes.set(k, relabelled);
        }
        default -> {
          NodeInfo added = new NodeInfo("new" + change, Map.of("zone", "a", "disk", "ssd"), List.of(),
              Resources.ofMillis(2000, 2L << 30), true);
          s.putNode(added);
          nodes.add(added);
        }
      }
      if (nodes.size() == 1) {
        break;
      }
    }
    Oracle oracle = new Oracle(nodes);
    placedOn.forEach((id, node) -> oracle.place(byId.get(id), node));
    for (ReplicaRequest r : w.requests.subList(half, w.requests.size())) {
      List<String> feasible = oracle.feasible(r);
      PlacementResult result = scheduler.place(s, r);
      if (result instanceof PlacementResult.Placed p) {
        assertTrue(feasible.contains(p.nodeId()), () -> r + " placed on " + p.nodeId() + ", oracle: " + feasible);
        oracle.place(r, p.nodeId());
      } else {
        assertEquals(List.of(), feasible, result::toString);
        assertEquals(nodes.size(), ((PlacementResult.Unschedulable) result).reasons().values().stream()
            .mapToInt(Integer::intValue).sum());
      }
    }
  }

  @Property(tries = 200)
  void aGangThatDoesNotFitWholeReservesNothing(@ForAll @IntRange(min = 1, max = 8) int nodeCount,
                                               @ForAll @IntRange(min = 1, max = 30) int replicaCount,
                                               @ForAll long seed) {
    World w = World.random(new Random(seed), nodeCount, replicaCount);
    ClusterSnapshot s = ClusterSnapshot.of(w.nodes);
    Scheduler scheduler = Scheduler.builder().seed(seed).build();
    int half = w.requests.size() / 2;
    scheduler.placeEach(s, w.requests.subList(0, half));
    Map<String, Resources> before = new HashMap<>();
    w.nodes.forEach(n -> before.put(n.id(), s.requested(n.id())));
    int replicasBefore = s.replicaCount();
    GangResult result = scheduler.placeGang(s, w.requests.subList(half, w.requests.size()));
    if (result instanceof GangResult.Placed placed) {
      assertEquals(replicasBefore + placed.nodes().size(), s.replicaCount());
      placed.nodes().forEach((id, node) -> assertEquals(java.util.Optional.of(node), s.nodeOf(id)));
    } else {
      assertEquals(replicasBefore, s.replicaCount());
      w.nodes.forEach(n -> assertEquals(before.get(n.id()), s.requested(n.id())));
    }
  }

  @Property(tries = 200)
  void hardConstraintsAlwaysHold(@ForAll @IntRange(min = 1, max = 12) int nodeCount,
                                 @ForAll @IntRange(min = 1, max = 40) int replicaCount, @ForAll long seed) {
    World w = World.random(new Random(seed), nodeCount, replicaCount);
    ClusterSnapshot s = ClusterSnapshot.of(w.nodes);
    Scheduler scheduler = Scheduler.builder().seed(seed).score(Scores.mostAllocated(), 1).build();
    Oracle oracle = new Oracle(w.nodes);
    for (ReplicaRequest r : w.requests) {
      if (scheduler.place(s, r) instanceof PlacementResult.Placed p) {
        oracle.place(r, p.nodeId());
      }
    }
    for (Map.Entry<String, Placement> e : w.profiles.entrySet()) {
      String service = e.getKey();
      Placement placement = e.getValue();
      if (placement.antiAffinity() == AntiAffinity.HARD) {
        Map<String, Integer> perNode = oracle.countPerNode(service);
        assertTrue(perNode.values().stream().allMatch(c -> c <= 1), () -> service + " shares a node: " + perNode);
      }
      for (TopologySpread spread : placement.spread()) {
        if (spread.hard()) {
          ReplicaRequest probe = ReplicaRequest.builder(service, "probe").placement(placement).build();
          Map<String, Integer> counts = oracle.domainCounts(service, spread.topologyKey());
          Set<String> eligible = oracle.eligibleDomains(probe, spread.topologyKey());
          int min = eligible.stream().mapToInt(d -> counts.getOrDefault(d, 0)).min().orElse(0);
          int max = eligible.stream().mapToInt(d -> counts.getOrDefault(d, 0)).max().orElse(0);
          assertTrue(max - min <= spread.maxSkew(), () -> service + " skew " + counts + " over " + eligible);
        }
      }
    }
  }

  @Property(tries = 200)
  void softConstraintsArePreferredWhenPossible(@ForAll @IntRange(min = 1, max = 12) int nodeCount,
                                               @ForAll @IntRange(min = 1, max = 30) int replicaCount,
                                               @ForAll long seed) {
    World w = World.random(new Random(seed), nodeCount, replicaCount);
    ClusterSnapshot s = ClusterSnapshot.of(w.nodes);
    Scheduler scheduler = Scheduler.builder().seed(seed).build();
    Oracle oracle = new Oracle(w.nodes);
    for (ReplicaRequest r : w.requests) {
      List<String> feasible = oracle.feasible(r);
      Placement p = r.placement();
      List<TopologySpread> soft = p.spread().stream().filter(t -> !t.hard()).toList();
      boolean softAnti = p.antiAffinity() == AntiAffinity.SOFT;
      List<String> preferred = new ArrayList<>();
      for (String node : feasible) {
        boolean ok = !softAnti || oracle.countPerNode(r.service()).getOrDefault(node, 0) == 0;
        for (TopologySpread t : soft) {
          ok &= oracle.spreadAllows(r, t, node);
        }
        if (ok) {
          preferred.add(node);
        }
      }
      PlacementResult result = scheduler.place(s, r);
      if (result instanceof PlacementResult.Placed placed) {
        oracle.place(r, placed.nodeId());
        if ((softAnti ^ !soft.isEmpty()) && soft.size() <= 1 && !preferred.isEmpty()) {
          assertTrue(preferred.contains(placed.nodeId()),
              () -> r + " went to " + placed.nodeId() + " though " + preferred + " keep its soft constraints");
        }
      }
    }
  }

  @Property(tries = 100)
  void sameInputsAndSeedSamePlacements(@ForAll @IntRange(min = 1, max = 12) int nodeCount,
                                       @ForAll @IntRange(min = 1, max = 40) int replicaCount, @ForAll long seed) {
    World w = World.random(new Random(seed), nodeCount, replicaCount);
    assertEquals(run(w, seed), run(w, seed));
  }

  private static List<String> run(World w, long seed) {
    ClusterSnapshot s = ClusterSnapshot.of(w.nodes);
    Scheduler scheduler = Scheduler.builder().seed(seed).build();
    List<String> out = new ArrayList<>();
    for (ReplicaRequest r : w.requests) {
      out.add(scheduler.place(s, r).toString());
    }
    return out;
  }

  @Property(tries = 200)
  void preemptionNamesTheSmallestSetOfStrictlyLowerPriority(@ForAll @IntRange(min = 1, max = 6) int nodeCount,
                                                            @ForAll @IntRange(min = 1, max = 30) int replicaCount,
                                                            @ForAll long seed) {
    Random random = new Random(seed);
    World w = World.random(random, nodeCount, replicaCount);
    ClusterSnapshot s = ClusterSnapshot.of(w.nodes);
    Scheduler scheduler = Scheduler.builder().seed(seed).build();
    Oracle oracle = new Oracle(w.nodes);
    for (ReplicaRequest r : w.requests) {
      if (scheduler.place(s, r) instanceof PlacementResult.Placed p) {
        oracle.place(r, p.nodeId());
      }
    }
    ReplicaRequest urgent = ReplicaRequest.builder("urgent", "urgent-0")
        .requests(Resources.ofMillis(500 + random.nextInt(3000), (256L + random.nextInt(3000)) << 20))
        .priority(random.nextInt(5))
        .hostPort(80, Protocol.TCP)
        .build();
    PlacementResult result = scheduler.place(s, urgent);
    if (!(result instanceof PlacementResult.Unschedulable u)) {
      return;
    }
    int smallest = oracle.smallestPreemption(urgent);
    if (u.preemption().isEmpty()) {
      assertEquals(-1, smallest, "a preemption exists but none was named");
      return;
    }
    Preemption plan = u.preemption().get();
    assertEquals(smallest, plan.victims().size(), () -> "not the smallest set: " + plan);
    for (String victim : plan.victims()) {
      assertTrue(oracle.priorityOf(victim) < urgent.priority(), () -> victim + " has no lower priority");
      scheduler.release(s, victim);
    }
    assertEquals(new PlacementResult.Placed(plan.nodeId()), scheduler.place(s, urgent));
  }

  /** A random cluster and a batch of replicas of a few services, each service with one placement. */
  static final class World {
    final List<NodeInfo> nodes = new ArrayList<>();
    final List<ReplicaRequest> requests = new ArrayList<>();
    final Map<String, Placement> profiles = new HashMap<>();

    static World random(Random rnd, int nodeCount, int replicaCount) {
      World w = new World();
      String[] zones = {"a", "b", "c"};
      for (int i = 0; i < nodeCount; i++) {
        Map<String, String> labels = new HashMap<>();
        if (rnd.nextInt(10) > 0) {
          labels.put("zone", zones[rnd.nextInt(zones.length)]);
        }
        labels.put("disk", rnd.nextBoolean() ? "ssd" : "hdd");
        List<Taint> taints = new ArrayList<>();
        if (rnd.nextInt(5) == 0) {
          taints.add(Taint.noSchedule("dedicated", "x"));
        }
        if (rnd.nextInt(10) == 0) {
          taints.add(new Taint("spot", "", TaintEffect.PREFER_NO_SCHEDULE));
        }
        Resources cap = Resources.ofMillis(500L * (1 + rnd.nextInt(8)), (512L << 20) * (1 + rnd.nextInt(8)));
        w.nodes.add(new NodeInfo("n" + i, labels, taints, cap, rnd.nextInt(8) > 0));
      }
      int services = 1 + rnd.nextInt(4);
      int[] priority = new int[services];
      int[] port = new int[services];
      for (int k = 0; k < services; k++) {
        Placement.Builder p = Placement.builder();
        if (rnd.nextInt(5) == 0) {
          p.nodeSelector(rnd.nextBoolean() ? "zone" : "disk", rnd.nextBoolean() ? "a" : "ssd");
        }
        if (rnd.nextInt(3) == 0) {
          p.tolerate(Toleration.exists("dedicated"));
        }
        p.antiAffinity(AntiAffinity.values()[rnd.nextInt(3)]);
        int spread = rnd.nextInt(4);
        if (spread == 1) {
          p.spread(TopologySpread.hard("zone", 1 + rnd.nextInt(2)));
        } else if (spread == 2) {
          p.spread(TopologySpread.soft("zone", 1 + rnd.nextInt(2)));
        }
        w.profiles.put("s" + k, p.build());
        priority[k] = rnd.nextInt(4);
        port[k] = rnd.nextInt(4) == 0 ? 80 + rnd.nextInt(2) : 0;
      }
      for (int i = 0; i < replicaCount; i++) {
        int k = rnd.nextInt(services);
        ReplicaRequest.Builder b = ReplicaRequest.builder("s" + k, "s" + k + "-" + i)
            .requests(Resources.ofMillis(rnd.nextInt(1500), (long) rnd.nextInt(1024) << 20))
            .placement(w.profiles.get("s" + k))
            .priority(priority[k]);
        if (port[k] != 0) {
          b.hostPort(port[k], Protocol.TCP);
        }
        if (rnd.nextInt(15) == 0) {
          b.boundNode("n" + rnd.nextInt(nodeCount));
        }
        w.requests.add(b.build());
      }
      return w;
    }
  }

  /** Every filter restated plainly, over every node, with its own record of placements. */
  static final class Oracle {
    private final List<NodeInfo> nodes;
    private final Map<String, ReplicaRequest> replicas = new HashMap<>();
    private final Map<String, String> nodeOf = new HashMap<>();

    Oracle(List<NodeInfo> nodes) {
      this.nodes = nodes;
    }

    void place(ReplicaRequest r, String node) {
      replicas.put(r.replicaId(), r);
      nodeOf.put(r.replicaId(), node);
    }

    void remove(String replicaId) {
      replicas.remove(replicaId);
      nodeOf.remove(replicaId);
    }

    int priorityOf(String replicaId) {
      return replicas.get(replicaId).priority();
    }

    List<String> feasible(ReplicaRequest r) {
      List<String> out = new ArrayList<>();
      for (NodeInfo n : nodes) {
        if (fits(r, n)) {
          out.add(n.id());
        }
      }
      return out;
    }

    boolean fits(ReplicaRequest r, NodeInfo n) {
      if (!n.ready() || !r.boundNode().map(n.id()::equals).orElse(true) || !selectorAndTaints(r, n)) {
        return false;
      }
      long cpu = r.requests().cpuMillis();
      long mem = r.requests().memoryBytes();
      for (Map.Entry<String, String> e : nodeOf.entrySet()) {
        if (e.getValue().equals(n.id())) {
          ReplicaRequest other = replicas.get(e.getKey());
          cpu += other.requests().cpuMillis();
          mem += other.requests().memoryBytes();
          for (ReplicaRequest.HostPort port : other.hostPorts()) {
            if (r.hostPorts().contains(port)) {
              return false;
            }
          }
          if (r.placement().antiAffinity() == AntiAffinity.HARD && other.service().equals(r.service())) {
            return false;
          }
        }
      }
      if (cpu > n.capacity().cpuMillis() || mem > n.capacity().memoryBytes()) {
        return false;
      }
      for (TopologySpread t : r.placement().spread()) {
        if (t.hard() && !spreadAllows(r, t, n.id())) {
          return false;
        }
      }
      return true;
    }

    private static boolean selectorAndTaints(ReplicaRequest r, NodeInfo n) {
      for (Map.Entry<String, String> e : r.placement().nodeSelector().entrySet()) {
        if (!e.getValue().equals(n.labels().get(e.getKey()))) {
          return false;
        }
      }
      for (Taint t : n.taints()) {
        if (t.effect() != TaintEffect.PREFER_NO_SCHEDULE
            && r.placement().tolerations().stream().noneMatch(tol -> tol.tolerates(t))) {
          return false;
        }
      }
      return true;
    }

    boolean spreadAllows(ReplicaRequest r, TopologySpread t, String nodeId) {
      NodeInfo n = nodes.stream().filter(x -> x.id().equals(nodeId)).findFirst().orElseThrow();
      String domain = n.labels().get(t.topologyKey());
      if (domain == null) {
        return false;
      }
      Map<String, Integer> counts = domainCounts(r.service(), t.topologyKey());
      int min = eligibleDomains(r, t.topologyKey()).stream().mapToInt(d -> counts.getOrDefault(d, 0)).min()
          .orElse(0);
      return counts.getOrDefault(domain, 0) + 1 - min <= t.maxSkew();
    }

    Set<String> eligibleDomains(ReplicaRequest r, String key) {
      Set<String> out = new HashSet<>();
      for (NodeInfo n : nodes) {
        if (n.ready() && n.labels().containsKey(key) && selectorAndTaints(r, n)) {
          out.add(n.labels().get(key));
        }
      }
      return out;
    }

    Map<String, Integer> domainCounts(String service, String key) {
      Map<String, Integer> out = new HashMap<>();
      for (Map.Entry<String, String> e : nodeOf.entrySet()) {
        if (replicas.get(e.getKey()).service().equals(service)) {
          String node = e.getValue();
          String d = nodes.stream().filter(x -> x.id().equals(node)).findFirst().orElseThrow().labels().get(key);
          if (d != null) {
            out.merge(d, 1, Integer::sum);
          }
        }
      }
      return out;
    }

    Map<String, Integer> countPerNode(String service) {
      Map<String, Integer> out = new HashMap<>();
      nodeOf.forEach((id, node) -> {
        if (replicas.get(id).service().equals(service)) {
          out.merge(node, 1, Integer::sum);
        }
      });
      return out;
    }

    /** The size of the smallest set of strictly lower-priority replicas on one node whose removal fits r. */
    int smallestPreemption(ReplicaRequest r) {
      int best = -1;
      for (NodeInfo n : nodes) {
        List<String> candidates = new ArrayList<>();
        nodeOf.forEach((id, node) -> {
          if (node.equals(n.id()) && replicas.get(id).priority() < r.priority()) {
            candidates.add(id);
          }
        });
        candidates.sort(null);
        if (candidates.size() > 16) {
          throw new IllegalStateException("too many candidates for brute force");
        }
        for (int mask = 0; mask < 1 << candidates.size(); mask++) {
          int size = Integer.bitCount(mask);
          if (best >= 0 && size >= best) {
            continue;
          }
          Map<String, ReplicaRequest> removed = new HashMap<>();
          Map<String, String> removedNodes = new HashMap<>();
          for (int b = 0; b < candidates.size(); b++) {
            if ((mask & 1 << b) != 0) {
              String id = candidates.get(b);
              removed.put(id, replicas.get(id));
              removedNodes.put(id, nodeOf.get(id));
              remove(id);
            }
          }
          if (fits(r, n)) {
            best = size;
          }
          removed.forEach((id, req) -> place(req, removedNodes.get(id)));
        }
      }
      return best;
    }
  }
}
