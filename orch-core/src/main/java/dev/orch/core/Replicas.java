package dev.orch.core;

import dev.orch.api.runtime.ContainerCreateRequest;
import dev.orch.api.runtime.ContainerInfo;
import dev.orch.api.runtime.ContainerState;
import dev.orch.api.runtime.OrchLabels;
import dev.orch.api.spec.RestartPolicy;
import dev.orch.api.spec.RolloutStrategy;
import dev.orch.api.spec.ServiceSpec;
import dev.orch.api.spec.VolumeMount;
import dev.orch.core.util.Durations;
import dev.orch.core.internal.Placer;
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

/**
 * What the service controllers do to one replica: place and create it, start and restart it (with
 * crash-loop backoff), replace it off a lost node, drain it and stop it, and whether it is ready and
 * available. Runs on the service's worker; what it starts completes asynchronously and enqueues the
 * service again.
 */
final class Replicas {
  private final Orchestrator o;
  private final Random random;

  Replicas(Orchestrator o, long seed) {
    this.o = o;
    this.random = new Random(seed);
  }

  /** A replica on a lost node: replaced once the node has been lost for the grace period; returns when to look again. */
  Duration onLostNode(ServiceState st, ServiceSpec spec, ContainerInfo keep, int ordinal, boolean pending,
                              Instant now, List<Integer> toPlace) {
    Optional<ObservedState.NodeState> node = o.observed.node(keep.nodeId());
    Instant since = node.map(ObservedState.NodeState::lostSince).orElse(now);
    Duration lostFor = Duration.between(since, now);
    if (lostFor.compareTo(o.nodeLostGrace) < 0) {
      return o.nodeLostGrace.minus(lostFor);
    }
    if (!pending) {
      o.replacements.increment();
      o.event(OrchEvent.Type.WARNING, "Replaced", st.name, keep.name(), keep.nodeId(),
          "node " + keep.nodeId() + " lost for " + lostFor.toSeconds() + "s; replacing replica " + ordinal);
      delete(st, spec, keep, null, null);
      st.volumeNodes.remove(ordinal);
      toPlace.add(ordinal);
    }
    return null;
  }

  /** Starts, restarts (with crash-loop backoff) or leaves a container that does not run; returns when to look again. */
  Duration handleNotRunning(ServiceState st, ServiceSpec spec, ContainerInfo c, Instant now) {
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
    ServiceState.RestartTracker rt = st.restarts.computeIfAbsent(c.id(), k -> new ServiceState.RestartTracker());
    Instant exitedAt = c.finishedAt().orElse(now);
    if (!exitedAt.equals(rt.exitSeen)) {
      rt.exitSeen = exitedAt;
      Duration ran = c.startedAt().map(s -> Duration.between(s, exitedAt)).orElse(Duration.ZERO);
      if (ran.compareTo(o.crashLoop.resetAfter()) >= 0) {
        rt.inARow = 0;
      }
      rt.inARow++;
      Duration delay = o.crashLoop.delay(rt.inARow);
      rt.restartAt = exitedAt.plus(delay);
      String why = c.oomKilled() ? "OOM-killed (exit " + exit + ")" : "exited with code " + exit;
      o.event(OrchEvent.Type.WARNING, c.oomKilled() ? "OOMKilled" : "Exited", spec.name(), c.name(), c.nodeId(),
          why + "; restart " + rt.inARow + " in a row in " + delay.toMillis() + "ms");
    }
    if (exitedAt.equals(rt.restartedFor)) {
      return null; // restarted already; waiting for the runtime to report it running
    }
    if (!now.isBefore(rt.restartAt)) {
      rt.restartedFor = exitedAt;
      rt.total++;
      st.probeKilled.remove(c.id());
      o.restarts.increment();
      start(st, c, rt);
      return null;
    }
    return Duration.between(now, rt.restartAt);
  }

