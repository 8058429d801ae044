package dev.orch.core.rollout;

import dev.orch.api.runtime.ContainerInfo;
import dev.orch.api.runtime.OrchLabels;
import dev.orch.api.spec.RolloutStrategy;
import dev.orch.api.spec.RolloutStrategy.CanaryStep;
import dev.orch.api.spec.ServiceSpec;
import dev.orch.core.OrchEvent;
import dev.orch.core.Revision;
import dev.orch.core.RolloutStatus.Phase;
import dev.orch.core.RolloutStep;
import dev.orch.core.rollout.RolloutPlanner.Position;
import dev.orch.core.rollout.RolloutPlanner.Slice;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Drives blue/green and canary rollouts, one pass at a time on the service's worker: decides which slices
 * of which revision the engine realises, moves through the steps as their replicas become available, runs
 * analyses, and carries out the pause, resume, promote and abort that users queued. Records every step it
 * takes, events and metrics ({@code orch.rollout.events}). Worker only, like the {@link RolloutState} it
 * moves.
 */
public final class RolloutDriver {
  /** Look again at once: the slices changed (a zero delay would mean "not again"). */
  public static final Duration AGAIN = Duration.ofMillis(1);

  private static final Logger LOG = LoggerFactory.getLogger(RolloutDriver.class);

  private final RolloutNotes notes;
  private final RolloutEffects effects;
  private final RevisionTraffic traffic;
  private final MeterRegistry meterRegistry;
  private final boolean autoRollback;

  RolloutDriver(RolloutNotes notes, RevisionTraffic traffic, MeterRegistry meterRegistry, boolean autoRollback) {
    this.notes = notes;
    this.effects = notes.effects();
    this.traffic = traffic;
    this.meterRegistry = meterRegistry;
    this.autoRollback = autoRollback;
  }

  /**
   * The slices this pass realises for {@code spec} (a blue/green or canary strategy); notices a new
   * revision and starts its rollout. Null when slices cannot start from what runs: replicas of several
   * revisions run (a rollout of another strategy is in flight), or the revision serving now is one Orch
   * does not know the template of (its replicas were adopted after a restart). The service then moves to
   * {@code spec} by a rolling update that never drops below its replicas, and slices take over once only
   * one revision runs. {@code live} are the service's containers that are not being removed.
   */
  public List<Slice> slices(RolloutState r, ServiceSpec spec, String revision, List<ContainerInfo> live, Instant now) {
    if (r.stable != null && r.strategy != spec.rollout().getClass()) {
      r.stable = null; // the strategy changed (blue/green and canary positions mean different things)
    }
    if (r.stable == null) {
      // The first pass (or the first since the strategy changed): the revision serving now is stable.
      Set<String> runningRevisions = runningRevisions(live);
      String serving = runningRevisions.size() == 1 ? runningRevisions.iterator().next() : revision;
      Optional<Revision> known = runningRevisions.size() > 1 ? Optional.empty() : serving.equals(revision)
          ? Optional.of(r.history().revisionOf(spec, revision, now))
          : r.history().find(serving);
      if (known.isEmpty()) {
        String why = runningRevisions.size() > 1 ? "revisions " + runningRevisions + " run (a rollout is in flight)"
            : "revision " + serving + " serves, but its template is unknown here (adopted replicas)";
        if (!why.equals(r.fallbackReported)) {
          r.fallbackReported = why;
          effects.event(OrchEvent.Type.WARNING, "RolloutFallback", spec.name(), why + ": moving to " + revision
              + " by a rolling update with surge 1 and none unavailable; " + strategyName(spec.rollout())
              + " applies from the next revision");
        }
        return null;
      }
      r.fallbackReported = null;
      r.strategy = spec.rollout().getClass();
      r.stable = known.get();
      r.restart(known.get(), now);
      r.phase = Phase.COMPLETE;
      r.reason = "revision " + serving + " is stable";
    }
    if (!revision.equals(r.target)) {
      begin(r, spec, revision, now);
    }
    return RolloutPlanner.slices(spec.rollout(), spec.replicas(), r.stable.id(), r.target, r.position);
  }

  /** The revisions of the replicas that run. */
  private static Set<String> runningRevisions(List<ContainerInfo> live) {
    Set<String> out = new TreeSet<>();
    for (ContainerInfo c : live) {
      if (c.isRunning()) {
        out.add(c.labels().getOrDefault(OrchLabels.REVISION, ""));
      }
    }
    return out;
  }

  /** The slices as the rollout stands now (after this pass' {@link #advance}). */
  public List<Slice> currentSlices(RolloutState r, ServiceSpec spec) {
    return RolloutPlanner.slices(spec.rollout(), spec.replicas(), r.stable.id(), r.target, r.position);
  }

