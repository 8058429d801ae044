package dev.orch.api.runtime;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * What a runtime reports of one container at one moment. Immutable and thread-safe.
 *
 * @param id         the runtime's id for the container
 * @param name       the name it was created with
 * @param nodeId     the node it is on
 * @param image      the image it runs
 * @param labels     its labels, Orch's among them
 * @param state      its lifecycle state
 * @param exitCode   the exit code of its last run, when it has exited
 * @param oomKilled  whether its last run was killed for exceeding its memory limit
 * @param createdAt  when it was created
 * @param startedAt  when it last started, if ever
 * @param finishedAt when it last exited, if ever
 * @param ports      where its ports can be reached
 */
public record ContainerInfo(String id, String name, String nodeId, String image, Map<String, String> labels,
                            ContainerState state, OptionalInt exitCode, boolean oomKilled, Instant createdAt,
                            Optional<Instant> startedAt, Optional<Instant> finishedAt,
                            List<PortBinding> ports) {
  /** Creates container info, copying the collections. */
  public ContainerInfo {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(nodeId, "nodeId");
    Objects.requireNonNull(image, "image");
    Objects.requireNonNull(labels, "labels");
    labels = Map.copyOf(labels);
    Objects.requireNonNull(state, "state");
    Objects.requireNonNull(exitCode, "exitCode");
    Objects.requireNonNull(createdAt, "createdAt");
    Objects.requireNonNull(startedAt, "startedAt");
    Objects.requireNonNull(finishedAt, "finishedAt");
    Objects.requireNonNull(ports, "ports");
    ports = List.copyOf(ports);
  }

  /** Whether the container's process runs. */
  public boolean isRunning() {
    return state == ContainerState.RUNNING;
  }

  /** The value of label {@code key}, if present. */
  public Optional<String> label(String key) {
    Objects.requireNonNull(key, "key");
    return Optional.ofNullable(labels.get(key));
  }
}
