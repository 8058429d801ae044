package dev.orch.core;

import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * Where a service's rollout stands: the revision it moves to and the stable one, the phase, the current
 * step, per revision how many replicas are desired, exist, are ready and are available, the traffic
 * weights, the steps taken and the reason for the last decision, in words. Immutable and thread-safe.
 *
 * @param revision  the revision the service is moving to (or runs)
 * @param stable    the revision that serves while a blue/green or canary rollout runs (the same as
 *                  {@code revision} once it completes, and for a rolling update)
 * @param strategy  the strategy's name ({@code RollingUpdate}, {@code BlueGreen} or {@code Canary})
 * @param phase     the phase
 * @param step      the index of the current step in {@link #steps()} order; -1 when none was taken
 * @param revisions replica counts per revision id
 * @param weights   percent of the service's traffic each revision is meant to get at the current step (the
 *                  endpoints' weights carry it, over the ready replicas of each revision)
 * @param steps     the steps this rollout took, in order (the last is the current one)
 * @param reason    the last rollout decision, in words
 */
public record RolloutStatus(String revision, String stable, String strategy, Phase phase, int step,
                            Map<String, Counts> revisions, Map<String, Double> weights, List<RolloutStep> steps,
                            String reason) {
  /** The phase of a rollout. */
  public enum Phase {
    /** Replicas of the new revision are being started, traffic moved, or old replicas retired. */
    PROGRESSING,
    /** Waiting: paused by a step or by {@code pause}, or a blue/green rollout awaiting {@code promote}. */
    PAUSED,
    /**
     * No rollout is in progress: the service runs its current revision (whose replicas may still be
     * starting, or healing after a fault; see the service's status for that).
     */
    COMPLETE,
    /** Aborted: all traffic is on the stable revision and the new revision's replicas are removed. */
    ABORTED,
    /** Returned automatically to the last good revision after a failed analysis or a missed deadline. */
    ROLLED_BACK,
    /** No progress within the progress deadline, and nothing to roll back to (or auto-rollback is off). */
    STALLED
  }

  /**
   * Replicas of one revision.
   *
   * @param desired   how many the rollout asks for now
   * @param replicas  how many exist
   * @param ready     how many are ready
   * @param available how many have been ready for the strategy's minimum ready time
   */
  public record Counts(int desired, int replicas, int ready, int available) {
  }

  /** Creates a status, copying the maps and the steps. */
  public RolloutStatus {
    Objects.requireNonNull(revision, "revision");
    Objects.requireNonNull(stable, "stable");
    Objects.requireNonNull(strategy, "strategy");
    Objects.requireNonNull(phase, "phase");
    Objects.requireNonNull(revisions, "revisions");
    Objects.requireNonNull(weights, "weights");
    Objects.requireNonNull(steps, "steps");
    revisions = java.util.Collections.unmodifiableMap(new TreeMap<>(revisions));
    weights = java.util.Collections.unmodifiableMap(new TreeMap<>(weights));
    steps = List.copyOf(steps);
    Objects.requireNonNull(reason, "reason");
  }

  /**
   * A one-line summary: {@code RollingUpdate to 61a1bf7ae4: COMPLETE (revision 61a1bf7ae4 is available)}; a
   * blue/green or canary rollout in flight names the stable revision and the weights as well.
   */
  @Override
  public String toString() {
    StringBuilder sb = new StringBuilder(strategy).append(" to ").append(revision);
    if (!stable.equals(revision)) {
      sb.append(" from ").append(stable);
    }
    sb.append(": ").append(phase);
    if (step >= 0 && step < steps.size()) {
      sb.append(", step ").append(step).append(" (").append(steps.get(step).action()).append(')');
    }
    if (weights.size() > 1) {
      sb.append(", weights ").append(weights);
    }
    if (!reason.isEmpty()) {
      sb.append(" (").append(reason).append(')');
    }
    return sb.toString();
  }
}
