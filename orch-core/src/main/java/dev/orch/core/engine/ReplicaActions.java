package dev.orch.core.engine;

import dev.orch.api.runtime.ContainerCreateRequest;
import dev.orch.api.runtime.ContainerInfo;
import dev.orch.api.runtime.ContainerState;
import dev.orch.api.runtime.OrchLabels;
import dev.orch.api.spec.RestartPolicy;
import dev.orch.api.spec.RolloutStrategy;
import dev.orch.api.spec.ServiceSpec;
import dev.orch.api.spec.VolumeMount;
import dev.orch.core.OrchEvent;
import dev.orch.core.util.Durations;
import dev.orch.core.util.ExponentialBackoff;
import dev.orch.core.util.Failures;
import dev.orch.core.util.Revisions;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a reconcile pass does to one replica: place and create it, start and restart it (with crash-loop
 * backoff), replace it off a lost node, drain it and stop it, and whether it is ready and available. Runs on
 * the service's worker; what it starts completes asynchronously and queues the service again.
 */
final class ReplicaActions {
  /** Retries of a failed create or an unschedulable replica: 1 s doubling to 60 s. */
  private static final ExponentialBackoff RETRY_BACKOFF =
      new ExponentialBackoff(Duration.ofSeconds(1), Duration.ofSeconds(60));
  private static final Logger LOG = LoggerFactory.getLogger(ReplicaActions.class);

  private final EngineSettings settings;
  private final EngineMetrics metrics;
  private final EngineEvents events;
  private final KeyQueue keys;
  private final ServiceDirectory services;
  private final ObservedState observed;
  private final RuntimeCalls calls;
  private final SchedulerPlacement placement;
  private final EndpointPublisher endpoints;
  private final ReplicaProbes probes;
  /** Serialises placements, so that each sees the room the one before it took. */
  private final Object placementLock = new Object();
  private final Random random;

  ReplicaActions(EngineSettings settings, EngineMetrics metrics, EngineEvents events, KeyQueue keys,
                 ServiceDirectory services, ObservedState observed, RuntimeCalls calls, SchedulerPlacement placement,
                 EndpointPublisher endpoints, ReplicaProbes probes) {
    this.settings = settings;
    this.metrics = metrics;
    this.events = events;
    this.keys = keys;
    this.services = services;
    this.observed = observed;
    this.calls = calls;
    this.placement = placement;
    this.endpoints = endpoints;
    this.probes = probes;
    // Mixing in the owner keeps the names of two orchestrators on one engine apart.
    this.random = new Random(settings.seed() * 31 + settings.ownerId().hashCode());
  }

