package dev.orch.core.policy;

import dev.orch.api.policy.Direction;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The sides of services the evaluator does not know. Such a service is taken as one of that name without labels or
 * ports: the policies that name it select it, and so do those whose label selector is empty (all services).
 * Immutable; rebuilt whole when a policy changes (one pass over the policies).
 */
final class UnknownSides {
  private final Map<String, SideTable> ingressByName;
  private final Map<String, SideTable> egressByName;
  private final SideTable unlabelledIngress;
  private final SideTable unlabelledEgress;

  private UnknownSides(Collection<CompiledPolicy> sorted, ServiceIndex services) {
    ingressByName = byName(Direction.INGRESS, sorted, services);
    egressByName = byName(Direction.EGRESS, sorted, services);
    unlabelledIngress = SideTable.of(Direction.INGRESS, unlabelled(Direction.INGRESS, sorted));
    unlabelledEgress = SideTable.of(Direction.EGRESS, unlabelled(Direction.EGRESS, sorted));
  }

  /** The sides of unknown services under {@code sorted} (the policies in name order). */
  static UnknownSides of(Collection<CompiledPolicy> sorted, ServiceIndex services) {
    return new UnknownSides(sorted, services);
  }

  SideTable ingress(String service) {
    return ingressByName.getOrDefault(service, unlabelledIngress);
  }

  SideTable egress(String service) {
    return egressByName.getOrDefault(service, unlabelledEgress);
  }

  private static List<CompiledPolicy> unlabelled(Direction direction, Collection<CompiledPolicy> sorted) {
    List<CompiledPolicy> out = new ArrayList<>();
    for (CompiledPolicy p : sorted) {
      if (p.selectsUnlabelled && p.isolates(direction)) {
        out.add(p);
      }
    }
    return out;
  }

  /** A table for each unknown service some policy names: those policies and the ones that select all services. */
  private static Map<String, SideTable> byName(Direction direction, Collection<CompiledPolicy> sorted,
                                               ServiceIndex services) {
    List<CompiledPolicy> selectingAll = unlabelled(direction, sorted);
    Map<String, List<CompiledPolicy>> named = new HashMap<>();
    for (CompiledPolicy p : sorted) {
      if (p.isolates(direction) && !p.selectsUnlabelled) {
        for (String name : p.policy.selector().services()) {
          if (services.id(name) < 0) {
            named.computeIfAbsent(name, n -> new ArrayList<>()).add(p);
          }
        }
      }
    }
    Map<String, SideTable> out = new HashMap<>();
    for (Map.Entry<String, List<CompiledPolicy>> e : named.entrySet()) {
      List<CompiledPolicy> selecting = new ArrayList<>(e.getValue());
      selecting.addAll(selectingAll);
      selecting.sort(Comparator.comparing(CompiledPolicy::name));
      out.put(e.getKey(), SideTable.of(direction, selecting));
    }
    return out;
  }
}
