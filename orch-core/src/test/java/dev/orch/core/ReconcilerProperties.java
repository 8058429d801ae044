package dev.orch.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.orch.api.runtime.ContainerCreateRequest;
import dev.orch.api.runtime.ContainerInfo;
import dev.orch.api.runtime.LabelSelector;
import dev.orch.api.runtime.NodeInfo;
import dev.orch.api.runtime.OrchLabels;
import dev.orch.api.spec.ContainerSpec;
import dev.orch.api.spec.Resources;
import dev.orch.api.spec.ServiceSpec;
import dev.orch.api.time.VirtualTimeSource;
import dev.orch.inmemory.Behaviors;
import dev.orch.inmemory.InMemoryRuntime;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.lifecycle.AddLifecycleHook;
import net.jqwik.api.Provide;
import net.jqwik.api.ShrinkingMode;

/**
 * The reconciler converges under any fault sequence: after random applies, scales, deletes, crashes, node
 * failures and partitions, runtime call failures and time advances, once the faults stop and time passes,
 * observed equals desired, no node is overcommitted, nothing foreign was touched and no replica is doubled.
 */
class ReconcilerProperties {
  static final int NODES = 4;
  static final Resources NODE = Resources.of("4", "4Gi");
  static final List<String> SERVICES = List.of("alpha", "beta", "gamma");

  /** One step of a run. */
  sealed interface Op {
  }

  record Apply(int service, int replicas, int image) implements Op {
  }

  record Delete(int service) implements Op {
  }

  record Crash(int pick, int exitCode) implements Op {
  }

  record FailNode(int node) implements Op {
  }

  record RecoverNode(int node) implements Op {
  }

  record Partition(int node) implements Op {
  }

  record Heal(int node) implements Op {
  }

  record FailCalls(int seconds) implements Op {
  }

  record Advance(int seconds) implements Op {
  }

  @Provide
  Arbitrary<List<Op>> runs() {
    Arbitrary<Integer> svc = Arbitraries.integers().between(0, SERVICES.size() - 1);
    Arbitrary<Integer> node = Arbitraries.integers().between(1, NODES);
    Arbitrary<Op> op = Arbitraries.frequencyOf(
        net.jqwik.api.Tuple.of(4, Combinators.combine(svc, Arbitraries.integers().between(0, 6),
            Arbitraries.integers().between(1, 2)).as(Apply::new)),
        net.jqwik.api.Tuple.of(1, svc.map(Delete::new)),
        net.jqwik.api.Tuple.of(2, Combinators.combine(Arbitraries.integers().between(0, 50),
            Arbitraries.of(0, 1, 137)).as(Crash::new)),
        net.jqwik.api.Tuple.of(1, node.map(FailNode::new)),
        net.jqwik.api.Tuple.of(1, node.map(RecoverNode::new)),
        net.jqwik.api.Tuple.of(1, node.map(Partition::new)),
        net.jqwik.api.Tuple.of(1, node.map(Heal::new)),
        net.jqwik.api.Tuple.of(1, Arbitraries.integers().between(1, 20).map(FailCalls::new)),
        net.jqwik.api.Tuple.of(4, Arbitraries.integers().between(1, 60).map(Advance::new)));
    return op.list().ofMinSize(1).ofMaxSize(25);
  }

  @Property(tries = 500, shrinking = ShrinkingMode.BOUNDED)
  @AddLifecycleHook(FaultScheduleTries.class)
  void convergesAfterAnyFaultSequence(@ForAll("runs") List<Op> ops) {
    World w = new World(7);
    try {
      w.play(ops);
      w.quiesce();
      w.assertConverged();
    } finally {
      w.close();
    }
  }

  @Property(tries = 10)
  void theSameSeedGivesTheSameRun(@ForAll("runs") List<Op> ops) {
    List<String> first = eventLog(ops);
    List<String> second = eventLog(ops);
    assertEquals(first, second);
  }

  private static List<String> eventLog(List<Op> ops) {
    World w = new World(11);
    try {
      w.play(ops);
      w.quiesce();
      return w.orch.events().recent().stream().map(OrchEvent::toString).toList();
    } finally {
      w.close();
    }
  }

  /** A simulated cluster, an orchestrator over it, and what the test asked for. */
  static final class World {
    final VirtualTimeSource time = new VirtualTimeSource();
    final InMemoryRuntime runtime;
    final Orchestrator orch;
    final Map<String, ServiceSpec> desired = new HashMap<>();
    final Set<Integer> failed = new HashSet<>();
    final Set<Integer> partitioned = new HashSet<>();
    final ContainerInfo foreign;

    World(long seed) {
      runtime = InMemoryRuntime.builder().timeSource(time).seed(seed).nodes(NODES, NODE)
          .defaultBehavior(Behaviors.runForever()).build();
      orch = Orchestrator.builder().runtime(runtime).timeSource(time).seed(seed)
          .nodeLostGrace(Duration.ofSeconds(20)).terminationGrace(Duration.ofSeconds(1))
          .crashLoopBackoff(new CrashLoopBackoff(Duration.ofSeconds(1), Duration.ofSeconds(8), Duration.ofMinutes(1)))
          .build();
      foreign = runtime.create(new ContainerCreateRequest("foreign", "node-1", ContainerSpec.builder("x").build(),
          Map.of(OrchLabels.SERVICE, "alpha"))).toCompletableFuture().join();
      runtime.start(foreign.id());
      time.runDue();
    }

