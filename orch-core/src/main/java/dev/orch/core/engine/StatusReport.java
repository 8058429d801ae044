package dev.orch.core.engine;

import dev.orch.api.runtime.ContainerInfo;
import dev.orch.api.runtime.ContainerState;
import dev.orch.api.runtime.OrchLabels;
import dev.orch.api.spec.ServiceSpec;
import dev.orch.core.EventLog;
import dev.orch.core.PendingReplica;
import dev.orch.core.ReplicaStatus;
import dev.orch.core.RolloutStatus;
import dev.orch.core.ServiceStatus;
import dev.orch.core.probe.ProbeState;
import dev.orch.core.rollout.RolloutOperations;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;

/**
 * Builds a service's {@link ServiceStatus} from what Orch observes: its replicas with their state, readiness,
 * restarts and probes, its conditions, its recent events, its rollout and its autoscaler's last decisions.
 * Thread-safe; reads only.
 */
final class StatusReport {
  private final ObservedState observed;
  private final ReplicaProbes probes;
  private final EventLog events;
  private final RolloutOperations rollouts;
  /** A service's last autoscaling decisions (empty when not autoscaled). */
  private final java.util.function.Function<String, List<dev.orch.core.autoscale.Decision>> decisions;

  StatusReport(ObservedState observed, ReplicaProbes probes, EventLog events, RolloutOperations rollouts,
               java.util.function.Function<String, List<dev.orch.core.autoscale.Decision>> decisions) {
    this.decisions = decisions;
    this.observed = observed;
    this.probes = probes;
    this.events = events;
    this.rollouts = rollouts;
  }

  ServiceStatus status(ServiceSpec spec, ServiceRecord st) {
    String name = spec.name();
    List<ReplicaStatus> replicas = new ArrayList<>();
    int running = 0;
    int ready = 0;
    for (ContainerInfo c : observed.containersOf(name)) {
      if (st.deleting.containsKey(c.id())) {
        continue;
      }
      boolean nodeReady = observed.isNodeReady(c.nodeId());
      boolean isRunning = c.isRunning() && nodeReady;
      Optional<ProbeState> probe = probes.state(c.id());
      boolean isReady = isRunning && probes.passesReadiness(spec, c);
      running += isRunning ? 1 : 0;
      ready += isReady ? 1 : 0;
      ServiceRecord.RestartTracker rt = st.restarts.get(c.id());
      replicas.add(new ReplicaStatus(ServiceRecord.ordinal(c), c.name(), c.id(), c.nodeId(),
          nodeReady ? c.state() : ContainerState.UNKNOWN, isReady, rt == null ? 0 : rt.total, c.exitCode(),
          c.oomKilled(), c.labels().getOrDefault(OrchLabels.REVISION, ""), probe.map(ProbeState::live).orElse(isRunning),
          probe.flatMap(ProbeState::lastFailure).or(() -> probes.cannotProbe(c.id())),
          Optional.ofNullable(st.startRetries.get(c.id())).map(ServiceRecord.Retry::what),
          rt == null ? List.of() : rt.lastWords));
    }
    replicas.sort(Comparator.comparingInt(ReplicaStatus::ordinal).thenComparing(ReplicaStatus::name));
    RolloutStatus rollout = rollouts.status(spec, st.rollout, replicas);
    // While a blue/green or canary rollout is in flight its slices, not the spec's count, say what is wanted.
    List<PendingReplica> pending = rollout.revision().equals(rollout.stable())
        ? pending(spec, rollout.revision(), st, replicas) : List.of();
    return new ServiceStatus(name, spec.replicas(), running, ready, st.conditions(), replicas,
        events.recent(name, 10), rollout, pending, ordinals(spec, st, replicas), decisions.apply(name));
  }

  /** A stateful service's ordinals: each wanted one, and any other that still holds a replica. */
  private static List<dev.orch.core.OrdinalStatus> ordinals(ServiceSpec spec, ServiceRecord st,
                                                            List<ReplicaStatus> replicas) {
    if (spec.stateful().isEmpty()) {
      return List.of();
    }
    int last = spec.replicas() - 1;
    for (ReplicaStatus r : replicas) {
      last = Math.max(last, r.ordinal());
    }
    List<dev.orch.core.OrdinalStatus> out = new ArrayList<>();
    for (int k = 0; k <= last; k++) {
      int ordinal = k;
      Optional<ReplicaStatus> r = replicas.stream().filter(x -> x.ordinal() == ordinal)
          .filter(x -> !st.abandoned.contains(x.containerId())).findFirst();
      String node = st.volumeNodes.getOrDefault(k, r.map(ReplicaStatus::node).orElse(""));
      List<dev.orch.core.ServiceVolume> volumes = new ArrayList<>();
      for (dev.orch.api.spec.Stateful.VolumeTemplate t : spec.stateful().get().volumes()) {
        String name = dev.orch.api.spec.Stateful.volumeName(spec.name(), t.name(), k);
        volumes.add(new dev.orch.core.ServiceVolume(name, spec.name(), t.name(), k, node, k < spec.replicas(),
            st.volumeSizes.getOrDefault(name, -1L)));
      }
      out.add(new dev.orch.core.OrdinalStatus(k, r.map(ReplicaStatus::name), node,
          r.map(ReplicaStatus::revision).orElse(""), r.map(ReplicaStatus::ready).orElse(false), volumes,
          st.waiting.getOrDefault(k, "")));
    }
    return out;
  }

  /**
   * The ordinals of the desired revision that no replica fills, each with why: the runtime's last refusal
   * of its create, the scheduler's reason, or a create in flight.
   */
  private static List<PendingReplica> pending(ServiceSpec spec, String revision, ServiceRecord st,
                                              List<ReplicaStatus> replicas) {
    java.util.BitSet filled = new java.util.BitSet();
    replicas.forEach(r -> {
      if (r.ordinal() >= 0) {
        filled.set(r.ordinal());
      }
    });
    List<PendingReplica> out = new ArrayList<>();
    for (int ordinal = filled.nextClearBit(0); ordinal < spec.replicas(); ordinal = filled.nextClearBit(ordinal + 1)) {
      ServiceRecord.Slot slot = new ServiceRecord.Slot(revision, ordinal);
      ServiceRecord.Retry retry = st.createRetries.get(slot);
      String unplaced = st.unplaced.get(slot);
      String why = retry != null ? retry.what() + " (" + retry.failures() + " in a row)"
          : st.pending(slot) ? "being created"
          : unplaced != null ? "not placed: " + unplaced
          : st.waiting.containsKey(ordinal) ? st.waiting.get(ordinal)
          : "waiting to be placed";
      out.add(new PendingReplica(ordinal, revision, why));
    }
    return out;
  }
}
