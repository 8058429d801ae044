package dev.orch.core.engine;

import dev.orch.api.runtime.ContainerInfo;
import dev.orch.api.runtime.ContainerState;
import dev.orch.api.runtime.NodeInfo;
import dev.orch.api.runtime.OrchLabels;
import dev.orch.api.runtime.RuntimeEvent;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * What Orch last saw of the world: its own containers, by service, and the nodes. Written by runtime
 * event threads, call completions and resyncs; read by the controllers. Thread-safe.
 */
final class ObservedState {
  /** A node and since when it is lost, if it is. */
  record NodeState(NodeInfo info, boolean ready, Instant lostSince) {
  }

  private final ConcurrentHashMap<String, ConcurrentHashMap<String, ContainerInfo>> byService =
      new ConcurrentHashMap<>();
  private final ConcurrentHashMap<String, NodeState> nodes = new ConcurrentHashMap<>();
  /** Orders what was learnt: each change of a container is stamped, so an older listing cannot undo it. */
  private final AtomicLong sequence = new AtomicLong();
  private final ConcurrentHashMap<String, Long> touched = new ConcurrentHashMap<>();
  /** Removed containers, so a listing that began before the removal does not bring them back. */
  private final ConcurrentHashMap<String, Long> removed = new ConcurrentHashMap<>();

  /**
   * Containers that ran when this engine started (it adopted them) and that no probe has judged yet: they
   * served before the restart, so they count as ready until a probe says otherwise.
   */
  private final Set<String> adoptedUnprobed = ConcurrentHashMap.newKeySet();

  /** Records that the running ones of {@code adopted} were adopted at start-up. */
  void adopted(List<ContainerInfo> adopted) {
    for (ContainerInfo c : adopted) {
      if (c.isRunning()) {
        adoptedUnprobed.add(c.id());
      }
    }
  }

  /** Whether container {@code id} was adopted running and no probe has judged it yet. */
  boolean isAdoptedUnprobed(String id) {
    return adoptedUnprobed.contains(id);
  }

  /** A probe has judged container {@code id} (or it stopped): it counts as its probes say from now on. */
  void probed(String id) {
    adoptedUnprobed.remove(id);
  }

  /** Whether container {@code id} was removed (and no listing since has shown it gone for good). */
  boolean isRemoved(String id) {
    return removed.containsKey(id);
  }

  /** A stamp to take before starting a listing, for {@link #replaceAll}. */
  long mark() {
    return sequence.incrementAndGet();
  }

  private void touch(String id) {
    touched.put(id, sequence.incrementAndGet());
  }

  static String serviceOf(ContainerInfo c) {
    return c.labels().getOrDefault(OrchLabels.SERVICE, "");
  }

  List<ContainerInfo> containersOf(String service) {
    Map<String, ContainerInfo> m = byService.get(service);
    return m == null ? new ArrayList<>() : new ArrayList<>(m.values());
  }

  List<ContainerInfo> allContainers() {
    List<ContainerInfo> out = new ArrayList<>();
    for (Map<String, ContainerInfo> m : byService.values()) {
      out.addAll(m.values());
    }
    return out;
  }

  Set<String> services() {
    return new HashSet<>(byService.keySet());
  }

  void put(ContainerInfo c) {
    touch(c.id());
    byService.computeIfAbsent(serviceOf(c), s -> new ConcurrentHashMap<>()).put(c.id(), c);
  }

  void remove(String service, String containerId) {
    adoptedUnprobed.remove(containerId);
    removed.put(containerId, sequence.incrementAndGet());
    touched.remove(containerId);
    Map<String, ContainerInfo> m = byService.get(service);
    if (m != null) {
      m.remove(containerId);
    }
  }

  /** Applies a container event to what is known of the container; unknown containers are recorded. */
  void apply(RuntimeEvent.ContainerEvent e) {
    adoptedUnprobed.remove(e.containerId()); // it changed since it was adopted: its probes judge it now
    String service = e.labels().getOrDefault(OrchLabels.SERVICE, "");
    if (e instanceof RuntimeEvent.ContainerRemoved) {
      remove(service, e.containerId());
      return;
    }
    if (removed.containsKey(e.containerId())) {
      return; // a late event of a container already removed
    }
    touch(e.containerId());
    ConcurrentHashMap<String, ContainerInfo> m = byService.computeIfAbsent(service, s -> new ConcurrentHashMap<>());
    m.compute(e.containerId(), (id, old) -> {
      ContainerInfo c = old != null ? old : new ContainerInfo(id, id,
          e.nodeId(), "", e.labels(), ContainerState.CREATED, OptionalInt.empty(), false, e.time(),
          Optional.empty(), Optional.empty(), List.of());
      if (e instanceof RuntimeEvent.ContainerStarted) {
        // A start already recorded on completion keeps its time, so the run has one identity.
        Optional<Instant> started = c.state() == ContainerState.RUNNING && c.startedAt().isPresent()
            ? c.startedAt() : Optional.of(e.time());
        return with(c, ContainerState.RUNNING, c.exitCode(), false, started, c.finishedAt());
      }
      if (e instanceof RuntimeEvent.ContainerExited x) {
        return with(c, ContainerState.EXITED, OptionalInt.of(x.exitCode()), x.oomKilled(), c.startedAt(),
            Optional.of(e.time()));
      }
      return c;
    });
  }

