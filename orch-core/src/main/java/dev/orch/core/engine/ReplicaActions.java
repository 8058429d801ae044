package dev.orch.core.engine;

import dev.orch.api.runtime.ContainerInfo;
import dev.orch.api.runtime.NodeInfo;
import dev.orch.api.runtime.ContainerState;
import dev.orch.api.runtime.OrchLabels;
import dev.orch.api.spec.RestartPolicy;
import dev.orch.api.spec.RolloutStrategy;
import dev.orch.api.spec.ServiceSpec;
import dev.orch.core.OrchEvent;
import dev.orch.core.util.Durations;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;

/**
 * What a reconcile pass decides for one replica: where to place it (preempting lower-priority replicas when
 * none fits), when to restart it (crash-loop backoff), when to replace it off a lost node, which of a slot's
 * replicas to keep, and whether it is ready and available. The runtime calls themselves are the
 * {@link ReplicaLifecycle}'s. Runs on the service's worker.
 */
final class ReplicaActions {
  private final EngineSettings settings;
  private final EngineMetrics metrics;
  private final EngineEvents events;
  private final KeyQueue keys;
  private final ServiceDirectory services;
  private final ObservedState observed;
  private final SchedulerPlacement placement;
  private final ReplicaProbes probes;
  private final ReplicaLifecycle lifecycle;
  /** Serialises placements, so that each sees the room the one before it took. */
  private final Object placementLock = new Object();
  private final Random random;

  ReplicaActions(EngineSettings settings, EngineMetrics metrics, EngineEvents events, KeyQueue keys,
                 ServiceDirectory services, ObservedState observed, SchedulerPlacement placement, ReplicaProbes probes,
                 ReplicaLifecycle lifecycle) {
    this.settings = settings;
    this.metrics = metrics;
    this.events = events;
    this.keys = keys;
    this.services = services;
    this.observed = observed;
    this.placement = placement;
    this.probes = probes;
    this.lifecycle = lifecycle;
    // Mixing in the owner keeps the names of two orchestrators on one engine apart.
    // The seed, the owner and the instant this engine started: an orchestrator that starts again (with the
    // same seed and owner) never makes the names an earlier one left, and a seeded run repeats within its life.
    Instant start = settings.time().now();
    this.random = new Random((settings.seed() * 31 + settings.ownerId().hashCode()) * 1_000_003L
        ^ (start.getEpochSecond() * 1_000_000_000L + start.getNano()));
  }


  /** A replica on a lost node: replaced once the node has been lost for the grace period; returns when to look again. */
  Duration onLostNode(ServiceRecord st, ServiceSpec spec, ContainerInfo keep, int ordinal, boolean pending,
                              Instant now, List<Integer> toPlace) {
    Optional<ObservedState.NodeState> node = observed.node(keep.nodeId());
    Instant since = node.map(ObservedState.NodeState::lostSince).orElse(now);
    Duration lostFor = Duration.between(since, now);
    if (lostFor.compareTo(settings.nodeLostGrace()) < 0) {
      return settings.nodeLostGrace().minus(lostFor);
    }
    if (!pending) {
      metrics.replacements.increment();
      events.emit(OrchEvent.Type.WARNING, "Replaced", st.name, keep.name(), keep.nodeId(),
          "node " + keep.nodeId() + " lost for " + lostFor.toSeconds() + "s; replacing replica " + ordinal);
      lifecycle.delete(st, spec, keep, null, null);
      st.volumeNodes.remove(ordinal);
      toPlace.add(ordinal);
    }
    return null;
  }

