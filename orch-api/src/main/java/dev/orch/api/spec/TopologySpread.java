package dev.orch.api.spec;

import java.util.Objects;

/**
 * Spreads a service's replicas over the values of a node label (a zone, a rack), so that the replica
 * counts of any two values differ by at most {@code maxSkew}. Immutable and thread-safe.
 *
 * <p>Which domains count: a value of the label counts towards the skew only while at least one node that
 * carries it could take the replica but for resources and the replicas already there, that is a node that
 * is ready, matches the placement's node selector and has no taint the replica does not tolerate. A zone whose
 * nodes are all down, cordoned by taints or excluded by the selector does not hold the others at zero. This
 * is Kubernetes' {@code whenUnsatisfiable: DoNotSchedule} with {@code nodeAffinityPolicy: Honor} and
 * {@code nodeTaintsPolicy: Honor}; unlike Kubernetes' default ({@code nodeTaintsPolicy: Ignore}), tainted
 * nodes never count, and a node that is not ready never counts either (Kubernetes counts every node the
 * policies admit, ready or not). A soft spread ({@code ScheduleAnyway}) only scores nodes.
 *
 * @param topologyKey the node label whose values are the domains, for example {@code zone}
 * @param maxSkew     the largest allowed difference between domains; at least 1
 * @param hard        a hard spread refuses a node that would break it; a soft one only prefers
 */
public record TopologySpread(String topologyKey, int maxSkew, boolean hard) {
  /** Creates a spread; the key is required. */
  public TopologySpread {
    Objects.requireNonNull(topologyKey, "topologyKey");
  }

  /** A hard spread over {@code topologyKey}. */
  public static TopologySpread hard(String topologyKey, int maxSkew) {
    return new TopologySpread(topologyKey, maxSkew, true);
  }

  /** A soft spread over {@code topologyKey}. */
  public static TopologySpread soft(String topologyKey, int maxSkew) {
    return new TopologySpread(topologyKey, maxSkew, false);
  }
}