  /**
   * The spec whose template is {@code revision}'s: the desired spec's (whose revision is {@code desired}),
   * or the stable revision's.
   */
  public ServiceSpec specFor(RolloutState r, ServiceSpec spec, String desired, String revision) {
    Revision stable = r.stable;
    if (stable == null || !stable.id().equals(revision) || revision.equals(desired)) {
      return spec;
    }
    return new ServiceSpec(spec.name(), spec.replicas(), stable.container(), spec.placement(), stable.probes(),
        spec.restartPolicy(), spec.rollout(), spec.priority(), spec.labels());
  }

  private void begin(RolloutState r, ServiceSpec spec, String revision, Instant now) {
    if (r.position.promoted() && !r.position.aborted() && !r.target.equals(r.stable.id())
        && !revision.equals(r.stable.id())) {
      // A blue/green promotion within its scale-down delay: the promoted revision is the one serving. (Back
      // to the old set instead is instant: it is still there, and takes the traffic in the next pass.)
      r.stable = r.targetRevision;
    }
    String from = r.stable.id();
    r.restart(r.history().revisionOf(spec, revision, now), now);
    if (revision.equals(from)) {
      r.phase = r.rolledBackFrom != null ? Phase.ROLLED_BACK : Phase.COMPLETE;
      r.reason = "back on revision " + from + "; the other revision's replicas go";
      return;
    }
    r.rolledBackFrom = null;
    r.phase = Phase.PROGRESSING;
    r.reason = strategyName(spec.rollout()) + " from " + from + " to " + revision + " started";
    note(spec, "started", revision, "RolloutStarted", r.reason);
  }

  /**
   * Moves the rollout on, given the available replicas per revision this pass; returns when to look again
   * (null: when something changes).
   */
  public Duration advance(RolloutState r, ServiceSpec spec, Map<String, Integer> available, Instant now) {
    for (RolloutState.Op op; (op = r.ops.poll()) != null; ) {
      apply(r, spec, op, now);
    }
    if (r.target.equals(r.stable.id()) || r.position.aborted()) {
      return null;
    }
    if (r.paused && !r.promoteAsked && !r.position.promoted()) {
      r.phase = Phase.PAUSED; // (a promoted blue/green rollout's scale-down is not held by a pause)
      return null;
    }
    int targetAvailable = available.getOrDefault(r.target, 0);
    return spec.rollout() instanceof RolloutStrategy.BlueGreen bg
        ? advanceBlueGreen(r, spec, bg, targetAvailable, now)
        : advanceCanary(r, spec, (RolloutStrategy.Canary) spec.rollout(), targetAvailable, now);
  }

  private Duration advanceBlueGreen(RolloutState r, ServiceSpec spec, RolloutStrategy.BlueGreen bg,
                                    int targetAvailable, Instant now) {
    int n = spec.replicas();
    if (!r.position.promoted()) {
      if (r.taken.isEmpty()) {
        take(r, spec, "preview");
      }
      if (targetAvailable < n) {
        return waitForReplicas(r, spec, targetAvailable, n, now);
      }
      r.waitingSince = null;
      if (bg.prePromotionAnalysis().isPresent() && !r.promoteAsked) {
        if (r.analysis == null) {
          take(r, spec, "analysis " + checkNames(bg.prePromotionAnalysis().get()));
          r.analysis = new AnalysisRun(bg.prePromotionAnalysis().get(), spec.name(), r.target, r.stable.id(),
              traffic, meterRegistry, now);
        }
        if (r.analysis.verdict() != AnalysisRun.Verdict.PASSED) {
          Duration wake = runAnalysis(r, spec, now);
          if (r.analysis == null || r.analysis.verdict() != AnalysisRun.Verdict.PASSED) {
            return wake; // still running, or failed (and the rollout aborted)
          }
        }
      }
      if (!bg.autoPromote() && !r.promoteAsked) {
        r.phase = Phase.PAUSED;
        r.reason = "preview of " + r.target + " is available on the preview endpoints; awaiting promote";
        if (!r.taken.get(r.taken.size() - 1).action().equals("await promote")) {
          take(r, spec, "await promote");
          note(spec, "paused", r.target, "RolloutPaused", r.reason);
        }
        return null;
      }
      r.position = new Position(0, true, true, false);
      r.promotedAt = now;
      r.phase = Phase.PROGRESSING;
      take(r, spec, "promote");
      r.reason = "promoted " + r.target + ": all traffic switched in one step; " + r.stable.id() + " kept for "
          + RolloutPlanner.human(bg.scaleDownDelay()) + " for an instant rollback";
      note(spec, "promoted", r.target, "RolloutPromoted", r.reason);
      return AGAIN;
    }
    Duration left = Duration.between(now, r.promotedAt.plus(bg.scaleDownDelay()));
    if (left.compareTo(Duration.ZERO) > 0) {
      return left;
    }
    String old = r.stable.id();
    r.stable = r.targetRevision;
    take(r, spec, "scale down", RolloutPlanner.slices(bg, n, r.target, r.target, Position.START));
    complete(r, spec, "scaled down " + old + " after its delay");
    return AGAIN;
  }