    void play(List<Op> ops) {
      for (Op op : ops) {
        if (op instanceof Apply a) {
          // 500m and 512Mi each: 4 nodes hold 32, more than the 18 the services can ask for.
          ServiceSpec spec = ServiceSpec.builder(SERVICES.get(a.service())).replicas(a.replicas())
              .container(ContainerSpec.builder("img:" + a.image()).requests("500m", "512Mi").build()).build();
          desired.put(spec.name(), spec);
          orch.apply(spec);
        } else if (op instanceof Delete d) {
          desired.remove(SERVICES.get(d.service()));
          orch.delete(SERVICES.get(d.service()));
        } else if (op instanceof Crash c) {
          List<ContainerInfo> mine = ownedUnlessCallsFail();
          if (!mine.isEmpty()) {
            runtime.crashContainer(mine.get(c.pick() % mine.size()).id(), c.exitCode());
          }
        } else if (op instanceof FailNode f && !partitioned.contains(f.node()) && f.node() != 1) {
          runtime.failNode("node-" + f.node());
          failed.add(f.node());
        } else if (op instanceof RecoverNode r && failed.remove(r.node())) {
          runtime.recoverNode("node-" + r.node());
        } else if (op instanceof Partition p && !failed.contains(p.node()) && p.node() != 1) {
          runtime.partitionNode("node-" + p.node());
          partitioned.add(p.node());
        } else if (op instanceof Heal h && partitioned.remove(h.node())) {
          runtime.healPartition("node-" + h.node());
        } else if (op instanceof FailCalls fc) {
          runtime.failCalls(Duration.ofSeconds(fc.seconds()));
        } else if (op instanceof Advance adv) {
          advance(adv.seconds());
        }
        time.runDue();
      }
    }

    /** The faults stop: every node comes back, then time passes. */
    void quiesce() {
      runtime.clearFaults();
      for (int n : failed) {
        runtime.recoverNode("node-" + n);
      }
      for (int n : partitioned) {
        runtime.healPartition("node-" + n);
      }
      failed.clear();
      partitioned.clear();
      advance(180);
    }

    void advance(int seconds) {
      for (int i = 0; i < seconds; i++) {
        time.advance(Duration.ofSeconds(1));
      }
    }

    List<ContainerInfo> ownedUnlessCallsFail() {
      try {
        return owned();
      } catch (java.util.concurrent.CompletionException injected) {
        return List.of();
      }
    }

    List<ContainerInfo> owned() {
      List<ContainerInfo> l = new ArrayList<>(runtime.list(LabelSelector.of(OrchLabels.OWNER, "orch"))
          .toCompletableFuture().join());
      l.sort(java.util.Comparator.comparing(ContainerInfo::name));
      return l;
    }

    void assertConverged() {
      List<ContainerInfo> owned = owned();
      Map<String, Set<Integer>> ordinals = new HashMap<>();
      for (ContainerInfo c : owned) {
        String service = c.labels().get(OrchLabels.SERVICE);
        assertTrue(desired.containsKey(service), () -> "replica of deleted service left: " + c.name());
        int ordinal = Integer.parseInt(c.labels().get(OrchLabels.ORDINAL));
        assertTrue(ordinals.computeIfAbsent(service, k -> new HashSet<>()).add(ordinal),
            () -> "duplicate replica " + service + "-" + ordinal + " in " + owned);
        assertTrue(c.isRunning(), () -> c.name() + " is " + c.state());
      }
      for (ServiceSpec spec : desired.values()) {
        ServiceStatus s = orch.status(spec.name()).orElseThrow();
        assertTrue(s.isReady(), s::toString);
        assertEquals(spec.replicas(), ordinals.getOrDefault(spec.name(), Set.of()).size(), s::toString);
        for (ContainerInfo c : owned) {
          if (c.labels().get(OrchLabels.SERVICE).equals(spec.name())) {
            assertEquals(spec.container().image(), c.image(), "runs the desired revision");
          }
        }
      }
      Map<String, Resources> used = new HashMap<>();
      for (ContainerInfo c : owned) {
        used.merge(c.nodeId(), Resources.of("500m", "512Mi"), Resources::plus);
      }
      for (NodeInfo n : runtime.nodes().toCompletableFuture().join()) {
        Resources u = used.getOrDefault(n.id(), Resources.NONE);
        assertTrue(n.capacity().fits(u), () -> n.id() + " overcommitted: " + u);
      }
      ContainerInfo f = runtime.inspect(foreign.id()).toCompletableFuture().join();
      assertTrue(f.isRunning(), "the container without the owner label was never touched");
    }

    void close() {
      orch.close();
      runtime.close();
    }
  }
}
