package dev.orch.core;

import dev.orch.api.runtime.ContainerInfo;
import dev.orch.api.runtime.ContainerState;
import dev.orch.api.runtime.OrchLabels;
import dev.orch.api.spec.ServiceSpec;
import dev.orch.core.util.Durations;
import dev.orch.core.reconcile.ReconcileResult;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reconciles a blue/green or canary service: the {@link RolloutDriver} says which slices (replicas of a
 * revision, with their share of traffic) to realise; each slice is reconciled ordinal by ordinal, replicas
 * of no slice are retired (drained first), and the endpoints carry the slices' weights. Runs on the
 * service's worker.
 */
final class SliceReconciler {
  private final Orchestrator o;
  private final Replicas replicas;
  private final ServiceController controller;

  SliceReconciler(Orchestrator o, Replicas replicas, ServiceController controller) {
    this.o = o;
    this.replicas = replicas;
    this.controller = controller;
  }

  /**
   * Reconciles a blue/green or canary service: the rollout driver says which slices (replicas of a revision,
   * with their share of traffic) to realise; each slice is reconciled ordinal by ordinal as the rolling path
   * does, replicas of no slice are retired (drained first), and the endpoints carry the slices' weights.
   * Returns null, having done nothing, when the revision serving now has a template Orch does not know.
   */
  ReconcileResult reconcile(ServiceState st, ServiceSpec spec, String revision,
                                          List<ContainerInfo> mine, Instant now) {
    String name = st.name;
    List<RolloutPlanner.Slice> slices = o.rollouts.slices(st, spec, revision, mine, now);
    if (slices == null) {
      return null; // the serving revision's template is unknown: the caller rolls over to spec
    }
    Map<String, RolloutPlanner.Slice> byRevision = new LinkedHashMap<>();
    Map<String, ServiceSpec> specs = new HashMap<>();
    for (RolloutPlanner.Slice slice : slices) {
      byRevision.put(slice.revision(), slice);
      specs.put(slice.revision(), o.rollouts.specFor(st, spec, revision, slice.revision()));
    }
    Duration wake = null;
    Map<ServiceState.Slot, List<ContainerInfo>> bySlot = new HashMap<>();
    List<ContainerInfo> extras = new ArrayList<>();
    for (ContainerInfo c : mine) {
      if (st.deleting.containsKey(c.id()) || o.observed.isRemoved(c.id())) {
        continue;
      }
      String rev = c.labels().getOrDefault(OrchLabels.REVISION, "");
      RolloutPlanner.Slice slice = byRevision.get(rev);
      int ordinal = ServiceController.ordinal(c);
      if (slice == null || ordinal < 0 || ordinal >= slice.replicas()) {
        extras.add(c);
      } else {
        bySlot.computeIfAbsent(new ServiceState.Slot(rev, ordinal), k -> new ArrayList<>()).add(c);
      }
    }
    extras.sort(Comparator.comparing(ContainerInfo::createdAt).reversed().thenComparing(ContainerInfo::name));
    // A running replica beyond its slice's count keeps serving (as a surge) until every slice is whole, so
    // that a slice shrinking while another grows (a strategy changed mid-flight) never costs availability.
    List<ContainerInfo> surplus = new ArrayList<>();
    for (ContainerInfo c : extras) {
      String rev = c.labels().getOrDefault(OrchLabels.REVISION, "");
      if (byRevision.containsKey(rev) && c.state() == ContainerState.RUNNING && o.observed.isNodeReady(c.nodeId())) {
        surplus.add(c);
      } else {
        retire(st, spec, c, byRevision);
      }
    }
    List<ContainerInfo> running = new ArrayList<>();
    Map<String, Integer> available = new HashMap<>();
    for (RolloutPlanner.Slice slice : slices) {
      ServiceSpec sliceSpec = specs.get(slice.revision());
      List<Integer> toPlace = new ArrayList<>();
      for (int ordinal = 0; ordinal < slice.replicas(); ordinal++) {
        boolean pending = st.pendingCreates.containsKey(new ServiceState.Slot(slice.revision(), ordinal));
        List<ContainerInfo> cs = bySlot.getOrDefault(new ServiceState.Slot(slice.revision(), ordinal), List.of());
        if (cs.isEmpty()) {
          if (!pending) {
            toPlace.add(ordinal);
          }
          continue;
        }
        ContainerInfo keep = replicas.best(cs, slice.revision());
        for (ContainerInfo other : cs) {
          if (other != keep) {
            replicas.delete(st, spec, other, "Duplicate", "replica " + ordinal + " of " + slice.revision() + " also runs as "
                + keep.name());
          }
        }
        if (!o.observed.isNodeReady(keep.nodeId())) {
          wake = Durations.min(wake, replicas.onLostNode(st, sliceSpec, keep, ordinal, pending, now, toPlace));
        } else if (keep.state() == ContainerState.RUNNING) {
          running.add(keep);
          if (replicas.isAvailable(sliceSpec, keep)) {
            available.merge(slice.revision(), 1, Integer::sum);
          }
        } else {
          wake = Durations.min(wake, replicas.handleNotRunning(st, sliceSpec, keep, now));
        }
      }
      if (!toPlace.isEmpty()) {
        wake = Durations.min(wake, replicas.place(st, sliceSpec, toPlace, slice.revision()));
      }
    }
    boolean whole = slices.stream().allMatch(sl -> available.getOrDefault(sl.revision(), 0) >= sl.replicas());
    for (ContainerInfo c : surplus) {
      if (whole) {
        retire(st, spec, c, byRevision);
      } else {
        running.add(c);
      }
    }
    java.util.function.Function<ContainerInfo, ServiceSpec> specOf =
        c -> specs.getOrDefault(c.labels().getOrDefault(OrchLabels.REVISION, ""), spec);
    o.probes.sync(name, running, specOf);
    for (ContainerInfo c : running) {
      if (o.probes.mustRestart(c.id()) && st.killing.putIfAbsent(c.id(), Boolean.TRUE) == null) {
        replicas.kill(st, c);
      }
    }
    publishEndpoints(st, spec, slices, running, specOf);
    wake = Durations.min(wake, replicas.finishDrains(st));
    RolloutPlanner.Slice serving = slices.get(0);
    int servingAvailable = available.getOrDefault(serving.revision(), 0);
    o.setCondition(st, "Available", servingAvailable >= spec.replicas(), servingAvailable >= spec.replicas()
        ? "MinimumReplicasAvailable" : "MinimumReplicasUnavailable", servingAvailable + "/" + spec.replicas()
        + " replicas of serving revision " + serving.revision() + " available");
    wake = Durations.min(wake, o.rollouts.advance(st, spec, available, now));
    RolloutStatus.Phase phase = st.rollout.phase;
    if (phase != RolloutStatus.Phase.STALLED) { // a stall sets its own condition
      o.setCondition(st, "Progressing", true, switch (phase) {
        case COMPLETE -> "NewRevisionAvailable";
        case ROLLED_BACK -> "RolledBack";
        case ABORTED -> "Aborted";
        case PAUSED -> "Paused";
        default -> "Updating";
      }, st.rollout.reason);
    }
    if (st.rollout.target.equals(st.rollout.stable.id()) && available.getOrDefault(revision, 0) == spec.replicas()) {
      st.markGood(revision);
    }
    Map<String, Integer> desired = new HashMap<>();
    Map<String, Double> weights = new HashMap<>();
    List<RolloutPlanner.Slice> after = o.rollouts.currentSlices(st, spec);
    if (!after.equals(slices)) {
      wake = Durations.min(wake, RolloutDriver.AGAIN); // the rollout moved on: realise its new slices
    }
    for (RolloutPlanner.Slice slice : after) {
      desired.put(slice.revision(), slice.replicas());
      weights.put(slice.revision(), slice.kind() == RolloutPlanner.Kind.SERVING ? slice.weight() : 0.0);
    }
    controller.publishView(st, revision, st.rollout.stable.id(), mine, desired, weights,
        rev -> specs.getOrDefault(rev, spec));
    st.rolloutRevision = st.rollout.stable.id();
    if (!st.deleting.isEmpty() || !st.pendingCreates.isEmpty()) {
      wake = Durations.min(wake, Duration.ofSeconds(30)); // a safety net against a lost completion
    }
    return wake == null ? ReconcileResult.done() : ReconcileResult.requeueAfter(wake);
  }

