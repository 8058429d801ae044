package dev.orch.core.scheduler;

import dev.orch.api.runtime.NodeInfo;
import dev.orch.api.spec.Taint;
import java.util.List;
import java.util.Map;

/**
 * A read-only view of one node of a {@link ClusterSnapshot}, handed to user {@link Filter}s and
 * {@link Score}s. The scheduler moves one view from node to node, so a view is valid only during the call it
 * is passed to: do not keep it. Not thread-safe (it belongs to its snapshot's owner).
 */
public final class NodeView {
  private final ClusterSnapshot snapshot;
  int index;

  NodeView(ClusterSnapshot snapshot) {
    this.snapshot = snapshot;
  }

  ClusterSnapshot snapshot() {
    return snapshot;
  }

  NodeView at(int index) {
    this.index = index;
    return this;
  }

  /** The node's id. */
  public String id() {
    return snapshot.ids[index];
  }

  /** The node as the snapshot knows it (labels, taints, capacity, readiness). */
  public NodeInfo info() {
    return snapshot.infos[index];
  }

  /** The node's labels. */
  public Map<String, String> labels() {
    return snapshot.infos[index].labels();
  }

  /** The node's taints. */
  public List<Taint> taints() {
    return snapshot.infos[index].taints();
  }

  /** Whether the node is ready. */
  public boolean ready() {
    return snapshot.ready[index];
  }

  /** The node's CPU capacity in millicores. */
  public long cpuCapacityMillis() {
    return snapshot.capCpu[index];
  }

  /** The node's memory capacity in bytes. */
  public long memoryCapacityBytes() {
    return snapshot.capMem[index];
  }

  /** CPU reserved by the replicas on the node, in millicores. */
  public long cpuRequestedMillis() {
    return snapshot.usedCpu[index];
  }

  /** Memory reserved by the replicas on the node, in bytes. */
  public long memoryRequestedBytes() {
    return snapshot.usedMem[index];
  }

  /** CPU left on the node, in millicores (negative when overcommitted by adopted replicas). */
  public long cpuFreeMillis() {
    return snapshot.capCpu[index] - snapshot.usedCpu[index];
  }

  /** Memory left on the node, in bytes (negative when overcommitted by adopted replicas). */
  public long memoryFreeBytes() {
    return snapshot.capMem[index] - snapshot.usedMem[index];
  }

  /** The number of replicas on the node. */
  public int replicaCount() {
    return snapshot.replicaCountOn(index);
  }

  /** The number of replicas of {@code service} on the node. */
  public int replicaCount(String service) {
    return snapshot.replicaCountOn(index, service);
  }

  @Override
  public String toString() {
    return "NodeView[" + id() + "]";
  }
}