  /** Starts, restarts (with crash-loop backoff) or leaves a container that does not run; returns when to look again. */
  Duration handleNotRunning(ServiceRecord st, ServiceSpec spec, ContainerInfo c, Instant now) {
    if (st.starting.containsKey(c.id())) {
      return null;
    }
    ServiceRecord.Retry retry = st.startRetries.get(c.id());
    if (retry != null && now.isBefore(retry.notBefore())) {
      return Duration.between(now, retry.notBefore()); // its last start failed: it backs off
    }
    if (c.state() == ContainerState.CREATED) {
      if (!st.creating(c)) { // a create in flight starts its container itself
        lifecycle.start(st, c, null);
      }
      return null;
    }
    if (c.state() != ContainerState.EXITED) {
      return null;
    }
    int exit = c.exitCode().orElse(-1);
    boolean failed = exit != 0 || c.oomKilled() || st.probeKilled.contains(c.id());
    if (spec.restartPolicy() == RestartPolicy.NEVER
        || (spec.restartPolicy() == RestartPolicy.ON_FAILURE && !failed)) {
      return null;
    }
    ServiceRecord.RestartTracker rt = st.restarts.computeIfAbsent(c.id(), k -> new ServiceRecord.RestartTracker());
    Instant exitedAt = c.finishedAt().orElse(now);
    if (!exitedAt.equals(rt.exitSeen)) {
      rt.exitSeen = exitedAt;
      Duration ran = c.startedAt().map(s -> Duration.between(s, exitedAt)).orElse(Duration.ZERO);
      if (ran.compareTo(settings.crashLoop().resetAfter()) >= 0) {
        rt.inARow = 0;
      }
      rt.inARow++;
      Duration delay = settings.crashLoop().delay(rt.inARow);
      rt.restartAt = exitedAt.plus(delay);
      String why = c.oomKilled() ? "OOM-killed (exit " + exit + ")" : "exited with code " + exit;
      exited(spec, c, rt, why + "; restart " + rt.inARow + " in a row in " + delay.toMillis() + "ms");
    }
    if (exitedAt.equals(rt.restartedFor)) {
      return null; // restarted already; waiting for the runtime to report it running
    }
    if (!now.isBefore(rt.restartAt)) {
      rt.restartedFor = exitedAt;
      rt.total++;
      st.probeKilled.remove(c.id());
      metrics.restarts.increment();
      lifecycle.start(st, c, rt);
      return null;
    }
    return Duration.between(now, rt.restartAt);
  }

  /**
   * Tells of an exit: reads the container's last log lines (at most {@link EngineSettings#lastWords()}, bounded by
   * the call timeout on the orchestrator's time source), keeps them for its status and emits the {@code Exited} (or {@code OOMKilled}) event with
   * them; without them (a runtime that keeps no logs, a failed read) the event says so and goes out all the same.
   */
  private void exited(ServiceSpec spec, ContainerInfo c, ServiceRecord.RestartTracker rt, String message) {
    String reason = c.oomKilled() ? "OOMKilled" : "Exited";
    int lines = settings.lastWords();
    if (lines == 0 || !settings.runtime().capabilities().contains(dev.orch.api.runtime.RuntimeCapability.LOGS)) {
      events.emit(OrchEvent.Type.WARNING, reason, spec.name(), c.name(), c.nodeId(), message);
      return;
    }
    RuntimeCalls.within(settings.time(), settings.runtime().logs(c.id(), lines), settings.callTimeout(), c.nodeId(),
        "logs " + c.name()).handle((words, x) -> {
          String said;
          try {
            List<String> kept = x == null && words != null ? List.copyOf(words) : List.of();
            rt.lastWords = kept;
            said = x != null ? "; its last lines could not be read (" + dev.orch.core.util.Failures.describe(x)
                + ")" : kept.isEmpty() ? "; it printed nothing" : "; last lines: " + String.join(" | ", kept);
          } catch (RuntimeException bad) { // a runtime's odd answer (a null line): the event goes out all the same
            said = "; its last lines could not be read (" + bad + ")";
          }
          events.emit(OrchEvent.Type.WARNING, reason, spec.name(), c.name(), c.nodeId(), message + said);
          return null;
        });
  }

  /**
   * Places and creates replicas {@code ordinals} of {@code revision}, except those whose last create failed
   * and that still back off; returns when to look again, or null.
   */
  Duration place(ServiceRecord st, ServiceSpec spec, List<Integer> ordinals, String revision) {
    Instant now = settings.time().now();
    Duration backoff = null;
    List<Integer> due = new ArrayList<>(ordinals.size());
    for (int ordinal : ordinals) {
      ServiceRecord.Retry retry = st.createRetries.get(new ServiceRecord.Slot(revision, ordinal));
      if (retry != null && now.isBefore(retry.notBefore())) {
        backoff = Durations.min(backoff, Duration.between(now, retry.notBefore()));
      } else {
        due.add(ordinal);
      }
    }
    return due.isEmpty() ? backoff : Durations.min(backoff, placeDue(st, spec, due, revision));
  }

