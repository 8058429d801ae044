package dev.orch.core.rollout;

import dev.orch.api.spec.RolloutStrategy;
import dev.orch.api.spec.RolloutStrategy.CanaryStep;
import dev.orch.api.spec.ServiceSpec;
import dev.orch.core.RolloutStatus.Phase;
import dev.orch.core.rollout.RolloutPlanner.Position;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

/**
 * The steps of a canary rollout: each weight, pause and analysis in turn, as the canary's replicas become
 * available; then scale the canary to the full count and promote it in one step. Worker only.
 */
final class CanarySteps {
  private final SliceSteps shared;

  CanarySteps(SliceSteps shared) {
    this.shared = shared;
  }

  /** Moves a canary rollout on; returns when to look again (null: when something changes). */
  Duration advance(RolloutState r, ServiceSpec spec, RolloutStrategy.Canary canary, int targetAvailable, Instant now) {
    int n = spec.replicas();
    List<CanaryStep> steps = canary.steps();
    if (r.canaryStep < 0) {
      r.canaryStep = 0;
    }
    while (r.canaryStep < steps.size()) {
      if (r.promoteAsked) {
        r.canaryStep = steps.size();
        break;
      }
      CanaryStep step = steps.get(r.canaryStep);
      if (!r.stepEntered) {
        r.stepEntered = true;
        r.stepAt = now;
        r.analysis = null;
        if (step instanceof CanaryStep.SetWeight w) {
          r.position = new Position(w.percent(), false, false, false);
        }
        shared.take(r, spec, RolloutPlanner.describe(step));
        r.phase = Phase.PROGRESSING;
        r.reason = "step " + r.canaryStep + ": " + RolloutPlanner.describe(step);
        shared.note(spec, "step", r.target, "RolloutStep", r.reason);
        if (step instanceof CanaryStep.Pause p && p.duration().isEmpty()) {
          r.paused = true;
          r.phase = Phase.PAUSED;
          r.reason = "step " + r.canaryStep + ": paused until resumed";
          shared.note(spec, "paused", r.target, "RolloutPaused", r.reason);
        }
      }
      int need = RolloutPlanner.canaryReplicas(n, r.position.weight());
      if (targetAvailable < need) {
        return shared.waitForReplicas(r, spec, targetAvailable, need, now);
      }
      r.waitingSince = null;
      if (step instanceof CanaryStep.Pause p) {
        if (p.duration().isEmpty()) {
          if (r.paused) {
            return null;
          }
        } else {
          Duration left = Duration.between(now, r.stepAt.plus(p.duration().get()));
          if (left.compareTo(Duration.ZERO) > 0) {
            r.phase = Phase.PAUSED;
            r.reason = "step " + r.canaryStep + ": paused for " + RolloutPlanner.human(p.duration().get());
            return left;
          }
        }
      } else if (step instanceof CanaryStep.Analyze a) {
        if (r.analysis == null) {
          r.analysis = shared.analysis(a.analysis(), spec, r, now);
        }
        Duration wake = shared.runAnalysis(r, spec, now);
        if (r.analysis == null || r.analysis.verdict() != AnalysisRun.Verdict.PASSED) {
          return wake; // still running, or failed (and the rollout aborted)
        }
      }
      r.canaryStep++;
      r.stepEntered = false;
      r.phase = Phase.PROGRESSING;
    }
    if (!r.position.scaledUp()) {
      double weight = r.position.weight();
      r.position = new Position(weight, true, false, false);
      if (RolloutPlanner.canaryReplicas(n, weight) < n) {
        shared.take(r, spec, "scale up");
        r.reason = "scaling " + r.target + " up to " + n + " replicas before it takes all traffic";
        shared.note(spec, "step", r.target, "RolloutStep", r.reason);
        return RolloutDriver.AGAIN;
      }
    }
    if (targetAvailable < n) {
      return shared.waitForReplicas(r, spec, targetAvailable, n, now);
    }
    r.waitingSince = null;
    String old = r.stable.id();
    r.position = new Position(100, true, true, false);
    shared.take(r, spec, "promote");
    shared.note(spec, "promoted", r.target, "RolloutPromoted", "promoted " + r.target + ": all traffic switched in one step");
    r.stable = r.targetRevision;
    shared.complete(r, spec, "promoted " + r.target + "; " + old + " goes");
    return RolloutDriver.AGAIN;
  }
}
