package dev.orch.core.internal;

import dev.orch.api.runtime.NodeInfo;
import dev.orch.api.spec.ServiceSpec;
import dev.orch.core.scheduler.ClusterSnapshot;
import dev.orch.core.scheduler.PlacementResult;
import dev.orch.core.scheduler.ReplicaRequest;
import dev.orch.core.scheduler.Scheduler;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** The controller's placements through the {@link Scheduler}, on a snapshot built for each pass. */
public final class SchedulerPlacer implements Placer {
  private final Scheduler scheduler;

  /** Places through {@code scheduler}. */
  public SchedulerPlacer(Scheduler scheduler) {
    this.scheduler = scheduler;
  }

  @Override
  public List<Outcome> place(List<NodeInfo> nodes, List<Existing> existing, ServiceSpec spec, List<String> replicaIds,
                             Map<String, String> boundNodes) {
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
