package dev.orch.core.rollout;

import dev.orch.api.spec.RolloutStrategy;
import dev.orch.api.spec.ServiceSpec;
import dev.orch.core.OrchEvent;
import dev.orch.core.Revision;
import dev.orch.core.RolloutStatus;
import dev.orch.core.RolloutStep;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;

/**
 * The rolling update's side of a rollout: a new revision restarts its progress, pause and resume hold or
 * release its next wave, each wave is recorded as a step, and an update that gains no available replica
 * within its progress deadline is rolled back to the last good revision (or, without auto-rollback, reported
 * stalled, as Kubernetes does). The engine decides which replicas each wave surges and replaces. Worker only.
 */
public final class RollingProgress {
  private final RolloutNotes notes;
  private final RolloutEffects effects;
  private final boolean autoRollback;

  RollingProgress(RolloutNotes notes, boolean autoRollback) {
    this.notes = notes;
    this.effects = notes.effects();
    this.autoRollback = autoRollback;
  }

  /** {maxSurge, maxUnavailable} resolved as Kubernetes does: surge rounds up, unavailable down, never both 0. */
  public static int[] bounds(ServiceSpec spec) {
    if (spec.rollout() instanceof RolloutStrategy.RollingUpdate ru) {
      int surge = ru.maxSurge().resolve(spec.replicas(), true);
      int unavailable = ru.maxUnavailable().resolve(spec.replicas(), false);
      return new int[] {surge, surge == 0 && unavailable == 0 ? 1 : unavailable};
    }
    return new int[] {1, 0};
  }

  /**
   * Begins a pass of a rolling update towards {@code revision}: a new revision starts a new update (progress
   * tracking and the steps taken start over), then the queued pause and resume apply ({@code updating}: old
   * replicas remain). Returns whether this pass may start a new wave (none is paused).
   */
  public boolean begin(RolloutState r, ServiceSpec spec, String revision, boolean updating, Instant now) {
    if (!revision.equals(r.rollingRevision)) {
      r.rollingRevision = revision;
      if (!revision.equals(r.rollbackTo)) {
        r.rolledBackFrom = null;
        r.rollbackTo = null;
      }
      r.restart(revision, now);
      r.reason = "revision " + revision;
    }
    for (RolloutState.Op op; (op = r.nextOp()) != null; ) {
      if (op == RolloutState.Op.PAUSE && updating && !r.paused) {
        r.paused = true;
        notes.note(spec, "paused", revision, "RolloutPaused", "paused by pause(): no new wave starts");
      } else if (op == RolloutState.Op.RESUME && r.paused) {
        r.paused = false;
        notes.note(spec, "resumed", revision, "RolloutResumed", "resumed by resume()");
      }
    }
    if (!updating && r.paused) {
      r.paused = false; // nothing left to pause
    }
    return !r.paused;
  }

  /**
   * Records a wave that surged {@code surged} new replicas and replaced {@code replaced} old ones of revision
   * {@code from}, {@code outdated} old ones having been left before it.
   */
  public void wave(RolloutState r, ServiceSpec spec, String revision, String from, int outdated, int surged,
                   int replaced) {
    if (r.taken.isEmpty()) {
      notes.note(spec, "started", revision, "RolloutStarted", "RollingUpdate from " + from + " to " + revision
          + " started");
    }
    int[] bounds = bounds(spec);
    int oldLeft = outdated - replaced;
    int newCount = spec.replicas() - oldLeft + surged;
    RolloutStep step = r.take(new RolloutStep(r.taken.size(), "surge " + surged + ", replace " + replaced,
        Map.of(from, oldLeft, revision, newCount), spec.replicas() - bounds[1], spec.replicas() + bounds[0],
        RolloutPlanner.rollingWeights(from, oldLeft, revision, newCount)));
    notes.note(spec, "step", revision, "RolloutStep", "wave " + step);
  }

  /**
   * Follows the progress of the current revision: once all its replicas are available it is the last
   * good one; an update that gains no available replica within the progress deadline is rolled back to
   * the last good revision (unless auto-rollback is off, when it is only reported). Returns when to look
   * again, or null.
   */
  public Duration track(RolloutState r, ServiceSpec spec, String revision, int availableCurrent, Instant now) {
    if (r.settled) {
      // Done: a replica lost later is healed, not a rollout that failed to progress. A scale-up beyond the
      // count it settled at is not complete until the new replicas are available (placed, started, ready).
      int n = spec.replicas();
      if (n > r.settledReplicas && availableCurrent < n) {
        r.phase = RolloutStatus.Phase.PROGRESSING;
        r.reason = "scaling to " + n + ": " + availableCurrent + "/" + n + " replicas of revision " + revision
            + " available";
      } else if (availableCurrent >= n || n < r.settledReplicas) {
        if (r.phase == RolloutStatus.Phase.PROGRESSING) {
          r.phase = RolloutStatus.Phase.COMPLETE;
          r.reason = "revision " + revision + " is available";
        }
        r.settledReplicas = n;
      }
      return null;
    }
    String name = spec.name();
    if (availableCurrent == spec.replicas()) {
      r.settled = true;
      r.settledReplicas = spec.replicas();
      r.history().markGood(revision);
      if (!r.taken.isEmpty()) {
        notes.note(spec, "completed", revision, "RolloutCompleted", "revision " + revision + " is available");
      }
      r.phase = r.rolledBackFrom != null ? RolloutStatus.Phase.ROLLED_BACK : RolloutStatus.Phase.COMPLETE;
      r.reason = r.rolledBackFrom != null ? "rolled back from " + r.rolledBackFrom + " to " + revision + ": "
          + r.rollbackCause : "revision " + revision + " is available";
      // After an automatic rollback nothing progresses: the condition says so, with the cause.
      effects.setCondition(name, "Progressing", r.rolledBackFrom == null,
          r.rolledBackFrom != null ? "RolledBack" : "NewRevisionAvailable", r.reason);
      return null;
    }
    r.phase = r.paused ? RolloutStatus.Phase.PAUSED : RolloutStatus.Phase.PROGRESSING;
    if (availableCurrent > r.bestAvailable) {
      r.bestAvailable = availableCurrent;
      r.progressAt = now;
    }
    Duration deadline = spec.rollout().progressDeadline();
    Duration quiet = Duration.between(r.progressAt, now);
    if (quiet.compareTo(deadline) < 0) {
      effects.setCondition(name, "Progressing", true, "Updating", availableCurrent + "/" + spec.replicas()
          + " replicas of revision " + revision + " available");
      return deadline.minus(quiet);
    }
    String why = "no progress in " + deadline.toSeconds() + "s: " + availableCurrent + "/" + spec.replicas()
        + " replicas of revision " + revision + " available";
    Optional<Revision> good = r.history().lastGoodBefore(revision);
    if (autoRollback && good.isPresent()) {
      effects.event(OrchEvent.Type.WARNING, "ProgressDeadlineExceeded", name, why + "; rolling back");
      r.rolledBackFrom = revision;
      r.rollbackCause = why;
      r.rollbackTo = good.get().id();
      effects.rollBack(spec, good.get()); // kept before it is said (a store that refuses it makes it owed)
      notes.note(spec, "rolledback", good.get().id(), "RolledBack", "back to revision " + good.get().id()
          + " from " + revision + ": " + why);
      return null;
    }
    r.phase = RolloutStatus.Phase.STALLED;
    r.reason = why;
    if (effects.setCondition(name, "Progressing", false, "ProgressDeadlineExceeded", why)) {
      notes.note(spec, "stalled", revision, "ProgressDeadlineExceeded", why);
    }
    return null;
  }
}
