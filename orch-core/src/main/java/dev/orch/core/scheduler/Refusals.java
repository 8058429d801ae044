package dev.orch.core.scheduler;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Turns the snapshot's first-failing-filter codes into counted reasons and a one-line message. */
final class Refusals {
  private Refusals() {
  }

  /** The reason node {@code i} refused {@code r}, given its failure code. */
  static String reason(ClusterSnapshot s, CompiledPlacement c, ReplicaRequest r, Filter[] filters, int i,
                       int code) {
    switch (code) {
      case PlacementKernel.NOT_READY:
        return "node not ready";
      case PlacementKernel.BOUND_ELSEWHERE:
        return "node-local volume is on node " + r.boundNodeOrNull();
      case PlacementKernel.SELECTOR:
        return c.selText[s.failDetail[i]];
      case PlacementKernel.TAINT:
        return s.taintText[i][s.failDetail[i]];
      case PlacementKernel.CPU:
        return "insufficient cpu";
      case PlacementKernel.MEMORY:
        return "insufficient memory";
      case PlacementKernel.PORT:
        return "host port " + ReplicaRequest.portText(r.hostPortCodes()[s.failDetail[i]]) + " in use";
      case PlacementKernel.ANTI_AFFINITY:
        return "replica anti-affinity";
      case PlacementKernel.SPREAD_KEY:
        return c.spMissingText[s.failDetail[i]];
      case PlacementKernel.SPREAD_SKEW:
        return c.spSkewText[s.failDetail[i]];
      default:
        if (code >= PlacementKernel.USER) {
          return filters[code - PlacementKernel.USER].reason(r, s.view.at(i));
        }
        throw new IllegalStateException("no reason for code " + code);
    }
  }

  /** The reasons of every live node, from {@code s.failedBy}, counted and sorted by count then text. */
  static Map<String, Integer> count(ClusterSnapshot s, CompiledPlacement c, ReplicaRequest r,
                                    Filter[] filters) {
    Map<String, int[]> counts = new HashMap<>();
    for (int i = 0; i < s.slots; i++) {
      if (s.live[i]) {
        counts.computeIfAbsent(reason(s, c, r, filters, i, s.failedBy[i]), k -> new int[1])[0]++;
      }
    }
    List<Map.Entry<String, int[]>> entries = new ArrayList<>(counts.entrySet());
    entries.sort((a, b) -> a.getValue()[0] != b.getValue()[0]
        ? Integer.compare(b.getValue()[0], a.getValue()[0]) : a.getKey().compareTo(b.getKey()));
    Map<String, Integer> out = new LinkedHashMap<>();
    for (Map.Entry<String, int[]> e : entries) {
      out.put(e.getKey(), e.getValue()[0]);
    }
    return out;
  }

  /** {@code 0/5 nodes fit: 3 insufficient memory, 2 missing label zone=eu}. */
  static String message(int fit, int nodes, Map<String, Integer> reasons) {
    StringBuilder b = new StringBuilder().append(fit).append('/').append(nodes).append(" nodes fit");
    if (nodes == 0) {
      return b.append(": the snapshot has no nodes").toString();
    }
    String sep = ": ";
    for (Map.Entry<String, Integer> e : reasons.entrySet()) {
      b.append(sep).append(e.getValue()).append(' ').append(e.getKey());
      sep = ", ";
    }
    return b.toString();
  }
}
