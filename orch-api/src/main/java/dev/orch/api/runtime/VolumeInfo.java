package dev.orch.api.runtime;

import java.util.Map;
import java.util.Objects;

/**
 * A named volume on a node. Immutable and thread-safe.
 *
 * @param name   unique on its node
 * @param nodeId the node holding its data
 * @param labels its labels, Orch's among them
 */
public record VolumeInfo(String name, String nodeId, Map<String, String> labels) {
  /** Creates volume info, copying the labels. */
  public VolumeInfo {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(nodeId, "nodeId");
    Objects.requireNonNull(labels, "labels");
    labels = Map.copyOf(labels);
  }
}