  /**
   * Marks {@code id} running if it is still only created (a start completed before its event); {@code at}
   * stands for the start time until the runtime's own is learnt ({@link #refresh}).
   */
  void markStarted(String service, String id, Instant at) {
    Map<String, ContainerInfo> m = byService.get(service);
    if (m != null) {
      m.computeIfPresent(id, (k, c) -> {
        if (c.state() != ContainerState.CREATED) {
          return c;
        }
        touch(id);
        return with(c, ContainerState.RUNNING, c.exitCode(), false, Optional.of(at), c.finishedAt());
      });
    }
  }

  /**
   * Takes what an inspect after a start tells that events do not: where the ports were published (a
   * runtime may choose host ports only when the container starts, and anew at each start), the runtime's
   * name and image, and, for a container running by both accounts, the start time as the runtime tells it.
   * That time is the run's identity from then on: the event's time and the time a start completed are only
   * close to it, and a later listing (which tells the runtime's) must not look like another run.
   */
  void refresh(String service, ContainerInfo inspected) {
    Map<String, ContainerInfo> m = byService.get(service);
    if (m != null && !removed.containsKey(inspected.id())) {
      m.computeIfPresent(inspected.id(), (k, c) -> {
        touch(k);
        Optional<Instant> started = c.state() == ContainerState.RUNNING
            && inspected.state() == ContainerState.RUNNING && inspected.startedAt().isPresent()
            ? inspected.startedAt() : c.startedAt();
        return new ContainerInfo(c.id(), inspected.name(), c.nodeId(), inspected.image(), c.labels(), c.state(),
            c.exitCode(), c.oomKilled(), c.createdAt(), started, c.finishedAt(), inspected.ports());
      });
    }
  }

  static ContainerInfo with(ContainerInfo c, ContainerState state, OptionalInt exit, boolean oom,
                            Optional<Instant> startedAt, Optional<Instant> finishedAt) {
    return new ContainerInfo(c.id(), c.name(), c.nodeId(), c.image(), c.labels(), state, exit, oom, c.createdAt(),
        startedAt, finishedAt, c.ports());
  }

  /**
   * Replaces what is known with a full listing that began at stamp {@code listMark} ({@link #mark()}):
   * what changed since that stamp wins over the listing; containers on nodes that are not ready, or that did
   * not answer this listing ({@code unanswered}), are kept (their fate is unknown until the node answers).
   */
  void replaceAll(List<ContainerInfo> listed, long listMark, Set<String> unanswered) {
    Set<String> seen = new HashSet<>();
    for (ContainerInfo c : listed) {
      seen.add(c.id());
      if (removed.containsKey(c.id()) || touched.getOrDefault(c.id(), 0L) > listMark) {
        continue;
      }
      put(c);
    }
    for (Map<String, ContainerInfo> m : byService.values()) {
      m.values().removeIf(c -> !seen.contains(c.id()) && isNodeReady(c.nodeId()) && !unanswered.contains(c.nodeId())
          && touched.getOrDefault(c.id(), 0L) < listMark);
    }
    for (NodeState n : nodes.values()) {
      if (n.ready() && !unanswered.contains(n.info().id())) {
        listedNodes.add(n.info().id());
      }
    }
    // A listing begun after a removal no longer shows it: that tombstone has served.
    removed.values().removeIf(stamp -> stamp < listMark);
    touched.keySet().removeIf(id -> !seen.contains(id) && find(id).isEmpty());
  }

  /** The container of id {@code containerId}, whichever service it is of. */
  Optional<ContainerInfo> find(String containerId) {
    for (Map<String, ContainerInfo> m : byService.values()) {
      ContainerInfo c = m.get(containerId);
      if (c != null) {
        return Optional.of(c);
      }
    }
    return Optional.empty();
  }