  Duration place(ServiceState st, ServiceSpec spec, List<Integer> ordinals, String revision) {
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
    List<Placer.Outcome> outcomes;
    Set<String> present = new HashSet<>();
    o.observed.allContainers().forEach(c -> present.add(c.name()));
    st.awaitedVictims.retainAll(present);
    boolean waitingForVictims = !st.awaitedVictims.isEmpty();
    synchronized (o.placementLock) {
      if (!waitingForVictims) {
        st.nominated.clear(); // this pass places on the room it was holding
      }
      outcomes = o.placer.place(o.observed.nodeInfos(), o.existingReplicas(), spec, ids, bound);
      for (int i = 0; i < ordinals.size(); i++) {
        Placer.Outcome out = outcomes.get(i);
        if (out.nodeId().isPresent()) {
          int ordinal = ordinals.get(i);
          st.pendingCreates.put(new ServiceState.Slot(revision, ordinal),
              new Placer.Existing(ids.get(i), spec.name(), out.nodeId().get(), spec));
        }
      }
    }
    String unschedulable = null;
    for (int i = 0; i < ordinals.size(); i++) {
      Placer.Outcome out = outcomes.get(i);
      if (out.nodeId().isPresent()) {
        create(st, spec, ordinals.get(i), out.nodeId().get(), revision, ids.get(i));
      } else {
        if (unschedulable == null) {
          unschedulable = out.message();
        }
        if (waitingForVictims || out.victims().isEmpty() || out.victimsNode().isEmpty()) {
          continue; // preempted already: wait for the victims to go, rather than preempt more
        }
        st.nominated.put(ids.get(i), new Placer.Existing(ids.get(i), spec.name(), out.victimsNode().get(), spec));
        st.awaitedVictims.addAll(out.victims());
        preempt(spec, out.victims());
        break; // the next pass places again, on the room the victims leave
      }
    }
    if (!st.awaitedVictims.isEmpty()) {
      o.setCondition(st, "Schedulable", false, "Preempting", unschedulable == null ? "waiting for preempted replicas"
          : unschedulable + "; waiting for preempted replicas to go");
      return Duration.ofMillis(200);
    }
    if (unschedulable != null) {
      o.unschedulable.increment();
      if (o.setCondition(st, "Schedulable", false, "Unschedulable", unschedulable)) {
        o.event(OrchEvent.Type.WARNING, "Unschedulable", spec.name(), "", "", unschedulable);
      }
      return o.retryDelay(st.createFailures.incrementAndGet());
    }
    o.setCondition(st, "Schedulable", true, "Scheduled", "every replica has a node");
    return null;
  }

  /**
   * Removes lower-priority replicas (the scheduler chose them, never of equal or higher priority) so that
   * a replica of {@code spec} fits; their services place them again where there is room, or report them
   * unschedulable.
   */
  private void preempt(ServiceSpec spec, List<String> victims) {
    for (String victim : victims) {
      for (ContainerInfo c : o.observed.allContainers()) {
        if (c.name().equals(victim)) {
          String service = ObservedState.serviceOf(c);
          ServiceState vs = o.states.get(service);
          ServiceSpec vspec = o.desired.get(service);
          if (vs != null && vspec != null && vspec.priority() < spec.priority()) {
            o.queue.enqueue(service);
            delete(vs, vspec, c, "Preempted", "removed to make room for " + spec.name() + " (priority "
                + spec.priority() + " > " + vspec.priority() + ")");
          }
        }
      }
    }
  }

