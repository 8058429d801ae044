package dev.orch.core.lb;

/**
 * A load-balancing algorithm, chosen with one of the {@link Pickers} factories and given to
 * {@link LoadBalancer.Builder#picker(Picker)}. Immutable and thread-safe; one picker may serve many
 * load balancers. It cannot be implemented outside this package.
 */
public abstract class Picker {
  Picker() {
  }

  /** The picker's name, as {@link Pickers#byName(String)} knows it. */
  public abstract String name();

  /** Prepares the pick-path state over {@code candidates} (weights positive). */
  abstract Table build(Candidates candidates);

  /** Whether the pick uses the request key (consistent hashing). */
  boolean hashesKey() {
    return false;
  }

  /** Whether reported latencies feed the pick. */
  boolean usesLatency() {
    return false;
  }

  /** Whether slow start should scale this picker's weights. */
  boolean honoursSlowStart() {
    return true;
  }

  @Override
  public String toString() {
    return name();
  }
}
