package dev.orch.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.orch.api.runtime.ContainerInfo;
import dev.orch.api.runtime.ContainerState;
import dev.orch.api.runtime.LabelSelector;
import dev.orch.api.runtime.OrchLabels;
import dev.orch.api.runtime.VolumeInfo;
import dev.orch.api.spec.ContainerSpec;
import dev.orch.api.spec.Resources;
import dev.orch.api.spec.ServiceSpec;
import dev.orch.api.spec.Stateful;
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
import net.jqwik.api.Provide;
import net.jqwik.api.ShrinkingMode;
import net.jqwik.api.Tuple;
import net.jqwik.api.lifecycle.AddLifecycleHook;

/**
 * A stateful service under random faults on virtual time (crashes, node failures, partitions and heals,
 * runtime call failures, scaling up and down, updates, drains and uncordons): never two replicas of one ordinal running at once (the
 * simulation's truth, partitioned nodes included); with OrderedReady, an ordinal is created only while the ones
 * below it run ready; an update never touches ordinals below its partition; no retained volume is ever
 * removed (but a moved one's originals); and once the faults stop, the service converges: every ordinal once,
 * ready, on its volume's node, with the data written into that volume wherever it was moved.
 */
class StatefulProperties {
  static final int NODES = 4;

  sealed interface Op {
  }

  /** {@code logs}: a second volume template, which the replicas take at their next replacement. */
  record Apply(int replicas, int image, boolean logs) implements Op {
  }

  /** forceReplace of the replica at {@code pick}, when its node answers (else it may run twice, as it says). */
  record Force(int pick) implements Op {
  }

  /** The orchestrator closes and a new one starts on the same store and runtime. */
  record Restart() implements Op {
  }

  record SlowCalls(int seconds) implements Op {
  }

  record Crash(int pick) implements Op {
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

  record Drain(int node) implements Op {
  }

  record Uncordon(int node) implements Op {
  }

  /**
   * A run: how the service starts and updates (fixed), whether it has a volume (which pins each ordinal to a
   * node: without one, only Orch's own rule keeps an ordinal from running twice), and what happens to it.
   */
  record Run(boolean ordered, int partition, int maxUnavailable, boolean volume, List<Op> ops) {
  }

  @Provide
  Arbitrary<Run> runs() {
    Arbitrary<Integer> node = Arbitraries.integers().between(1, NODES);
    Arbitrary<Op> op = Arbitraries.frequencyOf(
        Tuple.of(3, Combinators.combine(Arbitraries.integers().between(0, 4), Arbitraries.integers().between(1, 3),
            Arbitraries.of(false, false, true)).as(Apply::new)),
        Tuple.of(1, Arbitraries.integers().between(0, 20).map(Force::new)),
        Tuple.of(1, Arbitraries.just(new Restart())),
        Tuple.of(1, Arbitraries.integers().between(1, 5).map(SlowCalls::new)),
        Tuple.of(2, Arbitraries.integers().between(0, 20).map(Crash::new)),
        Tuple.of(1, node.map(FailNode::new)),
        Tuple.of(1, node.map(RecoverNode::new)),
        Tuple.of(1, node.map(Partition::new)),
        Tuple.of(1, node.map(Heal::new)),
        Tuple.of(1, Arbitraries.integers().between(1, 10).map(FailCalls::new)),
        Tuple.of(2, node.map(Drain::new)),
        Tuple.of(1, node.map(Uncordon::new)),
        Tuple.of(4, Arbitraries.integers().between(1, 30).map(Advance::new)));
    return Combinators.combine(Arbitraries.of(true, false), Arbitraries.integers().between(0, 2),
        Arbitraries.integers().between(1, 2), Arbitraries.of(true, false), op.list().ofMinSize(1).ofMaxSize(20))
        .as(Run::new);
  }

