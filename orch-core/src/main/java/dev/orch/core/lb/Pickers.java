package dev.orch.core.lb;

import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * The load-balancing algorithms a {@link LoadBalancer} can use. Every picker returned is immutable,
 * thread-safe, and picks without allocating.
 */
public final class Pickers {
  /** The names {@link #byName(String)} knows, one per factory here. */
  public static final List<String> NAMES = List.of("roundRobin", "weightedRoundRobin", "random",
      "leastRequest", "peakEwma", "ringHash", "maglev");

  private Pickers() {
  }

  /**
   * Round robin over the healthy endpoints, ignoring weights (an endpoint of weight 0 gets nothing).
   * One thread sees an exact round-robin sequence; concurrent threads follow separate stripes of it
   * (so that they do not contend on one counter), which keeps the spread within a few picks of even.
   */
  public static Picker roundRobin() {
    return new RoundRobinPicker();
  }

  /**
   * Nginx's smooth weighted round robin: each endpoint gets its weight's share of every cycle, spread
   * evenly; over any window of one thread's picks an endpoint's count stays within 2 of its share
   * (checked for up to 8 endpoints of weights 1..10). Weights that are not small integers are scaled
   * to a cycle of at most 65,536 slots.
   */
  public static Picker weightedRoundRobin() {
    return new SmoothWeightedRoundRobinPicker();
  }

  /** A random healthy endpoint, in proportion to its weight. */
  public static Picker random() {
    return new RandomPicker();
  }

  /** Least request with two random choices: of two endpoints drawn by weight, the one with fewer in flight. */
  public static Picker leastRequest() {
    return new LeastRequestPicker();
  }

  /** Finagle's peak-EWMA with two random choices, with Finagle's 10 s decay. */
  public static Picker p2cPeakEwma() {
    return p2cPeakEwma(Duration.ofSeconds(10));
  }

  /**
   * Finagle's peak-EWMA with two random choices: of two endpoints drawn by weight, the one whose
   * latency EWMA times (in flight + 1) is lower. Reported latencies feed it.
   *
   * @param decay the EWMA's time constant, positive
   */
  public static Picker p2cPeakEwma(Duration decay) {
    Objects.requireNonNull(decay, "decay");
    return new PeakEwmaPicker(decay);
  }

  /** Consistent hashing on a ring, with 160 points per unit of weight (as ketama). */
  public static Picker ringHash() {
    return ringHash(160);
  }

  /**
   * Consistent hashing on a ring where each endpoint owns {@code pointsPerWeight} points per unit of
   * its weight, placed by hashing its id (at most 8M points in all). Pick with a key
   * ({@link LoadBalancer#pick(CharSequence)}); a pick without one goes to a random point. Removing an
   * endpoint moves only its own keys.
   *
   * @throws IllegalArgumentException if not in 1..65536
   */
  public static Picker ringHash(int pointsPerWeight) {
    return new RingHashPicker(pointsPerWeight);
  }

  /** Maglev consistent hashing with Envoy's default table size 65,537. */
  public static Picker maglev() {
    return maglev(65_537);
  }

  /**
   * Maglev consistent hashing with a lookup table of {@code tableSize} slots (a prime; grown to a
   * prime of at least 100 per endpoint if too small). Pick with a key; a pick without one is random.
   */
  public static Picker maglev(int tableSize) {
    return new MaglevPicker(tableSize);
  }

  /**
   * The picker with default settings named {@code name}, one of {@link #NAMES}.
   *
   * @throws IllegalArgumentException for an unknown name
   */
  public static Picker byName(String name) {
    Objects.requireNonNull(name, "name");
    return switch (name) {
      case "roundRobin" -> roundRobin();
      case "weightedRoundRobin" -> weightedRoundRobin();
      case "random" -> random();
      case "leastRequest" -> leastRequest();
      case "peakEwma" -> p2cPeakEwma();
      case "ringHash" -> ringHash();
      case "maglev" -> maglev();
      default -> throw new IllegalArgumentException("picker: '" + name + "': must be one of " + NAMES);
    };
  }
}
