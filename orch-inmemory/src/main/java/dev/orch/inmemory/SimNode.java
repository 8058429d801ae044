package dev.orch.inmemory;

import dev.orch.api.runtime.NodeInfo;
import dev.orch.api.runtime.RuntimeEvent;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** A simulated node's mutable state; guarded by the {@link Cluster}'s lock. */
final class SimNode {
  /** Whether a node answers, has failed, or is cut off. */
  enum Condition { READY, FAILED, UNREACHABLE }

  final NodeSpec spec;
  Condition condition = Condition.READY;
  final Set<String> containerIds = new LinkedHashSet<>();
  final Map<Integer, String> hostPorts = new HashMap<>();
  final Map<String, SimVolume> volumes = new LinkedHashMap<>();
  /** Networks by name: their labels, and the containers connected with their aliases. */
  final Map<String, SimNetwork> networks = new LinkedHashMap<>();
  /** Events that happened while the node was unreachable, delivered when it is back. */
  final List<RuntimeEvent> heldEvents = new ArrayList<>();

  SimNode(NodeSpec spec) {
    this.spec = spec;
  }

  String id() {
    return spec.id();
  }

  NodeInfo info() {
    return new NodeInfo(spec.id(), spec.labels(), spec.taints(), spec.capacity(), condition == Condition.READY);
  }
}
