package dev.orch.core.scheduler;

import dev.orch.api.runtime.NodeInfo;
import dev.orch.api.spec.Placement;
import dev.orch.api.spec.Resources;
import dev.orch.api.spec.Taint;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * The scheduler's mutable picture of a cluster: its nodes (capacity, labels, taints, readiness) and the
 * replicas placed on them, with what each reserves.
 *
 * <p>Build one from the runtime's nodes, record the replicas already running, then let a {@link Scheduler}
 * place new ones; each placement reserves its resources at once, so a batch never overcommits a node.
 * <pre>{@code
 * ClusterSnapshot snapshot = ClusterSnapshot.of(runtime.nodes().toCompletableFuture().join());
 * snapshot.addReplica(ReplicaRequest.of(spec, "orders-0"), "node-1");   // already running
 * PlacementResult r = scheduler.place(snapshot, ReplicaRequest.of(spec, "orders-1"));
 * if (r instanceof PlacementResult.Placed p) { ... start it on p.nodeId(); on failure: snapshot.removeReplica("orders-1") }
 * }</pre>
 *
 * <p>Not thread-safe: a snapshot has one owner, which alone reads and changes it (a scheduler may be shared,
 * a snapshot may not). Replicas recorded with {@link #addReplica} are taken as they are, even when they
 * overcommit their node; the scheduler only refuses to add more.
 */
public final class ClusterSnapshot {
  private static final Taint[] NO_TAINTS = new Taint[0];
  private static final int[] NO_PORTS = new int[0];

  int slots;
  int liveCount;
  @Nullable String[] ids;
  @Nullable NodeInfo[] infos;
  boolean[] live;
  boolean[] ready;
  long[] capCpu;
  long[] capMem;
  long[] usedCpu;
  long[] usedMem;
  double[] invCpu;
  double[] invMem;
  Taint[][] taints;
  String[][] taintText;
  int[][] ports;
  int[] portCount;
  @Nullable ReplicaRecord[][] onNode;
  int[] onNodeCount;
  PlacementResult.@Nullable Placed[] placed;
  int[] failedBy;
  int[] failDetail;
  private final ArrayDeque<Integer> freeSlots = new ArrayDeque<>();
  private final Map<String, Integer> slotById = new HashMap<>();
  private final Map<String, ReplicaRecord> replicas = new HashMap<>();
  private final Map<String, ServiceState> services = new HashMap<>();
  private final Map<String, LabelIndex> labelIndexes = new HashMap<>();
  int epoch;
  int nextStart;
  int nextDomain;
  long sequence;
  /** Scratch for the placement scan (one owner, so one is enough). */
  final BestNode choice = new BestNode();
  final NodeView view = new NodeView(this);

  private ClusterSnapshot(int capacity) {
    int c = Math.max(8, capacity);
    ids = new String[c];
    infos = new NodeInfo[c];
    live = new boolean[c];
    ready = new boolean[c];
    capCpu = new long[c];
    capMem = new long[c];
    usedCpu = new long[c];
    usedMem = new long[c];
    invCpu = new double[c];
    invMem = new double[c];
    taints = new Taint[c][];
    taintText = new String[c][];
    ports = new int[c][];
    portCount = new int[c];
    onNode = new ReplicaRecord[c][];
    onNodeCount = new int[c];
    placed = new PlacementResult.Placed[c];
    failedBy = new int[c];
    failDetail = new int[c];
  }

  /**
   * A snapshot holding {@code nodes} and no replicas.
   *
   * @throws IllegalArgumentException when two nodes share an id
   */
  public static ClusterSnapshot of(List<NodeInfo> nodes) {
    Objects.requireNonNull(nodes, "nodes");
    ClusterSnapshot s = new ClusterSnapshot(nodes.size());
    for (NodeInfo n : nodes) {
      if (s.slotById.containsKey(n.id())) {
        throw new IllegalArgumentException("nodes: \"" + n.id() + "\": node ids must be unique");
      }
      s.putNode(n);
    }
    return s;
  }

  /**
   * Adds a node, or replaces the one with the same id (new labels, taints, capacity or readiness); the
   * replicas on a replaced node stay there.
   */
  public void putNode(NodeInfo node) {
    Objects.requireNonNull(node, "node");
    Integer existing = slotById.get(node.id());
    int i;
    if (existing != null) {
      i = existing;
      if (!infos[i].labels().equals(node.labels())) {
        for (ServiceState svc : services.values()) {
          svc.domainsDirty = true;
        }
      }
    } else {
      i = freeSlots.isEmpty() ? slots++ : freeSlots.poll();
      if (i >= ids.length) {
        grow(Math.max(ids.length * 2, i + 1));
      }
      slotById.put(node.id(), i);
      live[i] = true;
      liveCount++;
      ports[i] = NO_PORTS;
      portCount[i] = 0;
      onNode[i] = new ReplicaRecord[2];
      onNodeCount[i] = 0;
      usedCpu[i] = 0;
      usedMem[i] = 0;
      placed[i] = new PlacementResult.Placed(node.id());
    }
    ids[i] = node.id();
    infos[i] = node;
    ready[i] = node.ready();
    capCpu[i] = node.capacity().cpuMillis();
    capMem[i] = node.capacity().memoryBytes();
    invCpu[i] = capCpu[i] > 0 ? 1.0 / capCpu[i] : 0;
    invMem[i] = capMem[i] > 0 ? 1.0 / capMem[i] : 0;
    taints[i] = node.taints().isEmpty() ? NO_TAINTS : node.taints().toArray(new Taint[0]);
    taintText[i] = new String[taints[i].length];
    for (int j = 0; j < taints[i].length; j++) {
      taintText[i][j] = "untolerated taint " + taints[i][j];
    }
    for (LabelIndex idx : labelIndexes.values()) {
      idx.set(i, node.labels().get(idx.key));
    }
    epoch++;
  }

  /** Marks the node {@code nodeId} ready or not; a node that is not ready takes no new replica. */
  public void setReady(String nodeId, boolean ready) {
    int i = slotOf(nodeId);
    if (this.ready[i] != ready) {
      putNode(infos[i].withReady(ready));
    }
  }

  /**
   * Removes the node {@code nodeId} (it is lost) and every replica on it.
   *
   * @return the ids of the replicas that were on it, to be placed again elsewhere
   * @throws IllegalArgumentException when no node has that id
   */
  public List<String> removeNode(String nodeId) {
    int i = slotOf(nodeId);
    List<String> lost = new ArrayList<>(onNodeCount[i]);
    while (onNodeCount[i] > 0) {
      ReplicaRecord r = onNode[i][onNodeCount[i] - 1];
      lost.add(r.request.replicaId());
      removeReplica(r.request.replicaId());
    }
    slotById.remove(nodeId);
    live[i] = false;
    ready[i] = false;
    liveCount--;
    ids[i] = null;
    infos[i] = null;
    placed[i] = null;
    taints[i] = NO_TAINTS;
    for (LabelIndex idx : labelIndexes.values()) {
      idx.set(i, null);
    }
    freeSlots.add(i);
    epoch++;
    return List.copyOf(lost);
  }

  /**
   * Records a replica that runs on {@code nodeId}, reserving its requests and host ports there, whether or
   * not they fit (it is already running).
   *
   * @throws IllegalArgumentException when no node has that id, or a replica with the same id is recorded
   */
  public void addReplica(ReplicaRequest replica, String nodeId) {
    Objects.requireNonNull(replica, "replica");
    int i = slotOf(nodeId);
    requireNew(replica);
    reserve(replica, i);
  }

  /**
   * Removes the replica {@code replicaId}, freeing what it reserved (it stopped, or its placement failed).
   *
   * @return whether the snapshot held it
   */
  public boolean removeReplica(String replicaId) {
    ReplicaRecord r = replicas.remove(replicaId);
    if (r == null) {
      return false;
    }
    int i = r.node;
    usedCpu[i] -= r.request.cpuMillis();
    usedMem[i] -= r.request.memoryBytes();
    for (int code : r.request.hostPortCodes()) {
      removePort(i, code);
    }
    ReplicaRecord last = onNode[i][--onNodeCount[i]];
    onNode[i][r.posInNode] = last;
    last.posInNode = r.posInNode;
    onNode[i][onNodeCount[i]] = null;
    r.service.remove(r);
    return true;
  }

  /** The node the replica {@code replicaId} is on, if the snapshot holds it. */
  public Optional<String> nodeOf(String replicaId) {
    Objects.requireNonNull(replicaId, "replicaId");
    ReplicaRecord r = replicas.get(replicaId);
    return r == null ? Optional.empty() : Optional.of(ids[r.node]);
  }

  /** The ids of the replicas on {@code nodeId}; empty when there are none or no such node. */
  public List<String> replicasOn(String nodeId) {
    Objects.requireNonNull(nodeId, "nodeId");
    Integer i = slotById.get(nodeId);
    if (i == null) {
      return List.of();
    }
    List<String> out = new ArrayList<>(onNodeCount[i]);
    for (int k = 0; k < onNodeCount[i]; k++) {
      out.add(onNode[i][k].request.replicaId());
    }
    return out;
  }

  /** The node {@code nodeId} as the snapshot holds it. */
  public Optional<NodeInfo> node(String nodeId) {
    Objects.requireNonNull(nodeId, "nodeId");
    Integer i = slotById.get(nodeId);
    return i == null ? Optional.empty() : Optional.of(infos[i]);
  }

  /** The nodes, in the snapshot's order. */
  public List<NodeInfo> nodes() {
    List<NodeInfo> out = new ArrayList<>(liveCount);
    for (int i = 0; i < slots; i++) {
      if (live[i]) {
        out.add(infos[i]);
      }
    }
    return out;
  }

  /** What the replicas on {@code nodeId} reserve. */
  public Resources requested(String nodeId) {
    int i = slotOf(nodeId);
    return Resources.ofMillis(usedCpu[i], usedMem[i]);
  }

  /** The number of nodes. */
  public int nodeCount() {
    return liveCount;
  }

  /** The number of replicas recorded. */
  public int replicaCount() {
    return replicas.size();
  }

  // ---- package-private, for the scheduler ----

  int slotOf(String nodeId) {
    Integer i = slotById.get(Objects.requireNonNull(nodeId, "nodeId"));
    if (i == null) {
      throw new IllegalArgumentException("nodeId: \"" + nodeId + "\": no such node in the snapshot");
    }
    return i;
  }

  /** The slot of {@code nodeId}, or -1. */
  int slotOrMinusOne(String nodeId) {
    Integer i = slotById.get(nodeId);
    return i == null ? -1 : i;
  }

  void requireNew(ReplicaRequest replica) {
    ReplicaRecord r = replicas.get(replica.replicaId());
    if (r != null) {
      throw new IllegalArgumentException("replicaId: \"" + replica.replicaId() + "\": already placed on "
          + ids[r.node] + "; remove it first");
    }
  }

  @Nullable ReplicaRecord record(String replicaId) {
    return replicas.get(replicaId);
  }

  void reserve(ReplicaRequest replica, int i) {
    ServiceState svc = service(replica.service());
    ReplicaRecord r = new ReplicaRecord(replica, svc, i);
    replicas.put(replica.replicaId(), r);
    usedCpu[i] += replica.cpuMillis();
    usedMem[i] += replica.memoryBytes();
    for (int code : replica.hostPortCodes()) {
      addPort(i, code);
    }
    if (onNodeCount[i] == onNode[i].length) {
      onNode[i] = Arrays.copyOf(onNode[i], onNodeCount[i] * 2);
    }
    r.posInNode = onNodeCount[i];
    onNode[i][onNodeCount[i]++] = r;
    svc.add(r);
  }

  ServiceState service(String name) {
    ServiceState svc = services.get(name);
    if (svc == null) {
      svc = new ServiceState(name, ids.length);
      services.put(name, svc);
    }
    return svc;
  }

  /** The service's compiled placement for {@code p}, rebuilt when the nodes or the placement changed. */
  CompiledPlacement compile(ServiceState svc, Placement p) {
    svc.ensureNodes(ids.length);
    svc.ensureDomains();
    CompiledPlacement c = svc.compiled;
    if (c == null || svc.cachedEpoch != epoch
        || (svc.cachedPlacement != p && !svc.cachedPlacement.equals(p))) {
      c = new CompiledPlacement(this, svc, p);
      svc.ensureDomains();
      svc.compiled = c;
      svc.cachedPlacement = p;
      svc.cachedEpoch = epoch;
    }
    return c;
  }

  LabelIndex labelIndex(String key) {
    LabelIndex idx = labelIndexes.get(key);
    if (idx == null) {
      idx = new LabelIndex(key, ids.length);
      for (int i = 0; i < slots; i++) {
        if (live[i]) {
          idx.set(i, infos[i].labels().get(key));
        }
      }
      labelIndexes.put(key, idx);
    }
    return idx;
  }

  boolean hasPort(int i, int code) {
    int[] p = ports[i];
    for (int k = 0, n = portCount[i]; k < n; k++) {
      if (p[k] == code) {
        return true;
      }
    }
    return false;
  }

  private void addPort(int i, int code) {
    if (portCount[i] == ports[i].length) {
      ports[i] = Arrays.copyOf(ports[i], Math.max(4, portCount[i] * 2));
    }
    ports[i][portCount[i]++] = code;
  }

  private void removePort(int i, int code) {
    int[] p = ports[i];
    for (int k = 0; k < portCount[i]; k++) {
      if (p[k] == code) {
        p[k] = p[--portCount[i]];
        return;
      }
    }
  }

  int replicaCountOn(int i) {
    return onNodeCount[i];
  }

  int replicaCountOn(int i, String service) {
    ServiceState svc = services.get(service);
    return svc == null || i >= svc.perNode.length ? 0 : svc.perNode[i];
  }

  private void grow(int c) {
    ids = Arrays.copyOf(ids, c);
    infos = Arrays.copyOf(infos, c);
    live = Arrays.copyOf(live, c);
    ready = Arrays.copyOf(ready, c);
    capCpu = Arrays.copyOf(capCpu, c);
    capMem = Arrays.copyOf(capMem, c);
    usedCpu = Arrays.copyOf(usedCpu, c);
    usedMem = Arrays.copyOf(usedMem, c);
    invCpu = Arrays.copyOf(invCpu, c);
    invMem = Arrays.copyOf(invMem, c);
    taints = Arrays.copyOf(taints, c);
    taintText = Arrays.copyOf(taintText, c);
    ports = Arrays.copyOf(ports, c);
    portCount = Arrays.copyOf(portCount, c);
    onNode = Arrays.copyOf(onNode, c);
    onNodeCount = Arrays.copyOf(onNodeCount, c);
    placed = Arrays.copyOf(placed, c);
    failedBy = Arrays.copyOf(failedBy, c);
    failDetail = Arrays.copyOf(failDetail, c);
    for (LabelIndex idx : labelIndexes.values()) {
      idx.grow(c);
    }
    for (ServiceState svc : services.values()) {
      svc.ensureNodes(c);
    }
  }
}