  /** Whether a container of {@code service} named {@code name} is known and not removed. */
  private boolean nameHeld(String service, String name) {
    return observed.containersOf(service).stream().anyMatch(c -> c.name().equals(name) && !observed.isRemoved(c.id()));
  }

  private Duration placeDue(ServiceRecord st, ServiceSpec spec, List<Integer> ordinals, String revision) {
    List<String> ids = new ArrayList<>();
    Map<String, String> bound = new HashMap<>();
    for (int ordinal : ordinals) {
      // The container's own name: the same id while it is pending and once it is observed.
      // A stateful replica's name is its stable identity, unless a replica given up (forceReplace, a lost
      // node) still holds it: then, until that one is removed, its successor runs under a name of its own.
      String stable = spec.name() + "-" + ordinal;
      String id = spec.stateful().isPresent() && !nameHeld(spec.name(), stable) ? stable
          : spec.name() + "-" + ordinal + "-" + suffix();
      ids.add(id);
      String volumeNode = st.volumeNodes.get(ordinal);
      // A stateless replica leaving a draining node starts on fresh volumes elsewhere; a stateful one's move.
      if (volumeNode != null && ReplicaLifecycle.hasNodeLocalVolume(spec)
          && (spec.stateful().isPresent() || !observed.isDraining(volumeNode))) {
        bound.put(id, volumeNode);
      }
    }
    List<SchedulerPlacement.Outcome> outcomes;
    Set<String> present = new HashSet<>();
    observed.allContainers().forEach(c -> present.add(c.name()));
    st.awaitedVictims.retainAll(present);
    boolean waitingForVictims = !st.awaitedVictims.isEmpty();
    synchronized (placementLock) {
      if (!waitingForVictims) {
        st.nominated.clear(); // this pass places on the room it was holding
      }
      outcomes = placement.place(observed.placeableNodeInfos(), existingReplicas(), spec, ids, bound);
      for (int i = 0; i < ordinals.size(); i++) {
        SchedulerPlacement.Outcome out = outcomes.get(i);
        if (out.nodeId().isPresent()) {
          int ordinal = ordinals.get(i);
          st.expect(new ServiceRecord.Slot(revision, ordinal),
              new SchedulerPlacement.Existing(ids.get(i), spec.name(), out.nodeId().get(), spec));
        }
      }
    }
    String unschedulable = null;
    for (int i = 0; i < ordinals.size(); i++) {
      SchedulerPlacement.Outcome out = outcomes.get(i);
      ServiceRecord.Slot slot = new ServiceRecord.Slot(revision, ordinals.get(i));
      if (out.nodeId().isPresent()) {
        st.unplaced.remove(slot);
        lifecycle.create(st, spec, ordinals.get(i), out.nodeId().get(), revision, ids.get(i));
      } else {
        st.unplaced.put(slot, out.message());
        if (unschedulable == null) {
          unschedulable = out.message();
        }
        if (waitingForVictims || out.victims().isEmpty() || out.victimsNode().isEmpty()) {
          continue; // preempted already: wait for the victims to go, rather than preempt more
        }
        st.nominated.put(ids.get(i), new SchedulerPlacement.Existing(ids.get(i), spec.name(), out.victimsNode().get(), spec));
        st.awaitedVictims.addAll(out.victims());
        preempt(spec, out.victims());
        break; // the next pass places again, on the room the victims leave
      }
    }
    if (!st.awaitedVictims.isEmpty()) {
      st.setCondition("Schedulable", false, "Preempting", unschedulable == null ? "waiting for preempted replicas"
          : unschedulable + "; waiting for preempted replicas to go", settings.time().now());
      return Duration.ofMillis(200);
    }
    if (unschedulable != null) {
      metrics.unschedulable.increment();
      if (st.setCondition("Schedulable", false, "Unschedulable", unschedulable, settings.time().now())) {
        events.emit(OrchEvent.Type.WARNING, "Unschedulable", spec.name(), "", "", unschedulable);
      }
      return ReplicaLifecycle.retryDelay(st.createFailures.incrementAndGet());
    }
    st.createFailures.set(0); // the next unschedulable spell backs off from the start again
    st.setCondition("Schedulable", true, "Scheduled", "every replica has a node", settings.time().now());
    return null;
  }