  @Property(tries = 150, shrinking = ShrinkingMode.BOUNDED)
  @AddLifecycleHook(FaultScheduleTries.class)
  void theInvariantsHoldUnderAnyFaultsAndTheServiceConverges(@ForAll("runs") Run run) {
    World w = new World(run.ordered(), run.partition(), run.maxUnavailable(), run.volume());
    try {
      w.play(run.ops());
      w.quiesce();
      w.assertConverged();
    } finally {
      w.close();
    }
  }

  static final class World {
    final VirtualTimeSource time = new VirtualTimeSource();
    final InMemoryRuntime runtime = InMemoryRuntime.builder().timeSource(time).seed(5).nodes(NODES,
        Resources.of("4", "8Gi")).defaultBehavior(Behaviors.runForever()).build();
    final dev.orch.api.state.StateStore store = new dev.orch.core.state.InMemoryStateStore();
    final ForwardingRuntime checked = new ForwardingRuntime(runtime) {
      @Override
      public java.util.concurrent.CompletionStage<ContainerInfo> create(
          dev.orch.api.runtime.ContainerCreateRequest request) {
        if (!volume) { // a replica with volumes is decided on when its first volume is asked for
          checkOrderedReady(request.labels());
        }
        return super.create(request);
      }

      @Override
      public java.util.concurrent.CompletionStage<VolumeInfo> createVolume(String nodeId, String name,
                                                                          Map<String, String> labels) {
        if (name.startsWith("db-data-")) { // when Orch decides, not when the runtime's event arrives
          checkOrderedReady(labels);
        }
        return super.createVolume(nodeId, name, labels);
      }
    };
    Orchestrator orch = start();
    final boolean ordered;
    final int partition;
    final int maxUnavailable;
    final boolean volume;
    final Set<Integer> failed = new HashSet<>();
    final Set<Integer> partitioned = new HashSet<>();
    final Set<String> volumesSeen = new HashSet<>();
    /** What a replica last wrote into each volume, by volume name. */
    final Map<String, String> written = new HashMap<>();
    int writes;
    final List<String> violations = new ArrayList<>();
    ServiceSpec desired;

    World(boolean ordered, int partition, int maxUnavailable, boolean volume) {
      this.ordered = ordered;
      this.partition = partition;
      this.maxUnavailable = maxUnavailable;
      this.volume = volume;
    }

    Orchestrator start() {
      return Orchestrator.builder().runtime(checked).timeSource(time).seed(5).stateStore(store)
          .nodeLostGrace(Duration.ofSeconds(10)).terminationGrace(Duration.ofSeconds(1))
          .crashLoopBackoff(new CrashLoopBackoff(Duration.ofSeconds(1), Duration.ofSeconds(4), Duration.ofMinutes(1)))
          .build();
    }

    ServiceSpec spec(int replicas, int image, boolean logs) {
      Stateful.Builder mode = Stateful.builder()
          .podManagement(ordered ? Stateful.PodManagement.ORDERED_READY : Stateful.PodManagement.PARALLEL)
          .update(Stateful.Update.rolling(partition, maxUnavailable));
      if (volume) {
        mode.volume("data", "/data");
      }
      if (volume && logs) {
        mode.volume("logs", "/logs");
      }
      return ServiceSpec.builder("db").replicas(replicas)
          .container(ContainerSpec.builder("img:" + image).requests("250m", "256Mi").build())
          .stateful(mode.build())
          .build();
    }

    /** OrderedReady, checked as each replica's create is asked for: the ordinals below run, ready. */
    void checkOrderedReady(Map<String, String> labels) {
      if (!ordered) {
        return;
      }
      int k = Integer.parseInt(labels.getOrDefault(OrchLabels.ORDINAL, "-1"));
      if (orch == null) {
        return; // (an orchestrator starting)
      }
      Set<Integer> ready = new HashSet<>();
      orch.status("db").ifPresent(s -> s.replicas().stream().filter(ReplicaStatus::ready)
          .forEach(r -> ready.add(r.ordinal())));
      for (int lower = 0; lower < k; lower++) {
        if (!ready.contains(lower)) {
          violations.add("OrderedReady: replica " + k + " created while replica " + lower + " was not ready: "
              + orch.status("db").map(Object::toString).orElse("no status") + " / " + truth());
        }
      }
    }

