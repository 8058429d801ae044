package dev.orch.api.runtime;

import java.util.Map;
import java.util.Objects;

/**
 * A named volume on a node. Immutable and thread-safe.
 *
 * @param name      unique on its node
 * @param nodeId    the node holding its data
 * @param labels    its labels, Orch's among them
 * @param sizeBytes the bytes its files hold, or -1 when the runtime does not say
 */
public record VolumeInfo(String name, String nodeId, Map<String, String> labels, long sizeBytes) {
  /** Creates volume info, copying the labels. */
  public VolumeInfo {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(nodeId, "nodeId");
    Objects.requireNonNull(labels, "labels");
    labels = Map.copyOf(labels);
    if (sizeBytes < -1) {
      throw new IllegalArgumentException("sizeBytes: " + sizeBytes + ": must be >= 0, or -1 for unknown");
    }
  }

  /** Creates volume info of unknown size. */
  public VolumeInfo(String name, String nodeId, Map<String, String> labels) {
    this(name, nodeId, labels, -1);
  }
}