  // ---- nodes

  void setNodes(List<NodeInfo> infos, Instant now) {
    Set<String> ids = new HashSet<>();
    for (NodeInfo n : infos) {
      ids.add(n.id());
      nodes.compute(n.id(), (id, old) -> {
        if (n.ready()) {
          return new NodeState(n, true, null);
        }
        Instant since = old != null && !old.ready() ? old.lostSince() : now;
        return new NodeState(n, false, since);
      });
    }
    // A node that is no longer offered stays, lost, so that its replicas are replaced after the grace.
    nodes.replaceAll((id, old) -> ids.contains(id) || !old.ready() ? old
        : new NodeState(old.info().withReady(false), false, now));
  }

  void nodeLost(String id, String reason, Instant now) {
    nodes.computeIfPresent(id, (k, old) -> old.ready()
        ? new NodeState(old.info().withReady(false, "lost: " + reason), false, now) : old);
  }

  void nodeReady(String id) {
    nodes.computeIfPresent(id, (k, old) -> new NodeState(old.info().withReady(true), true, null));
  }

  Optional<NodeState> node(String id) {
    return Optional.ofNullable(nodes.get(id));
  }

  /** The nodes whose containers a listing has held since this orchestrator started. */
  private final java.util.Set<String> listedNodes = ConcurrentHashMap.newKeySet();

  /**
   * The nodes no listing has answered for since this orchestrator started, sorted: what they run is unknown
   * (a replica Orch has not seen may run there).
   */
  List<String> nodesNeverListed() {
    return nodes.keySet().stream().filter(id -> !listedNodes.contains(id)).sorted().toList();
  }

  /** The nodes that are not ready (lost, partitioned, not answering), sorted. */
  List<String> nodesNotReady() {
    return nodes.values().stream().filter(n -> !n.ready()).map(n -> n.info().id()).sorted().toList();
  }

  boolean isNodeReady(String id) {
    NodeState n = nodes.get(id);
    return n != null && n.ready();
  }

  List<NodeInfo> nodeInfos() {
    List<NodeInfo> out = new ArrayList<>();
    for (NodeState n : nodes.values()) {
      NodeInfo info = n.info().withReady(n.ready());
      if (cordoned.contains(info.id())) { // no new replica goes there, as Kubernetes' unschedulable taint
        List<dev.orch.api.spec.Taint> taints = new ArrayList<>(info.taints());
        taints.add(CORDONED);
        info = new NodeInfo(info.id(), info.labels(), taints, info.capacity(), info.ready(),
            info.message().isEmpty() ? "cordoned" : info.message() + "; cordoned");
      }
      out.add(info);
    }
    out.sort(java.util.Comparator.comparing(NodeInfo::id));
    return out;
  }

  /** The taint a cordoned node carries, which only a toleration of it passes. */
  static final dev.orch.api.spec.Taint CORDONED = dev.orch.api.spec.Taint.noSchedule("node.orch.dev/unschedulable",
      "");

  /** The nodes that take no new replica. */
  private final java.util.Set<String> cordoned = ConcurrentHashMap.newKeySet();

  /** Cordons node {@code id} ({@code on}) or uncordons it; returns whether that changed anything. */
  boolean cordon(String id, boolean on) {
    return on ? cordoned.add(id) : cordoned.remove(id);
  }

  /** The cordoned nodes, sorted. */
  List<String> cordoned() {
    return cordoned.stream().sorted().toList();
  }

  /** The nodes being drained: cordoned, and every replica there moves off. */
  private final java.util.Set<String> draining = ConcurrentHashMap.newKeySet();

  /** Starts ({@code on}) or ends draining node {@code id}; returns whether that changed anything. */
  boolean drain(String id, boolean on) {
    return on ? draining.add(id) : draining.remove(id);
  }

  /** Whether node {@code id} is being drained. */
  boolean isDraining(String id) {
    return !draining.isEmpty() && draining.contains(id);
  }

  /** The nodes new replicas may go to, as {@link #nodeInfos}: every node but those being drained. */
  List<NodeInfo> placeableNodeInfos() {
    List<NodeInfo> all = nodeInfos();
    if (!draining.isEmpty()) {
      all.removeIf(n -> draining.contains(n.id()));
    }
    return all;
  }

  /** Whether Orch knows node {@code id}. */
  boolean knowsNode(String id) {
    return nodes.containsKey(id);
  }

  /** The ids of the nodes Orch knows, sorted. */
  List<String> nodeIds() {
    return nodes.keySet().stream().sorted().toList();
  }
}
