package dev.orch.core;

import java.util.Map;
import java.util.Objects;

/**
 * Where a service's rollout stands: its current revision, the phase, how many replicas of each revision
 * exist and are ready, and the reason for the last decision, in words. Immutable and thread-safe.
 *
 * @param revision  the revision the service is moving to (or runs)
 * @param phase     the phase
 * @param revisions replicas and ready replicas per revision id
 * @param reason    the last rollout decision, in words
 */
public record RolloutStatus(String revision, Phase phase, Map<String, Counts> revisions, String reason) {
  /** The phase of a rollout. */
  public enum Phase {
    /** Replicas of the current revision are being started and old ones retired. */
    PROGRESSING,
    /** Every replica runs the current revision and is available. */
    COMPLETE,
    /** No progress within the progress deadline, and nothing to roll back to (or auto-rollback is off). */
    STALLED
  }

  /**
   * Replicas of one revision.
   *
   * @param replicas how many exist
   * @param ready    how many are ready
   */
  public record Counts(int replicas, int ready) {
  }

  /** Creates a status, copying the map. */
  public RolloutStatus {
    Objects.requireNonNull(revision, "revision");
    Objects.requireNonNull(phase, "phase");
    revisions = Map.copyOf(revisions);
    Objects.requireNonNull(reason, "reason");
  }
}
