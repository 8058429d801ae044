package dev.orch.core.engine;

import dev.orch.api.runtime.ContainerInfo;
import dev.orch.api.time.TimeSource;
import dev.orch.core.DrainReport;
import dev.orch.core.OrchEvent;
import dev.orch.core.engine.journal.StateJournal;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a person asks of nodes: cordon (no new replica is placed there; those there stay), uncordon, and drain
 * (cordon, then every replica there moves off within its service's budget), each kept in the state store
 * before it takes effect. Thread-safe: one change at a time.
 */
public final class NodeOperations {
  private static final Logger LOG = LoggerFactory.getLogger(NodeOperations.class);
  /** How often a drain looks whether the node is empty. */
  private static final Duration CHECK_EVERY = Duration.ofMillis(100);
  /** The longest a drain may be given. */
  private static final Duration MAX_TIMEOUT = Duration.ofDays(365);

  private final StateJournal journal;
  private final ObservedState observed;
  private final DesiredState state;
  private final ControlPlane plane;
  private final TimeSource time;
  private final EngineSettings settings;
  /** The drains in progress. */
  private final java.util.Set<Drain> active = java.util.concurrent.ConcurrentHashMap.newKeySet();

  NodeOperations(StateJournal journal, ObservedState observed, DesiredState state, ControlPlane plane,
                 EngineSettings settings) {
    this.journal = journal;
    this.observed = observed;
    this.state = state;
    this.plane = plane;
    this.time = settings.time();
    this.settings = settings;
  }

  /**
   * Cordons node {@code node} ({@code on}) or uncordons it, keeping that in the state store first (see
   * {@code Orchestrator.cordon}); every service is reconciled again when it changes. Uncordoning ends a drain.
   *
   * @throws IllegalArgumentException naming the known nodes when {@code node} is not one
   */
  public synchronized void cordon(String node, boolean on) {
    if (on || !observed.cordoned().contains(node)) { // a cordon kept in the store may precede its node's discovery
      requireNode(on ? "cordon" : "uncordon", node);
    }
    journal.saveCordon(node, on, on && observed.isDraining(node));
    boolean changed = observed.cordon(node, on);
    changed |= !on && observed.drain(node, false);
    if (changed) {
      plane.emit(OrchEvent.Type.NORMAL, on ? "NodeCordoned" : "NodeUncordoned", "", "", node, on
          ? "no new replica is placed on " + node + "; those there stay" : node + " takes new replicas again");
      state.known().forEach(plane::enqueue);
    }
  }

  /** The cordoned nodes, sorted. */
  public List<String> cordoned() {
    return observed.cordoned();
  }

  /**
   * Drains node {@code node} (see {@code Orchestrator.drain}): cordons it, kept in the store with the drain,
   * and completes once no replica Orch runs is left there, or once {@code timeout} passes.
   *
   * A drain of a node already being drained joins it: the same report, by the later of the two deadlines.
   *
   * @throws IllegalArgumentException naming the known nodes when {@code node} is not one, or when
   *                                  {@code timeout} is not positive and at most 365 days
   */
  public synchronized CompletableFuture<DrainReport> drain(String node, Duration timeout) {
    Objects.requireNonNull(timeout, "timeout");
    if (timeout.isNegative() || timeout.isZero() || timeout.compareTo(MAX_TIMEOUT) > 0) {
      throw new IllegalArgumentException("drain " + node + ": timeout: " + timeout + ": must be positive and at "
          + "most 365 days");
    }
    requireNode("drain", node);
    Instant deadline = time.now().plus(timeout);
    for (Drain d : active) {
      if (d.node.equals(node)) {
        d.deadline = d.deadline.isAfter(deadline) ? d.deadline : deadline;
        return d.done;
      }
    }
    journal.saveCordon(node, true, true);
    observed.cordon(node, true);
    observed.drain(node, true);
    return start(node, deadline, "within " + timeout.toSeconds() + "s");
  }

  /** Follows the drains the store kept (at start): they go on, with no deadline, until their nodes are empty. */
  synchronized void resumeDrains() {
    for (String node : observed.cordoned()) {
      if (observed.isDraining(node)) {
        start(node, time.now().plus(MAX_TIMEOUT), "kept in the store, with no deadline");
      }
    }
  }

  private CompletableFuture<DrainReport> start(String node, Instant deadline, String within) {
    List<String> there = replicasOn(node).stream().map(ContainerInfo::name).sorted().toList();
    plane.emit(OrchEvent.Type.NORMAL, "NodeDraining", "", "", node, "draining " + node + " " + within + ": "
        + there.size() + " replicas move off it, each within its service's budget");
    state.known().forEach(plane::enqueue);
    Drain d = new Drain(node, there, time.now(), deadline);
    active.add(d);
    d.check();
    return d.done;
  }

  /**
   * Ends the drains in progress, as the orchestrator closes: each completes with what is left, and stays in
   * the store, so that a restarted orchestrator goes on with it.
   */
  void close() {
    for (Drain d : active) {
      d.finish(replicasOn(d.node), "the orchestrator closed before it left; a restarted one goes on draining",
          time.now());
    }
  }

  /** Refuses {@code op} on {@code node} unless it is a known node, naming the known ones. */
  void requireNode(String op, String node) {
    Objects.requireNonNull(node, "node");
    plane.ensureOpen(op + " " + node);
    if (!observed.knowsNode(node)) {
      List<String> known = observed.nodeIds();
      throw new IllegalArgumentException(op + ": node: \"" + node + "\": must be one of " + known + (known.isEmpty()
          ? " (no node is known yet: the orchestrator is starting; started() completes once it knows them)" : ""));
    }
  }

  /** Orch's replicas on {@code node}, not removed. */
  private List<ContainerInfo> replicasOn(String node) {
    List<ContainerInfo> out = new ArrayList<>();
    for (ContainerInfo c : observed.allContainers()) {
      if (c.nodeId().equals(node) && !observed.isRemoved(c.id()) && !ObservedState.serviceOf(c).isEmpty()) {
        out.add(c);
      }
    }
    return out;
  }

  /**
   * The stateful replicas that are to run on copies of volumes still on {@code node}: gone from the node, but
   * their data not yet moved off it; by stable name, each with why.
   */
  private Map<String, String> movesPending(String node) {
    Map<String, String> out = new TreeMap<>();
    for (String service : state.known()) {
      ServiceRecord st = state.record(service).orElse(null);
      int wanted = state.desired(service).filter(s -> s.stateful().map(m -> !m.volumes().isEmpty()).orElse(false))
          .map(s -> s.replicas()).orElse(0);
      if (st == null) {
        continue;
      }
      for (int k = 0; k < wanted; k++) {
        // Until its replica runs ready on the copies, and the originals are gone, a replica has not left.
        if (node.equals(st.volumeNodes.get(k)) || st.volumeMoves.containsKey(k) || node.equals(st.movedFrom.get(k))) {
          out.put(service + "-" + k, st.waiting.getOrDefault(k, "its volumes have not left " + node + " yet"));
        }
      }
    }
    return out;
  }

  /** Why replica {@code c} has not left its draining node yet. */
  private String whyStays(ContainerInfo c) {
    String service = ObservedState.serviceOf(c);
    Optional<ServiceRecord> st = state.record(service);
    int k = ServiceRecord.ordinal(c);
    if (st.isEmpty()) {
      return "service " + service + " is not applied";
    }
    String waiting = st.get().waiting.get(k);
    if (waiting != null) {
      return waiting;
    }
    boolean stateful = state.desired(service).flatMap(s -> s.stateful()).isPresent();
    if (stateful && !state.desired(service).map(sp -> StatefulVolumes.canMove(settings.runtime(), sp)).orElse(true)) {
      return "the runtime cannot copy its volumes to another node";
    }
    for (Map.Entry<ServiceRecord.Slot, String> e : st.get().unplaced.entrySet()) {
      if (e.getKey().ordinal() == k) {
        return "its successor is not placed: " + e.getValue();
      }
    }
    return stateful ? "waits for its turn within the service's budget" : "its successor elsewhere is not yet "
        + "available, or the service's budget allows no more replicas down";
  }

  /** One drain in progress: looks every {@link #CHECK_EVERY} whether the node is empty, until the deadline. */
  private final class Drain {
    final String node;
    final List<String> there;
    final Instant began;
    volatile Instant deadline;
    final CompletableFuture<DrainReport> done = new CompletableFuture<>();

    Drain(String node, List<String> there, Instant began, Instant deadline) {
      this.node = node;
      this.there = there;
      this.began = began;
      this.deadline = deadline;
    }

    void check() {
      if (done.isDone()) {
        return;
      }
      try {
        List<ContainerInfo> left = replicasOn(node);
        Instant now = time.now();
        if (!plane.started().isDone()) { // what runs there is not known yet
          time.schedule(CHECK_EVERY, this::check);
        } else if (!observed.isDraining(node)) { // uncordoned meanwhile
          finish(left, "the drain was ended by uncordon", now);
        } else if (left.isEmpty() && movesPending(node).isEmpty() || !now.isBefore(deadline)) {
          finish(left, null, now); // (a replica's data still on the node counts as left)
        } else {
          time.schedule(CHECK_EVERY, this::check);
        }
      } catch (RuntimeException e) {
        done.completeExceptionally(e);
      }
    }

    /** Completes the drain: {@code ended} says why of everything left, or (null) it ended by itself. */
    void finish(List<ContainerInfo> left, @Nullable String ended, Instant now) {
      if (!active.remove(this)) {
        return; // finished already
      }
      Map<String, String> why = new TreeMap<>();
      TreeSet<String> stayed = new TreeSet<>();
      for (ContainerInfo c : left) {
        why.put(c.name(), ended != null ? ended : whyStays(c));
        stayed.add(c.name());
      }
      movesPending(node).forEach((name, reason) -> {
        why.putIfAbsent(name, ended != null ? ended : reason);
        stayed.add(name);
      });
      List<String> moved = there.stream().filter(n -> !stayed.contains(n)).toList();
      if (ended == null) {
        synchronized (NodeOperations.this) {
          observed.drain(node, false); // the node stays cordoned; what is left there stays
          try {
            journal.saveCordon(node, true, false);
          } catch (RuntimeException e) {
            LOG.warn("drain {}: the store kept the drain going: {}", node, e.toString());
          }
        }
      }
      DrainReport report = new DrainReport(node, why.isEmpty(), moved, why, Duration.between(began, now));
      plane.emit(why.isEmpty() ? OrchEvent.Type.NORMAL : OrchEvent.Type.WARNING, why.isEmpty() ? "NodeDrained"
          : "DrainIncomplete", "", "", node, report.toString());
      done.complete(report);
    }
  }
}
