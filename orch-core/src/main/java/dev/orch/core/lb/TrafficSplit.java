package dev.orch.core.lb;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A traffic split between groups of endpoints by the value of one label, e.g. a canary's revisions:
 * reshapes the candidates' weights so that each group with weight gets its share of the total. Immutable
 * and thread-safe.
 *
 * <p>Endpoints whose label value has no weight (or is missing) get nothing; a group without candidates
 * gives its share to the others. See {@link LoadBalancer#trafficSplit(String, Map)}.
 */
final class TrafficSplit {
  private final String label;
  private final Map<String, Integer> groupWeights;

  private TrafficSplit(String label, Map<String, Integer> groupWeights) {
    this.label = label;
    this.groupWeights = groupWeights;
  }

  /**
   * A split of the endpoints by label {@code label}, with weights {@code groupWeights} by value.
   *
   * @throws IllegalArgumentException if a weight is negative or none is positive
   */
  static TrafficSplit of(String label, Map<String, Integer> groupWeights) {
    Objects.requireNonNull(label, "label");
    int positive = 0;
    for (Map.Entry<String, Integer> g : groupWeights.entrySet()) {
      if (g.getValue() < 0) {
        throw new IllegalArgumentException(
            "trafficSplit." + label + "=" + g.getKey() + ": weight " + g.getValue() + ": must be >= 0");
      }
      if (g.getValue() > 0) {
        positive++;
      }
    }
    if (positive == 0) {
      throw new IllegalArgumentException("trafficSplit." + label + ": " + groupWeights
          + ": at least one group must have a positive weight");
    }
    return new TrafficSplit(label, Map.copyOf(groupWeights));
  }

  /**
   * Rescales {@code base}, the weights of {@code chosen} (index-aligned), in place: a candidate's new
   * weight is its group's share of the groups present, spread over the group by the old weights.
   */
  void apply(List<Endpoint> chosen, double[] base) {
    Map<String, Double> groupTotals = new LinkedHashMap<>();
    for (int i = 0; i < base.length; i++) {
      String group = chosen.get(i).labels().get(label);
      Integer gw = group == null ? null : groupWeights.get(group);
      if (gw == null || gw == 0) {
        base[i] = 0;
      } else if (base[i] > 0) {
        groupTotals.merge(group, base[i], Double::sum);
      }
    }
    double shares = 0;
    for (String g : groupTotals.keySet()) {
      shares += groupWeights.get(g);
    }
    for (int i = 0; i < base.length; i++) {
      if (base[i] > 0) {
        String group = chosen.get(i).labels().get(label);
        base[i] = groupWeights.get(group) / shares * base[i] / groupTotals.get(group);
      }
    }
  }
}