  private Duration advanceCanary(RolloutState r, ServiceSpec spec, RolloutStrategy.Canary canary,
                                 int targetAvailable, Instant now) {
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
        take(r, spec, RolloutPlanner.describe(step));
        r.phase = Phase.PROGRESSING;
        r.reason = "step " + r.canaryStep + ": " + RolloutPlanner.describe(step);
        note(spec, "step", r.target, "RolloutStep", r.reason);
        if (step instanceof CanaryStep.Pause p && p.duration().isEmpty()) {
          r.paused = true;
          r.phase = Phase.PAUSED;
          r.reason = "step " + r.canaryStep + ": paused until resumed";
          note(spec, "paused", r.target, "RolloutPaused", r.reason);
        }
      }
      int need = RolloutPlanner.canaryReplicas(n, r.position.weight());
      if (targetAvailable < need) {
        return waitForReplicas(r, spec, targetAvailable, need, now);
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
          r.analysis = new AnalysisRun(a.analysis(), spec.name(), r.target, r.stable.id(), traffic,
              meterRegistry, now);
        }
        Duration wake = runAnalysis(r, spec, now);
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
        take(r, spec, "scale up");
        r.reason = "scaling " + r.target + " up to " + n + " replicas before it takes all traffic";
        note(spec, "step", r.target, "RolloutStep", r.reason);
        return AGAIN;
      }
    }
    if (targetAvailable < n) {
      return waitForReplicas(r, spec, targetAvailable, n, now);
    }
    r.waitingSince = null;
    String old = r.stable.id();
    r.position = new Position(100, true, true, false);
    take(r, spec, "promote");
    note(spec, "promoted", r.target, "RolloutPromoted", "promoted " + r.target + ": all traffic switched in one step");
    r.stable = r.targetRevision;
    complete(r, spec, "promoted " + r.target + "; " + old + " goes");
    return AGAIN;
  }

  private Duration runAnalysis(RolloutState r, ServiceSpec spec, Instant now) {
    Duration wake = r.analysis.tick(now);
    r.reason = r.analysis.summary();
    if (r.analysis.verdict() == AnalysisRun.Verdict.FAILED) {
      fail(r, spec, r.analysis.summary(), false);
      return AGAIN;
    }
    r.phase = Phase.PROGRESSING;
    return wake;
  }

  /**
   * Waits for the new revision's replicas, failing the rollout when none becomes available for the
   * deadline. The clock starts when the wait does (not when the step began: a replica that crashes during a
   * long pause starts a fresh wait) and restarts with each replica that becomes available.
   */
  private Duration waitForReplicas(RolloutState r, ServiceSpec spec, int available, int need, Instant now) {
    if (r.waitingSince == null) {
      r.waitingSince = now;
      r.progressAt = now;
      r.bestAvailable = available;
    } else if (available > r.bestAvailable) {
      r.bestAvailable = available;
      r.progressAt = now;
    }
    Duration deadline = spec.rollout().progressDeadline();
    Duration quiet = Duration.between(r.progressAt, now);
    String what = available + "/" + need + " replicas of revision " + r.target + " available";
    if (quiet.compareTo(deadline) < 0) {
      r.phase = Phase.PROGRESSING;
      r.reason = "waiting: " + what;
      return deadline.minus(quiet);
    }
    fail(r, spec, "no progress in " + RolloutPlanner.human(deadline) + ": " + what, true);
    return r.phase == Phase.STALLED ? null : AGAIN;
  }

  /**
   * A failed analysis or a missed deadline: with auto-rollback all traffic goes back to the stable
   * revision and the spec returns to it; without, an analysis failure aborts and a deadline stalls.
   */
  private void fail(RolloutState r, ServiceSpec spec, String why, boolean deadline) {
    if (autoRollback) {
      String from = r.target;
      abortTraffic(r, spec, why + "; rolling back to " + r.stable.id(), false);
      r.rolledBackFrom = from;
      r.rollbackTo = r.stable.id();
      note(spec, "rolledback", r.stable.id(), "RolledBack", "back to revision " + r.stable.id() + " from " + from
          + ": " + why);
      effects.rollBack(spec, r.stable);
    } else if (deadline) {
      r.phase = Phase.STALLED;
      r.reason = why;
      if (effects.setCondition(spec.name(), "Progressing", false, "ProgressDeadlineExceeded", why)) {
        note(spec, "stalled", r.target, "ProgressDeadlineExceeded", why);
      }
    } else {
      abortTraffic(r, spec, why, true);
    }
  }

  /** Sends all traffic back to the stable revision; the new one's replicas go. */
  private void abortTraffic(RolloutState r, ServiceSpec spec, String why, boolean report) {
    r.position = new Position(0, false, false, true);
    r.phase = Phase.ABORTED;
    r.reason = "aborted: " + why + "; all traffic is on " + r.stable.id();
    r.analysis = null;
    if (report) {
      note(spec, "aborted", r.target, "RolloutAborted", r.reason);
    }
  }

  private void complete(RolloutState r, ServiceSpec spec, String why) {
    r.phase = Phase.COMPLETE;
    r.reason = why;
    r.position = Position.START;
    note(spec, "completed", r.target, "RolloutCompleted", why);
  }

  private void apply(RolloutState r, ServiceSpec spec, RolloutState.Op op, Instant now) {
    boolean running = r.stable != null && !r.target.equals(r.stable.id()) && !r.position.aborted();
    switch (op) {
      case PAUSE -> {
        if (running && !r.paused) {
          r.paused = true;
          r.phase = Phase.PAUSED;
          r.reason = "paused";
          note(spec, "paused", r.target, "RolloutPaused", "paused by pause()");
        }
      }
      case RESUME -> {
        if (r.position.aborted() && !r.target.equals(r.stable.id())) {
          // Retry: the aborted revision rolls out again from its first step.
          r.restart(r.targetRevision, now);
          r.phase = Phase.PROGRESSING;
          r.reason = strategyName(spec.rollout()) + " from " + r.stable.id() + " to " + r.target + " retried";
          note(spec, "started", r.target, "RolloutStarted", r.reason + " by resume()");
        } else if (running && r.paused) {
          r.paused = false;
          r.waitingSince = null; // time spent paused does not count towards the progress deadline
          if (r.analysis != null) {
            r.analysis.restartInterval(now);
          }
          r.phase = Phase.PROGRESSING;
          r.reason = "resumed";
          note(spec, "resumed", r.target, "RolloutResumed", "resumed by resume()");
        }
      }
      case PROMOTE -> {
        if (running) {
          r.promoteAsked = true;
          r.paused = false;
          note(spec, "promote", r.target, "PromoteRequested", "promote(): skipping the remaining steps");
        }
      }
      case ABORT -> {
        if (running) {
          abortTraffic(r, spec, "abort()", true);
        }
      }
    }
  }

  /** Records and reports a step over the current slices. */
  private void take(RolloutState r, ServiceSpec spec, String action) {
    take(r, spec, action, RolloutPlanner.slices(spec.rollout(), spec.replicas(), r.stable.id(), r.target,
        r.position));
  }

  private void take(RolloutState r, ServiceSpec spec, String action, List<Slice> slices) {
    RolloutStep step = r.take(RolloutPlanner.step(r.taken.size(), action, spec.replicas(), slices));
    LOG.debug("{}: rollout step {}", spec.name(), step);
  }

  private void note(ServiceSpec spec, String kind, String revision, String reason, String message) {
    notes.note(spec, kind, revision, reason, message);
  }

  static String strategyName(RolloutStrategy s) {
    return s.getClass().getSimpleName();
  }

  private static String checkNames(dev.orch.api.spec.Analysis a) {
    return a.checks().stream().map(dev.orch.api.spec.Analysis.Check::name).toList().toString();
  }

  /**
   * Forgets the slices' memory when the service now rolls out by a rolling update; returns whether there was
   * any (the caller then clears the preview endpoints).
   */
  public boolean leaveSlices(RolloutState r) {
    if (r.stable == null) {
      return false;
    }
    r.stable = null;
    return true;
  }

  /** The stable revision of a sliced rollout (after {@link #slices}). */
  public String stable(RolloutState r) {
    return r.stable.id();
  }

  /**
   * Ends a pass of a sliced rollout: the {@code Progressing} condition follows the phase (a stall set its
   * own), a settled revision whose replicas are all available is good, and the rolling path would start
   * from the stable revision.
   */
  public void finishPass(RolloutState r, ServiceSpec spec, String revision, Map<String, Integer> available) {
    Phase phase = r.phase;
    if (phase != Phase.STALLED) {
      effects.setCondition(spec.name(), "Progressing", true, switch (phase) {
        case COMPLETE -> "NewRevisionAvailable";
        case ROLLED_BACK -> "RolledBack";
        case ABORTED -> "Aborted";
        case PAUSED -> "Paused";
        default -> "Updating";
      }, r.reason);
    }
    if (r.target.equals(r.stable.id()) && available.getOrDefault(revision, 0) == spec.replicas()) {
      r.history().markGood(revision);
    }
    r.rollingRevision = r.stable.id();
  }
}
