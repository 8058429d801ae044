package dev.orch.inmemory;

import dev.orch.api.runtime.ContainerInfo;
import dev.orch.api.runtime.ContainerState;
import dev.orch.api.runtime.PortBinding;
import dev.orch.api.spec.ContainerSpec;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.SplittableRandom;
import org.jspecify.annotations.Nullable;

/** A simulated container's mutable state; guarded by the {@link Cluster}'s lock. */
final class SimContainer {

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
  /** Its log, kept after it exits until it is removed (as Docker keeps a stopped container's). */
  final SimLog log;

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
    this.log = new SimLog(id);
  }

  /** Appends {@code line} to its log, printed at {@code at} to {@code source}. */
  void log(dev.orch.api.runtime.LogLine.Source source, Instant at, String line) {
    log.append(source, at, line);
  }

  List<String> tail(int lines) {
    return log.tail(lines);
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