  private void retire(ServiceState st, ServiceSpec spec, ContainerInfo c, Map<String, RolloutPlanner.Slice> slices) {
    String rev = c.labels().getOrDefault(OrchLabels.REVISION, "");
    RolloutPlanner.Slice slice = slices.get(rev);
    replicas.delete(st, spec, c, slice != null ? "ScaledDown" : "Retired", slice != null
        ? "replica " + ServiceController.ordinal(c) + " is beyond the " + slice.replicas() + " replicas of " + rev
        : "revision " + rev + " takes no part in the rollout any more");
  }

  /**
   * Publishes the serving slices' replicas on the service's endpoints, weighted so that each slice gets its
   * share of the traffic, and the preview slice's on the preview endpoints.
   */
  private void publishEndpoints(ServiceState st, ServiceSpec spec, List<RolloutPlanner.Slice> slices,
                                     List<ContainerInfo> running,
                                     java.util.function.Function<ContainerInfo, ServiceSpec> specOf) {
    Map<String, RolloutPlanner.Slice> byRevision = new HashMap<>();
    slices.forEach(sl -> byRevision.put(sl.revision(), sl));
    List<ContainerInfo> serving = new ArrayList<>();
    List<ContainerInfo> preview = new ArrayList<>();
    Map<String, Integer> readyPerRevision = new HashMap<>();
    for (ContainerInfo c : running) {
      RolloutPlanner.Slice sl = byRevision.get(c.labels().getOrDefault(OrchLabels.REVISION, ""));
      if (sl == null) {
        continue;
      }
      if (sl.kind() == RolloutPlanner.Kind.PREVIEW) {
        preview.add(c);
      } else if (sl.kind() == RolloutPlanner.Kind.SERVING && sl.weight() > 0) {
        serving.add(c);
        if (replicas.isReady(specOf.apply(c), c)) {
          readyPerRevision.merge(sl.revision(), 1, Integer::sum);
        }
      }
    }
    Map<String, Integer> weights = EndpointWeights.split(slices, readyPerRevision);
    o.serving.publish(st.name, spec, serving, specOf,
        c -> weights.getOrDefault(c.labels().getOrDefault(OrchLabels.REVISION, ""), 1));
    if (preview.isEmpty()) {
      o.serving.registry.clear(ServiceEndpoints.previewKey(st.name));
    } else {
      o.serving.publish(ServiceEndpoints.previewKey(st.name), spec, preview, specOf, c -> 1);
    }
  }
}
