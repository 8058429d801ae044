package dev.orch.api.runtime;

import dev.orch.api.spec.ContainerSpec;
import java.util.Map;
import java.util.Objects;

/**
 * What to create: a container from {@code spec}, named {@code name}, on node {@code nodeId}, carrying
 * {@code labels}. The runtime creates the named volumes the spec mounts if they do not exist yet.
 * Immutable and thread-safe.
 *
 * @param name   a name unique within the runtime
 * @param nodeId the node to create it on
 * @param spec   what to run
 * @param labels labels to put on it, Orch's among them
 */
public record ContainerCreateRequest(String name, String nodeId, ContainerSpec spec, Map<String, String> labels) {
  /** Creates a request, copying the labels. */
  public ContainerCreateRequest {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(nodeId, "nodeId");
    Objects.requireNonNull(spec, "spec");
    Objects.requireNonNull(labels, "labels");
    labels = Map.copyOf(labels);
  }
}
