package dev.orch.core.rollout;

import java.math.BigInteger;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Turns the slices' traffic shares into integer endpoint weights, so that any weighted picker over the
 * service's endpoints sends each slice its share: a slice at {@code p}% with {@code r} ready replicas gives
 * each of them {@code p * M / r}, where {@code M} is the least common multiple of the ready counts (reduced
 * by the weights' greatest common divisor). Exact to 0.1% while the weights fit an int.
 */
public final class EndpointWeights {
  private EndpointWeights() {
  }

  /** The weight of each endpoint, per revision; empty when one slice takes all the traffic (weight 1 each). */
  public static Map<String, Integer> split(List<RolloutPlanner.Slice> slices, Map<String, Integer> readyPerRevision) {
    Map<String, Long> tenths = new HashMap<>();
    long lcm = 1;
    for (RolloutPlanner.Slice s : slices) {
      int ready = readyPerRevision.getOrDefault(s.revision(), 0);
      if (s.kind() == RolloutPlanner.Kind.SERVING && s.weight() > 0 && ready > 0) {
        tenths.put(s.revision(), Math.round(s.weight() * 10));
        lcm = lcm(lcm, ready);
      }
    }
    if (tenths.size() < 2) {
      return Map.of();
    }
    Map<String, Long> raw = new HashMap<>();
    long gcd = 0;
    long max = 0;
    for (Map.Entry<String, Long> e : tenths.entrySet()) {
      long w = e.getValue() * (lcm / readyPerRevision.get(e.getKey()));
      raw.put(e.getKey(), w);
      gcd = BigInteger.valueOf(gcd).gcd(BigInteger.valueOf(w)).longValue();
      max = Math.max(max, w);
    }
    double scale = max / gcd > Integer.MAX_VALUE / 2 ? (Integer.MAX_VALUE / 2.0) / (max / gcd) : 1.0;
    Map<String, Integer> out = new HashMap<>();
    for (Map.Entry<String, Long> e : raw.entrySet()) {
      out.put(e.getKey(), (int) Math.max(1, Math.round(e.getValue() / gcd * scale)));
    }
    return out;
  }

  private static long lcm(long a, long b) {
    return a / BigInteger.valueOf(a).gcd(BigInteger.valueOf(b)).longValue() * b;
  }
}
