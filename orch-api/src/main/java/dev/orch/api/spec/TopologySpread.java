package dev.orch.api.spec;

import java.util.Objects;

/**
 * Spreads a service's replicas over the values of a node label (a zone, a rack), so that the replica
 * counts of any two values differ by at most {@code maxSkew}. Immutable and thread-safe.
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