  /** Everything that holds room on a node: observed containers, creates in flight and nominated room. */
  /**
   * The node the scheduler would choose now for a new replica {@code id} of {@code spec}, among the nodes
   * {@code allowed}, unbound to any volume (where a stateful replica's volumes move), or why none fits. Reserves
   * nothing.
   */
  SchedulerPlacement.Outcome choose(ServiceSpec spec, String id, java.util.function.Predicate<String> allowed) {
    synchronized (placementLock) {
      List<NodeInfo> nodes = new ArrayList<>(observed.placeableNodeInfos());
      nodes.removeIf(n -> !allowed.test(n.id()));
      return placement.place(nodes, existingReplicas(), spec, List.of(id), Map.of()).get(0);
    }
  }

  private List<SchedulerPlacement.Existing> existingReplicas() {
    List<SchedulerPlacement.Existing> out = new ArrayList<>();
    for (ContainerInfo c : observed.allContainers()) {
      String service = ObservedState.serviceOf(c);
      out.add(new SchedulerPlacement.Existing(c.name(), service, c.nodeId(), services.desired(service).orElse(null)));
    }
    for (ServiceRecord st : services.records()) {
      out.addAll(st.pendingReplicas());
      out.addAll(st.nominated.values());
    }
    return out;
  }

  /**
   * Removes lower-priority replicas (the scheduler chose them, never of equal or higher priority) so that
   * a replica of {@code spec} fits; their services place them again where there is room, or report them
   * unschedulable.
   */
  private void preempt(ServiceSpec spec, List<String> victims) {
    for (String victim : victims) {
      for (ContainerInfo c : observed.allContainers()) {
        if (c.name().equals(victim)) {
          String service = ObservedState.serviceOf(c);
          ServiceRecord vs = services.record(service).orElse(null);
          ServiceSpec vspec = services.desired(service).orElse(null);
          if (vs != null && vspec != null && vspec.priority() < spec.priority()) {
            keys.enqueue(service);
            lifecycle.delete(vs, vspec, c, "Preempted", "removed to make room for " + spec.name() + " (priority "
                + spec.priority() + " > " + vspec.priority() + ")");
          }
        }
      }
    }
  }


  /** Prefers a replica on a ready node, then a running one, then the desired revision, then the oldest. */
  ContainerInfo best(List<ContainerInfo> cs, String revision) {
    Comparator<ContainerInfo> order = Comparator
        .comparing((ContainerInfo c) -> !observed.isNodeReady(c.nodeId()))
        .thenComparing(c -> c.state() != ContainerState.RUNNING)
        .thenComparing(c -> !revision.equals(c.labels().get(OrchLabels.REVISION)))
        .thenComparing(ContainerInfo::createdAt)
        .thenComparing(ContainerInfo::name);
    return cs.stream().min(order).orElseThrow();
  }

  /** Whether {@code c} runs and passes its readiness probe (or has none). */
  boolean isReady(ServiceSpec spec, ContainerInfo c) {
    return c.state() == ContainerState.RUNNING && observed.isNodeReady(c.nodeId())
        && probes.passesReadiness(spec, c);
  }

  /**
   * Whether {@code c} is available: ready, and for at least the rollout's {@code minReady} (as Kubernetes'
   * minReadySeconds), so that a replica that crashes soon after it starts never counts.
   */
  boolean isAvailable(ServiceSpec spec, ContainerInfo c) {
    if (!isReady(spec, c)) {
      // A replica adopted running at start-up served before the restart: it counts towards the rollout's
      // floor until a probe judges it (it receives no traffic meanwhile: readiness is the probes' alone).
      return c.state() == ContainerState.RUNNING && observed.isNodeReady(c.nodeId()) && probes.unjudgedAdopted(c);
    }
    Duration minReady = spec.rollout() instanceof RolloutStrategy.RollingUpdate ru ? ru.minReady() : Duration.ZERO;
    if (minReady.isZero()) {
      return true;
    }
    Optional<Instant> since = probes.readySince(c.id()).or(c::startedAt);
    return since.isPresent() && !settings.time().now().isBefore(since.get().plus(minReady));
  }


  private String suffix() {
    String alphabet = "bcdfghjklmnpqrstvwxz2456789";
    StringBuilder sb = new StringBuilder(5);
    synchronized (random) {
      for (int i = 0; i < 5; i++) {
        sb.append(alphabet.charAt(random.nextInt(alphabet.length())));
      }
    }
    return sb.toString();
  }
}