    void play(List<Op> ops) {
      for (Op op : ops) {
        if (op instanceof Apply a) {
          desired = spec(a.replicas(), a.image(), a.logs());
          orch.apply(desired);
        } else if (op instanceof Force f && desired != null) {
          List<ContainerInfo> mine = truth();
          if (!mine.isEmpty()) {
            ContainerInfo c = mine.get(f.pick() % mine.size());
            if (!failed.contains(nodeNumber(c)) && !partitioned.contains(nodeNumber(c))) {
              orch.forceReplace("db", Integer.parseInt(c.labels().get(OrchLabels.ORDINAL)));
            }
          }
        } else if (op instanceof Restart) {
          orch.close();
          orch = start();
        } else if (op instanceof SlowCalls sc) {
          runtime.injectFault(dev.orch.inmemory.CallFault.slow(Duration.ofSeconds(sc.seconds()))
              .lasting(Duration.ofSeconds(20)).build());
        } else if (op instanceof Crash c) {
          List<ContainerInfo> mine = truth().stream().filter(x -> x.state() == ContainerState.RUNNING).toList();
          if (!mine.isEmpty()) {
            runtime.crashContainer(mine.get(c.pick() % mine.size()).id(), 1);
          }
        } else if (op instanceof FailNode f && !partitioned.contains(f.node())) {
          runtime.failNode("node-" + f.node());
          failed.add(f.node());
        } else if (op instanceof RecoverNode r && failed.remove(r.node())) {
          runtime.recoverNode("node-" + r.node());
        } else if (op instanceof Partition p && !failed.contains(p.node())) {
          runtime.partitionNode("node-" + p.node());
          partitioned.add(p.node());
        } else if (op instanceof Heal h && partitioned.remove(h.node())) {
          runtime.healPartition("node-" + h.node());
        } else if (op instanceof FailCalls fc) {
          runtime.failCalls(Duration.ofSeconds(fc.seconds()));
        } else if (op instanceof Advance adv) {
          advance(adv.seconds());
        } else if (op instanceof Drain d && orch.started().isDone()) { // (before, no node is known: refused)
          orch.drain("node-" + d.node(), Duration.ofSeconds(60));
        } else if (op instanceof Uncordon u && orch.started().isDone()) {
          orch.uncordon("node-" + u.node());
        }
        time.runDue();
        check();
      }
    }

    static int nodeNumber(ContainerInfo c) {
      return Integer.parseInt(c.nodeId().substring("node-".length()));
    }

    /** Every container of the service there is, reachable or not. */
    List<ContainerInfo> truth() {
      return runtime.allContainers().stream().filter(c -> "db".equals(c.labels().get(OrchLabels.SERVICE))).toList();
    }

    void check() {
      Map<String, Integer> runningPerOrdinal = new HashMap<>();
      for (ContainerInfo c : truth()) {
        if (c.state() == ContainerState.RUNNING) {
          runningPerOrdinal.merge(c.labels().get(OrchLabels.ORDINAL), 1, Integer::sum);
        }
      }
      runningPerOrdinal.forEach((k, n) -> {
        if (n > 1) {
          violations.add("two replicas of ordinal " + k + " run at once: " + truth());
        }
      });
      orch.events().recent("db", 1000).stream().filter(e -> e.reason().equals("Updating")).forEach(e -> {
        int k = Integer.parseInt(e.message().replaceFirst("^replica (\\d+):.*", "$1")); // "replica 2: revision .."
        if (k < partition) {
          violations.add("an update touched replica " + k + " below the partition " + partition + ": " + e);
        }
      });
      orch.events().recent("db", 1000).stream().filter(e -> e.reason().equals("VolumesRemoved")
          && !e.message().contains("moved to")) // the originals of a verified copy go
          .forEach(e -> violations.add("a retained volume was removed: " + e));
      markVolumes();
      assertEquals(List.of(), violations);
    }

