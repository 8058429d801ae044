package dev.orch.core;

import dev.orch.api.runtime.ContainerInfo;
import dev.orch.api.runtime.LabelSelector;
import dev.orch.api.runtime.OrchLabels;
import dev.orch.api.time.VirtualTimeSource;
import dev.orch.inmemory.InMemoryRuntime;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

/** Faults injected while a rollout runs, shared by the rollout properties. */
final class RolloutFaults {
  /** A fault; {@code NEVER_READY} is injected by the caller as the new revision's image. */
  enum Fault { NONE, CRASH_ONE, FAIL_NODE, PARTITION_NODE, NEVER_READY }

  private RolloutFaults() {
  }

  /** The faults that generated codes name, at most four. */
  static List<Fault> of(List<Integer> codes) {
    return codes.stream().limit(4).map(i -> Fault.values()[i]).toList();
  }

  /** Injects each fault 2 s apart; a failed or partitioned node {@code node-<node>} comes back after 15 s. */
  static void inject(List<Fault> faults, InMemoryRuntime runtime, VirtualTimeSource time, int node) {
    for (Fault f : faults) {
      time.advance(Duration.ofSeconds(2));
      List<ContainerInfo> mine = runtime.list(LabelSelector.of(OrchLabels.OWNER, "orch")).toCompletableFuture()
          .join();
      switch (f) {
        case CRASH_ONE -> {
          if (!mine.isEmpty()) {
            runtime.crashContainer(mine.get(0).id(), 1);
          }
        }
        case FAIL_NODE -> {
          runtime.failNode("node-" + node);
          time.advance(Duration.ofSeconds(15));
          runtime.recoverNode("node-" + node);
        }
        case PARTITION_NODE -> {
          runtime.partitionNode("node-" + node);
          time.advance(Duration.ofSeconds(15));
          runtime.healPartition("node-" + node);
        }
        default -> {
        }
      }
    }
  }

  /** The images of every container Orch owns on {@code runtime}. */
  static Set<String> images(InMemoryRuntime runtime) {
    return runtime.list(LabelSelector.of(OrchLabels.OWNER, "orch")).toCompletableFuture().join().stream()
        .map(ContainerInfo::image).collect(Collectors.toSet());
  }
}