  private void create(ServiceState st, ServiceSpec spec, int ordinal, String nodeId, String revision, String name) {
    Map<String, String> labels = new LinkedHashMap<>(spec.labels());
    labels.put(OrchLabels.OWNER, o.ownerId);
    labels.put(OrchLabels.SERVICE, spec.name());
    labels.put(OrchLabels.REVISION, revision);
    labels.put(OrchLabels.ORDINAL, Integer.toString(ordinal));
    labels.put(OrchLabels.SPEC_HASH, Revisions.specHash(spec));
    ContainerCreateRequest request = new ContainerCreateRequest(name, nodeId, volumesFor(spec, ordinal), labels);
    if (hasNodeLocalVolume(spec)) {
      st.volumeNodes.put(ordinal, nodeId);
    }
    String[] created = new String[1];
    o.calls.call(nodeId, "create " + name, () -> o.runtime.create(request))
        .thenCompose(info -> {
          // Its start is in flight from here: a pass that sees it created must not start it again.
          created[0] = info.id();
          st.starting.put(info.id(), Boolean.TRUE);
          o.observed.put(info);
          o.event(OrchEvent.Type.NORMAL, "Created", spec.name(), name, nodeId, "replica " + ordinal + " created");
          return o.calls.call(nodeId, "start " + name, () -> o.runtime.start(info.id()))
              .thenApply(v -> info);
        })
        .whenComplete((info, error) -> {
          if (error == null) {
            // Running before it stops counting as starting: a pass in between must not start it again.
            o.observed.markStarted(spec.name(), info.id(), o.time.now());
          }
          if (created[0] != null) {
            st.starting.remove(created[0]);
          }
          st.pendingCreates.remove(new ServiceState.Slot(revision, ordinal));
          if (error != null) {
            int failures = st.createFailures.incrementAndGet();
            o.event(OrchEvent.Type.WARNING, "CreateFailed", spec.name(), name, nodeId, Orchestrator.describe(error));
            o.queue.enqueueAfter(spec.name(), o.retryDelay(failures));
          } else {
            st.createFailures.set(0);
            o.event(OrchEvent.Type.NORMAL, "Started", spec.name(), name, nodeId, "replica " + ordinal + " started");
            refreshAfterStart(spec.name(), info.id());
          }
        });
  }

  /** Learns where a started container's ports were published, then reconciles its service again. */
  private void refreshAfterStart(String service, String containerId) {
    o.runtime.inspect(containerId).whenComplete((info, error) -> {
      if (info != null) {
        o.observed.refresh(service, info);
      }
      o.queue.enqueue(service);
    });
  }

  /** Starts {@code c}; {@code restart} is its crash-loop memory when this restarts it after an exit. */
  private void start(ServiceState st, ContainerInfo c, ServiceState.RestartTracker restart) {
    st.starting.put(c.id(), Boolean.TRUE);
    String service = st.name;
    o.calls.call(c.nodeId(), "start " + c.name(), () -> o.runtime.start(c.id()))
        .whenComplete((v, error) -> {
          if (error == null) {
            o.observed.markStarted(service, c.id(), o.time.now()); // running before it stops counting as starting
          }
          st.starting.remove(c.id());
          if (error != null) {
            if (restart != null) {
              restart.restartedFor = null; // not restarted after all: try again
            }
            o.event(OrchEvent.Type.WARNING, "StartFailed", service, c.name(), c.nodeId(), Orchestrator.describe(error));
            o.queue.enqueueAfter(service, o.retryDelay(1));
          } else {
            if (restart != null) {
              o.event(OrchEvent.Type.NORMAL, "Restarted", service, c.name(), c.nodeId(), "restarted");
            }
            refreshAfterStart(service, c.id());
          }
        });
  }

  /** Stops a container that failed its probe; its exit then restarts it under the restart policy. */
  void kill(ServiceState st, ContainerInfo c) {
    st.probeKilled.add(c.id());
    o.calls.call(c.nodeId(), "stop " + c.name(), o.terminationGrace, () -> o.runtime.stop(c.id(), o.terminationGrace))
        .whenComplete((v, error) -> {
          st.killing.remove(c.id());
          if (error != null) {
            o.event(OrchEvent.Type.WARNING, "KillFailed", st.name, c.name(), c.nodeId(), Orchestrator.describe(error));
          }
          o.queue.enqueue(st.name);
        });
  }

