package dev.orch.core.engine;

import dev.orch.api.runtime.NodeInfo;
import dev.orch.api.spec.ServiceSpec;
import dev.orch.core.scheduler.ClusterSnapshot;
import dev.orch.core.scheduler.PlacementResult;
import dev.orch.core.scheduler.ReplicaRequest;
import dev.orch.core.scheduler.Scheduler;
import java.util.ArrayList;
import java.util.Optional;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Chooses nodes for new replicas through the {@link Scheduler}, against a snapshot of the cluster built for
 * each call from what already holds room. Thread-safe as the scheduler is; callers serialise placements
 * that must see each other.
 */
final class SchedulerPlacement {
  /** A replica that holds resources on a node: running, starting, or about to be created. */
  record Existing(String replicaId, String service, String nodeId, ServiceSpec spec) {
  }

  /**
   * The outcome for one replica: the node chosen, or why none fits.
   *
   * @param nodeId      the chosen node, when one fits
   * @param message     why none fits ({@code 0/5 nodes fit: ...}), when none does
   * @param victims     when none fits: the lower-priority replicas whose removal would make room, if any
   * @param victimsNode the node the victims would free
   */
  record Outcome(Optional<String> nodeId, String message, List<String> victims, Optional<String> victimsNode) {
    static Outcome placed(String nodeId) {
      return new Outcome(Optional.of(nodeId), "", List.of(), Optional.empty());
    }

    static Outcome unschedulable(String message, List<String> victims, Optional<String> victimsNode) {
      return new Outcome(Optional.empty(), message, List.copyOf(victims), victimsNode);
    }
  }

  private final Scheduler scheduler;

  private Traces traces = new Traces(io.micrometer.observation.ObservationRegistry.NOOP);

  /** Observes each placement through {@code t}. */
  SchedulerPlacement observedBy(Traces t) {
    this.traces = t;
    return this;
  }

  SchedulerPlacement(Scheduler scheduler) {
    this.scheduler = scheduler;
  }

  /**
   * Places {@code replicaIds} of {@code spec}, in order, each reserving what it takes before the next.
   *
   * @param nodes      every node, ready or not
   * @param existing   what already holds resources
   * @param boundNodes replica id to the node holding its node-local volume, where it must go back
   */
  List<Outcome> place(List<NodeInfo> nodes, List<Existing> existing, ServiceSpec spec, List<String> replicaIds,
                             Map<String, String> boundNodes) {
    io.micrometer.observation.Observation o = traces.placement(spec.name(), replicaIds.size());
    try {
      List<Outcome> out = placeAll(nodes, existing, spec, replicaIds, boundNodes);
      Traces.stop(o, out.stream().allMatch(x -> x.nodeId().isPresent()) ? "placed" : "unschedulable", null);
      return out;
    } catch (RuntimeException e) {
      Traces.stop(o, "failed", e);
      throw e;
    }
  }

  private List<Outcome> placeAll(List<NodeInfo> nodes, List<Existing> existing, ServiceSpec spec,
                                 List<String> replicaIds, Map<String, String> boundNodes) {
    ClusterSnapshot snapshot = ClusterSnapshot.of(nodes);
    Set<String> nodeIds = new HashSet<>();
    nodes.forEach(n -> nodeIds.add(n.id()));
    Set<String> seen = new HashSet<>();
    for (Existing e : existing) {
      if (!nodeIds.contains(e.nodeId()) || !seen.add(e.replicaId())) {
        continue;
      }
      ReplicaRequest r = e.spec() != null ? ReplicaRequest.of(e.spec(), e.replicaId())
          : ReplicaRequest.builder(e.service().isEmpty() ? "unknown" : e.service(), e.replicaId()).build();
      snapshot.addReplica(r, e.nodeId());
    }
    List<Outcome> out = new ArrayList<>(replicaIds.size());
    for (String id : replicaIds) {
      ReplicaRequest r = ReplicaRequest.of(spec, seen.add(id) ? id : id + "-new");
      String bound = boundNodes.get(id);
      if (bound != null) {
        r = r.withBoundNode(bound);
      }
      PlacementResult result = scheduler.place(snapshot, r);
      if (result instanceof PlacementResult.Placed p) {
        out.add(Outcome.placed(p.nodeId()));
      } else {
        PlacementResult.Unschedulable u = (PlacementResult.Unschedulable) result;
        out.add(Outcome.unschedulable(u.message(), u.preemption().map(p -> p.victims()).orElse(List.of()),
            u.preemption().map(p -> p.nodeId())));
      }
    }
    return out;
  }
}
