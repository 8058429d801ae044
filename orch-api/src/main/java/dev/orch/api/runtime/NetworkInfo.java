package dev.orch.api.runtime;

import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * A network on a node, which containers of that node join ({@link RuntimeCapability#NETWORKS}). Immutable
 * and thread-safe.
 *
 * @param name       unique on its node
 * @param nodeId     the node it is on
 * @param labels     its labels, Orch's among them ({@code orch.owner} on what Orch creates)
 * @param containers the ids of the containers connected to it
 */
public record NetworkInfo(String name, String nodeId, Map<String, String> labels, Set<String> containers) {
  /** Creates network info, copying the collections. */
  public NetworkInfo {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(nodeId, "nodeId");
    Objects.requireNonNull(labels, "labels");
    Objects.requireNonNull(containers, "containers");
    labels = Map.copyOf(labels);
    containers = Set.copyOf(containers);
  }
}
