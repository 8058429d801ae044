package dev.orch.inmemory;

import dev.orch.api.runtime.NetworkInfo;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/** A simulated network on one node: its labels, and the containers connected with their aliases. Guarded by the cluster. */
final class SimNetwork {
  final String name;
  final String nodeId;
  final Map<String, String> labels;
  /** Container id to the aliases it is reachable under on this network. */
  final Map<String, Set<String>> members = new LinkedHashMap<>();

  SimNetwork(String name, String nodeId, Map<String, String> labels) {
    this.name = name;
    this.nodeId = nodeId;
    this.labels = Map.copyOf(labels);
  }

  NetworkInfo info() {
    return new NetworkInfo(name, nodeId, labels, members.keySet());
  }
}
