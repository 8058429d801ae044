package dev.orch.core.internal;

import dev.orch.api.runtime.NodeInfo;
import dev.orch.api.spec.Resources;
import dev.orch.api.spec.ServiceSpec;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** TEMPORARY least-allocated placer until the Scheduler lands. */
public final class DefaultPlacer implements Placer {
  private DefaultPlacer() {
  }

  /** A placer. */
  public static Placer create(long seed) {
    return new DefaultPlacer();
  }

  @Override
  public List<Outcome> place(List<NodeInfo> nodes, List<Existing> existing, ServiceSpec spec, List<String> ids,
                             Map<String, String> boundNodes) {
    Map<String, Resources> used = new HashMap<>();
    for (Existing e : existing) {
      Resources r = e.spec() == null ? Resources.NONE : e.spec().container().resources().requests();
      used.merge(e.nodeId(), r, Resources::plus);
    }
    List<Outcome> out = new ArrayList<>();
    Resources req = spec.container().resources().requests();
    for (String id : ids) {
      NodeInfo best = null;
      long bestFree = -1;
      for (NodeInfo n : nodes) {
        if (!n.ready()) {
          continue;
        }
        Resources free = n.capacity().minus(used.getOrDefault(n.id(), Resources.NONE));
        if (!free.fits(req)) {
          continue;
        }
        if (free.memoryBytes() > bestFree) {
          bestFree = free.memoryBytes();
          best = n;
        }
      }
      if (best == null) {
        out.add(Outcome.unschedulable("0/" + nodes.size() + " nodes fit"));
      } else {
        used.merge(best.id(), req, Resources::plus);
        out.add(Outcome.placed(best.id()));
      }
    }
    return out;
  }
}
