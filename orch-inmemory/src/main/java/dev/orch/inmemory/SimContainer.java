package dev.orch.inmemory;

import dev.orch.api.runtime.ContainerInfo;
import dev.orch.api.runtime.ContainerState;
import dev.orch.api.runtime.PortBinding;
import dev.orch.api.spec.ContainerSpec;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.SplittableRandom;
import org.jspecify.annotations.Nullable;

/** A simulated container's mutable state; guarded by the {@link Cluster}'s lock. */
final class SimContainer {
  static final int MAX_LOG_LINES = 1000;

  final String id;
  final String name;
  final String nodeId;
  final ContainerSpec spec;
  final Map<String, String> labels;
  final ContainerBehavior behavior;
  final SplittableRandom random;
  final Instant createdAt;
  final List<PortBinding> ports;

  ContainerState state = ContainerState.CREATED;
  int exitCode = -1;
  boolean oomKilled;
  @Nullable Instant startedAt;
  @Nullable Instant finishedAt;
  @Nullable SimRun run;
  int starts;
  private @Nullable ArrayDeque<String> logs;

  SimContainer(String id, String name, String nodeId, ContainerSpec spec, Map<String, String> labels,
               ContainerBehavior behavior, SplittableRandom random, Instant createdAt, List<PortBinding> ports) {
    this.id = id;
    this.name = name;
    this.nodeId = nodeId;
    this.spec = spec;
    this.labels = Map.copyOf(labels);
    this.behavior = behavior;
    this.random = random;
    this.createdAt = createdAt;
    this.ports = List.copyOf(ports);
  }

  void log(String line) {
    if (logs == null) {
      logs = new ArrayDeque<>();
    }
    if (logs.size() == MAX_LOG_LINES) {
      logs.removeFirst();
    }
    logs.addLast(line);
  }

  List<String> tail(int lines) {
    if (logs == null || lines <= 0) {
      return List.of();
    }
    List<String> all = List.copyOf(logs);
    return all.subList(Math.max(0, all.size() - lines), all.size());
  }

  ContainerInfo info() {
    return new ContainerInfo(id, name, nodeId, spec.image(), labels, state,
        state == ContainerState.EXITED ? OptionalInt.of(exitCode) : OptionalInt.empty(), oomKilled, createdAt,
        Optional.ofNullable(startedAt), Optional.ofNullable(finishedAt), ports);
  }

  String describe() {
    return name + " (" + id + ")";
  }
}