    /**
     * Each running replica writes into each of its volumes a new value: the data it last wrote must follow it
     * wherever its volumes move (an old or cut-short copy would hold an older value, or none).
     */
    void markVolumes() {
      if (!volume) {
        return;
      }
      Set<String> present = new HashSet<>();
      runtime.allVolumes().forEach(v -> present.add(v.nodeId() + "/" + v.name()));
      for (ContainerInfo c : truth()) {
        if (c.state() != ContainerState.RUNNING) {
          continue;
        }
        int k = Integer.parseInt(c.labels().get(OrchLabels.ORDINAL));
        for (String template : List.of("data", "logs")) {
          String name = Stateful.volumeName("db", template, k);
          if (present.contains(c.nodeId() + "/" + name)) {
            java.util.Optional<String> seen = runtime.readVolumeFile(c.nodeId(), name, "/marker");
            if (written.containsKey(name) && !seen.equals(java.util.Optional.of(written.get(name)))) {
              violations.add(c.name() + " on " + c.nodeId() + " runs on other data than it last wrote: "
                  + seen.orElse("none") + " instead of " + written.get(name));
            }
            String value = name + "#" + (++writes);
            runtime.writeVolumeFile(c.nodeId(), name, "/marker", value);
            written.put(name, value);
          }
        }
      }
    }

    void advance(int seconds) {
      for (int i = 0; i < seconds; i++) {
        time.advance(Duration.ofSeconds(1));
        check();
      }
    }

    void quiesce() {
      runtime.clearFaults();
      failed.forEach(n -> runtime.recoverNode("node-" + n));
      partitioned.forEach(n -> runtime.healPartition("node-" + n));
      failed.clear();
      partitioned.clear();
      orch.cordoned().forEach(orch::uncordon); // maintenance over: replicas may go back to their volumes' nodes
      advance(180);
    }

    void assertConverged() {
      if (desired == null) {
        return;
      }
      ServiceStatus s = orch.status("db").orElseThrow();
      assertTrue(s.isReady(), s::toString);
      List<ContainerInfo> mine = runtime.list(LabelSelector.of(OrchLabels.SERVICE, "db")).toCompletableFuture().join();
      Set<String> ordinals = new HashSet<>();
      for (ContainerInfo c : mine) {
        assertTrue(ordinals.add(c.labels().get(OrchLabels.ORDINAL)), () -> "one replica per ordinal: " + mine);
        int k = Integer.parseInt(c.labels().get(OrchLabels.ORDINAL));
        if (k >= partition) {
          assertEquals(desired.container().image(), c.image(), () -> "at or above the partition: " + s);
        }
      }
      assertEquals(desired.replicas(), mine.size(), s::toString);
      for (VolumeInfo v : runtime.listVolumes(LabelSelector.of(OrchLabels.SERVICE, "db")).toCompletableFuture()
          .join()) {
        volumesSeen.add(v.nodeId() + "/" + v.name());
      }
      for (ContainerInfo c : volume ? mine : List.<ContainerInfo>of()) { // each replica on its volumes' node
        int k = Integer.parseInt(c.labels().get(OrchLabels.ORDINAL));
        // At or above the partition a replica runs the desired revision, with each of its templates' volumes.
        List<Stateful.VolumeTemplate> templates = k >= partition ? desired.stateful().orElseThrow().volumes()
            : List.of(desired.stateful().orElseThrow().volumes().get(0));
        for (Stateful.VolumeTemplate t : templates) {
          String volume = Stateful.volumeName("db", t.name(), k);
          assertTrue(volumesSeen.contains(c.nodeId() + "/" + volume), () -> c.name() + " on " + c.nodeId()
              + " without its volume " + volume + ": " + volumesSeen);
          if (written.containsKey(volume)) {
            assertEquals(java.util.Optional.of(written.get(volume)), runtime.readVolumeFile(c.nodeId(), volume,
                "/marker"), () -> c.name() + " on " + c.nodeId() + " runs on other data than it last wrote");
          }
        }
      }
    }

    void close() {
      orch.close();
      runtime.close();
    }
  }
}