  /** The delay before retry number {@code n} of a failed create or an unschedulable replica. */
  static Duration retryDelay(int n) {
    return RETRY_BACKOFF.delay(n);
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
      delete(st, spec, keep, null, null);
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
    if (c.state() == ContainerState.CREATED) {
      if (!st.creating(c)) { // a create in flight starts its container itself
        start(st, c, null);
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
      events.emit(OrchEvent.Type.WARNING, c.oomKilled() ? "OOMKilled" : "Exited", spec.name(), c.name(), c.nodeId(),
          why + "; restart " + rt.inARow + " in a row in " + delay.toMillis() + "ms");
    }
    if (exitedAt.equals(rt.restartedFor)) {
      return null; // restarted already; waiting for the runtime to report it running
    }
    if (!now.isBefore(rt.restartAt)) {
      rt.restartedFor = exitedAt;
      rt.total++;
      st.probeKilled.remove(c.id());
      metrics.restarts.increment();
      start(st, c, rt);
      return null;
    }
    return Duration.between(now, rt.restartAt);
  }

  Duration place(ServiceRecord st, ServiceSpec spec, List<Integer> ordinals, String revision) {
    List<String> ids = new ArrayList<>();
    Map<String, String> bound = new HashMap<>();
    for (int ordinal : ordinals) {
      // The container's own name: the same id while it is pending and once it is observed.
      String id = spec.name() + "-" + ordinal + "-" + suffix();
      ids.add(id);
      String volumeNode = st.volumeNodes.get(ordinal);
      if (volumeNode != null && hasNodeLocalVolume(spec)) {
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
      outcomes = placement.place(observed.nodeInfos(), existingReplicas(), spec, ids, bound);
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
      if (out.nodeId().isPresent()) {
        create(st, spec, ordinals.get(i), out.nodeId().get(), revision, ids.get(i));
      } else {
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
      return retryDelay(st.createFailures.incrementAndGet());
    }
    st.setCondition("Schedulable", true, "Scheduled", "every replica has a node", settings.time().now());
    return null;
  }

  /** Everything that holds room on a node: observed containers, creates in flight and nominated room. */
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
            delete(vs, vspec, c, "Preempted", "removed to make room for " + spec.name() + " (priority "
                + spec.priority() + " > " + vspec.priority() + ")");
          }
        }
      }
    }
  }

  private void create(ServiceRecord st, ServiceSpec spec, int ordinal, String nodeId, String revision, String name) {
    Map<String, String> labels = new LinkedHashMap<>(spec.labels());
    labels.put(OrchLabels.OWNER, settings.ownerId());
    labels.put(OrchLabels.SERVICE, spec.name());
    labels.put(OrchLabels.REVISION, revision);
    labels.put(OrchLabels.ORDINAL, Integer.toString(ordinal));
    labels.put(OrchLabels.SPEC_HASH, Revisions.specHash(spec));
    ContainerCreateRequest request = new ContainerCreateRequest(name, nodeId, volumesFor(spec, ordinal), labels);
    if (hasNodeLocalVolume(spec)) {
      st.volumeNodes.put(ordinal, nodeId);
    }
    String[] created = new String[1];
    calls.call(nodeId, "create " + name, () -> settings.runtime().create(request))
        .thenCompose(info -> {
          // Its start is in flight from here: a pass that sees it created must not start it again.
          created[0] = info.id();
          st.starting.put(info.id(), Boolean.TRUE);
          observed.put(info);
          events.emit(OrchEvent.Type.NORMAL, "Created", spec.name(), name, nodeId, "replica " + ordinal + " created");
          return calls.call(nodeId, "start " + name, () -> settings.runtime().start(info.id()))
              .thenApply(v -> info);
        })
        .whenComplete((info, error) -> {
          if (error == null) {
            // Running before it stops counting as starting: a pass in between must not start it again.
            observed.markStarted(spec.name(), info.id(), settings.time().now());
          }
          if (created[0] != null) {
            st.starting.remove(created[0]);
          }
          st.fulfil(new ServiceRecord.Slot(revision, ordinal));
          if (error != null) {
            int failures = st.createFailures.incrementAndGet();
            events.emit(OrchEvent.Type.WARNING, "CreateFailed", spec.name(), name, nodeId, Failures.describe(error));
            keys.enqueueAfter(spec.name(), retryDelay(failures));
          } else {
            st.createFailures.set(0);
            events.emit(OrchEvent.Type.NORMAL, "Started", spec.name(), name, nodeId, "replica " + ordinal + " started");
            refreshAfterStart(spec.name(), info.id());
          }
        });
  }

  /** Learns where a started container's ports were published, then reconciles its service again. */
  private void refreshAfterStart(String service, String containerId) {
    settings.runtime().inspect(containerId).whenComplete((info, error) -> {
      if (info != null) {
        observed.refresh(service, info);
      }
      keys.enqueue(service);
    });
  }

  /** Starts {@code c}; {@code restart} is its crash-loop memory when this restarts it after an exit. */
  private void start(ServiceRecord st, ContainerInfo c, ServiceRecord.RestartTracker restart) {
    st.starting.put(c.id(), Boolean.TRUE);
    String service = st.name;
    calls.call(c.nodeId(), "start " + c.name(), () -> settings.runtime().start(c.id()))
        .whenComplete((v, error) -> {
          if (error == null) {
            observed.markStarted(service, c.id(), settings.time().now()); // running before it stops counting as starting
          }
          st.starting.remove(c.id());
          if (error != null) {
            if (restart != null) {
              restart.restartedFor = null; // not restarted after all: try again
            }
            events.emit(OrchEvent.Type.WARNING, "StartFailed", service, c.name(), c.nodeId(), Failures.describe(error));
            keys.enqueueAfter(service, retryDelay(1));
          } else {
            if (restart != null) {
              events.emit(OrchEvent.Type.NORMAL, "Restarted", service, c.name(), c.nodeId(), "restarted");
            }
            refreshAfterStart(service, c.id());
          }
        });
  }

  /** Stops a container that failed its probe; its exit then restarts it under the restart policy. */
  void kill(ServiceRecord st, ContainerInfo c) {
    st.probeKilled.add(c.id());
    calls.call(c.nodeId(), "stop " + c.name(), settings.terminationGrace(), () -> settings.runtime().stop(c.id(), settings.terminationGrace()))
        .whenComplete((v, error) -> {
          st.killing.remove(c.id());
          if (error != null) {
            events.emit(OrchEvent.Type.WARNING, "KillFailed", st.name, c.name(), c.nodeId(), Failures.describe(error));
          }
          keys.enqueue(st.name);
        });
  }

  /** Stops and removes {@code c}; {@code reason} null means the caller already recorded an event. */
  void delete(ServiceRecord st, ServiceSpec spec, ContainerInfo c, String reason, String message) {
    if (st.deleting.putIfAbsent(c.id(), settings.time().now()) != null) {
      return;
    }
    if (reason != null && st.deleteReported.add(c.id())) {
      events.emit(OrchEvent.Type.NORMAL, reason, st.name, c.name(), c.nodeId(), message);
    }
    boolean serving = c.state() == ContainerState.RUNNING && observed.isNodeReady(c.nodeId())
        && (endpoints.isPublished(st.name, c.name()) || endpoints.inFlight(c.name()) > 0);
    if (serving) {
      // Out of the endpoints first (this pass publishes without it), its requests finish, then it stops. (One
      // already out, such as blue/green's old set after promotion, may still have requests to finish.)
      st.draining.put(c.id(), new ServiceRecord.Draining(c, settings.time().now().plus(settings.drainTimeout())));
      return;
    }
    stopAndRemove(st, c);
  }

  /**
   * Stops the drained replicas whose in-flight requests are done (or whose drain timed out), once the
   * endpoints no longer list them; returns when to look again, or null.
   */
  Duration finishDrains(ServiceRecord st) {
    Duration wake = null;
    Instant now = settings.time().now();
    for (ServiceRecord.Draining d : st.draining.values()) {
      ContainerInfo c = d.container();
      boolean published = endpoints.isPublished(st.name, c.name());
      long inFlight = endpoints.inFlight(c.name());
      if (!published && (inFlight == 0 || !now.isBefore(d.until()))) {
        st.draining.remove(c.id());
        if (inFlight > 0) {
          events.emit(OrchEvent.Type.WARNING, "DrainTimedOut", st.name, c.name(), c.nodeId(), inFlight
              + " requests still in flight after " + settings.drainTimeout().toMillis() + "ms; stopping anyway");
        }
        stopAndRemove(st, c);
      } else {
        wake = Durations.min(wake, Duration.ofMillis(100));
      }
    }
    return wake;
  }

  private void stopAndRemove(ServiceRecord st, ContainerInfo c) {
    Duration grace = settings.terminationGrace();
    calls.call(c.nodeId(), "stop " + c.name(), grace, () -> settings.runtime().stop(c.id(), grace))
        .thenCompose(v -> calls.call(c.nodeId(), "remove " + c.name(), () -> settings.runtime().remove(c.id())))
        .whenComplete((v, error) -> {
          if (error != null && !(Failures.rootCause(error) instanceof dev.orch.api.runtime.NoSuchContainerException)) {
            st.deleting.remove(c.id());
            LOG.debug("{}: remove {} failed, will retry: {}", st.name, c.name(), Failures.describe(error));
            keys.enqueueAfter(st.name, Duration.ofSeconds(5));
          } else {
            observed.remove(st.name, c.id());
            st.deleting.remove(c.id());
            st.restarts.remove(c.id());
            st.deleteReported.remove(c.id());
            events.emit(OrchEvent.Type.NORMAL, "Removed", st.name, c.name(), c.nodeId(), "container removed");
            keys.enqueue(st.name);
          }
        });
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
        && probes.state(c.id()).map(dev.orch.core.probe.ProbeState::ready).orElse(!ReplicaProbes.hasProbes(spec));
  }

  /**
   * Whether {@code c} is available: ready, and for at least the rollout's {@code minReady} (as Kubernetes'
   * minReadySeconds), so that a replica that crashes soon after it starts never counts.
   */
  boolean isAvailable(ServiceSpec spec, ContainerInfo c) {
    if (!isReady(spec, c)) {
      return false;
    }
    Duration minReady = spec.rollout() instanceof RolloutStrategy.RollingUpdate ru ? ru.minReady() : Duration.ZERO;
    if (minReady.isZero()) {
      return true;
    }
    Optional<Instant> since = probes.readySince(c.id()).or(c::startedAt);
    return since.isPresent() && !settings.time().now().isBefore(since.get().plus(minReady));
  }

  private static boolean hasNodeLocalVolume(ServiceSpec spec) {
    return spec.container().volumeMounts().stream().anyMatch(VolumeMount::nodeLocal);
  }

  /** Each replica gets its own volumes: {@code <volume>-<ordinal>}. */
  private static dev.orch.api.spec.ContainerSpec volumesFor(ServiceSpec spec, int ordinal) {
    if (spec.container().volumeMounts().isEmpty()) {
      return spec.container();
    }
    List<VolumeMount> mounts = new ArrayList<>();
    for (VolumeMount m : spec.container().volumeMounts()) {
      mounts.add(new VolumeMount(spec.name() + "-" + m.volume() + "-" + ordinal, m.mountPath(), m.readOnly(),
          m.nodeLocal()));
    }
    var c = spec.container();
    return new dev.orch.api.spec.ContainerSpec(c.image(), c.command(), c.args(), c.env(), c.ports(), c.resources(),
        mounts);
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
