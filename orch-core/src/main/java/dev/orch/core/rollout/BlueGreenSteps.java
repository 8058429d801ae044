package dev.orch.core.rollout;

import dev.orch.api.spec.RolloutStrategy;
import dev.orch.api.spec.ServiceSpec;
import dev.orch.core.RolloutStatus.Phase;
import dev.orch.core.rollout.RolloutPlanner.Position;
import java.time.Duration;
import java.time.Instant;

/**
 * The steps of a blue/green rollout: preview the new revision at full size, analyse it before promotion,
 * wait for a promote (unless it promotes itself), switch all traffic in one step, and scale the old
 * revision down after its delay. Worker only.
 */
final class BlueGreenSteps {
  private final SliceSteps shared;

  BlueGreenSteps(SliceSteps shared) {
    this.shared = shared;
  }

  /** Moves a blue/green rollout on; returns when to look again (null: when something changes). */
  Duration advance(RolloutState r, ServiceSpec spec, RolloutStrategy.BlueGreen bg, int targetAvailable, Instant now) {
    int n = spec.replicas();
    if (!r.position.promoted()) {
      if (r.taken.isEmpty()) {
        shared.take(r, spec, "preview");
      }
      if (targetAvailable < n) {
        return shared.waitForReplicas(r, spec, targetAvailable, n, now);
      }
      r.waitingSince = null;
      if (bg.prePromotionAnalysis().isPresent() && !r.promoteAsked) {
        if (r.analysis == null) {
          if (r.resumedAnalysis == null) { // (a resumed one was taken before the restart)
            shared.take(r, spec, "analysis " + shared.checkNames(bg.prePromotionAnalysis().get()));
          }
          r.analysis = shared.analysis(bg.prePromotionAnalysis().get(), spec, r, now);
        }
        if (r.analysis.verdict() != AnalysisRun.Verdict.PASSED) {
          Duration wake = shared.runAnalysis(r, spec, now);
          if (r.analysis == null || r.analysis.verdict() != AnalysisRun.Verdict.PASSED) {
            return wake; // still running, or failed (and the rollout aborted)
          }
        }
      }
      if (!bg.autoPromote() && !r.promoteAsked) {
        r.phase = Phase.PAUSED;
        r.reason = "preview of " + r.target + " is available on the preview endpoints; awaiting promote";
        if (!r.taken.get(r.taken.size() - 1).action().equals("await promote")) {
          shared.take(r, spec, "await promote");
          shared.note(spec, "paused", r.target, "RolloutPaused", r.reason);
        }
        return null;
      }
      r.position = new Position(0, true, true, false);
      r.promotedAt = now;
      r.phase = Phase.PROGRESSING;
      shared.take(r, spec, "promote");
      r.reason = "promoted " + r.target + ": all traffic switched in one step; " + r.stable.id() + " kept for "
          + RolloutPlanner.human(bg.scaleDownDelay()) + " for an instant rollback";
      shared.note(spec, "promoted", r.target, "RolloutPromoted", r.reason);
      return RolloutDriver.AGAIN;
    }
    Duration left = Duration.between(now, r.promotedAt.plus(bg.scaleDownDelay()));
    if (left.compareTo(Duration.ZERO) > 0) {
      return left;
    }
    String old = r.stable.id();
    r.stable = r.targetRevision;
    shared.take(r, spec, "scale down", RolloutPlanner.slices(bg, n, r.target, r.target, Position.START));
    shared.complete(r, spec, "scaled down " + old + " after its delay");
    return RolloutDriver.AGAIN;
  }
}