  /** Stops and removes {@code c}; {@code reason} null means the caller already recorded an event. */
  void delete(ServiceState st, ServiceSpec spec, ContainerInfo c, String reason, String message) {
    if (st.deleting.putIfAbsent(c.id(), o.time.now()) != null) {
      return;
    }
    if (reason != null && st.deleteReported.add(c.id())) {
      o.event(OrchEvent.Type.NORMAL, reason, st.name, c.name(), c.nodeId(), message);
    }
    boolean serving = c.state() == ContainerState.RUNNING && o.observed.isNodeReady(c.nodeId())
        && (o.serving.isPublished(st.name, c.name()) || o.serving.inFlight(c.name()) > 0);
    if (serving) {
      // Out of the endpoints first (this pass publishes without it), its requests finish, then it stops. (One
      // already out, such as blue/green's old set after promotion, may still have requests to finish.)
      st.draining.put(c.id(), new ServiceState.Draining(c, o.time.now().plus(o.drainTimeout)));
      return;
    }
    stopAndRemove(st, c);
  }

  /**
   * Stops the drained replicas whose in-flight requests are done (or whose drain timed out), once the
   * endpoints no longer list them; returns when to look again, or null.
   */
  Duration finishDrains(ServiceState st) {
    Duration wake = null;
    Instant now = o.time.now();
    for (ServiceState.Draining d : st.draining.values()) {
      ContainerInfo c = d.container();
      boolean published = o.serving.isPublished(st.name, c.name());
      long inFlight = o.serving.inFlight(c.name());
      if (!published && (inFlight == 0 || !now.isBefore(d.until()))) {
        st.draining.remove(c.id());
        if (inFlight > 0) {
          o.event(OrchEvent.Type.WARNING, "DrainTimedOut", st.name, c.name(), c.nodeId(), inFlight
              + " requests still in flight after " + o.drainTimeout.toMillis() + "ms; stopping anyway");
        }
        stopAndRemove(st, c);
      } else {
        wake = Durations.min(wake, Duration.ofMillis(100));
      }
    }
    return wake;
  }

  private void stopAndRemove(ServiceState st, ContainerInfo c) {
    Duration grace = o.terminationGrace;
    o.calls.call(c.nodeId(), "stop " + c.name(), grace, () -> o.runtime.stop(c.id(), grace))
        .thenCompose(v -> o.calls.call(c.nodeId(), "remove " + c.name(), () -> o.runtime.remove(c.id())))
        .whenComplete((v, error) -> {
          if (error != null && !(Orchestrator.rootCause(error) instanceof dev.orch.api.runtime.NoSuchContainerException)) {
            st.deleting.remove(c.id());
            o.log.debug("{}: remove {} failed, will retry: {}", st.name, c.name(), Orchestrator.describe(error));
            o.queue.enqueueAfter(st.name, Duration.ofSeconds(5));
          } else {
            o.observed.remove(st.name, c.id());
            st.deleting.remove(c.id());
            st.restarts.remove(c.id());
            st.deleteReported.remove(c.id());
            o.event(OrchEvent.Type.NORMAL, "Removed", st.name, c.name(), c.nodeId(), "container removed");
            o.queue.enqueue(st.name);
          }
        });
  }

  /** Prefers a replica on a ready node, then a running one, then the desired revision, then the oldest. */
  ContainerInfo best(List<ContainerInfo> cs, String revision) {
    Comparator<ContainerInfo> order = Comparator
        .comparing((ContainerInfo c) -> !o.observed.isNodeReady(c.nodeId()))
        .thenComparing(c -> c.state() != ContainerState.RUNNING)
        .thenComparing(c -> !revision.equals(c.labels().get(OrchLabels.REVISION)))
        .thenComparing(ContainerInfo::createdAt)
        .thenComparing(ContainerInfo::name);
    return cs.stream().min(order).orElseThrow();
  }

  /** Whether {@code c} runs and passes its readiness probe (or has none). */
  boolean isReady(ServiceSpec spec, ContainerInfo c) {
    return c.state() == ContainerState.RUNNING && o.observed.isNodeReady(c.nodeId())
        && o.probes.state(c.id()).map(dev.orch.core.probe.ProbeState::ready).orElse(!ReplicaProbes.hasProbes(spec));
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
    Optional<Instant> since = o.probes.readySince(c.id()).or(c::startedAt);
    return since.isPresent() && !o.time.now().isBefore(since.get().plus(minReady));
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
