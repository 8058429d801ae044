package dev.orch.core.rollout;

import dev.orch.api.spec.Analysis;
import dev.orch.api.spec.ServiceSpec;
import dev.orch.core.RolloutStatus.Phase;
import dev.orch.core.RolloutStep;
import dev.orch.core.rollout.RolloutPlanner.Position;
import dev.orch.core.rollout.RolloutPlanner.Slice;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What blue/green and canary steps share: recording a step, reporting it, waiting for the new revision's
 * replicas against the progress deadline, running an analysis, and failing, aborting or completing the
 * rollout. Worker only.
 */
final class SliceSteps {
  private static final Logger LOG = LoggerFactory.getLogger(SliceSteps.class);

  private final RolloutNotes notes;
  private final RolloutEffects effects;
  private final RevisionTraffic traffic;
  private final MeterRegistry meterRegistry;
  private final Map<String, Predicate<Analysis.Metrics>> checks;
  private final boolean autoRollback;

  SliceSteps(RolloutNotes notes, RevisionTraffic traffic, MeterRegistry meterRegistry,
             Map<String, Predicate<Analysis.Metrics>> checks, boolean autoRollback) {
    this.notes = notes;
    this.effects = notes.effects();
    this.traffic = traffic;
    this.meterRegistry = meterRegistry;
    this.checks = checks;
    this.autoRollback = autoRollback;
  }

  /** A new run of {@code analysis} of the rollout's target against its stable revision. */
  AnalysisRun analysis(Analysis analysis, ServiceSpec spec, RolloutState r, Instant now) {
    AnalysisRun run = new AnalysisRun(analysis, spec.name(), r.target, r.stable.id(), traffic, meterRegistry, checks,
        now);
    if (r.resumedAnalysis != null) {
      run.resume(r.resumedAnalysis);
      r.resumedAnalysis = null;
    }
    return run;
  }

  Duration runAnalysis(RolloutState r, ServiceSpec spec, Instant now) {
    Duration wake = r.analysis.tick(now);
    r.reason = r.analysis.summary();
    if (r.analysis.verdict() == AnalysisRun.Verdict.FAILED) {
      fail(r, spec, r.analysis.summary(), false);
      return RolloutDriver.AGAIN;
    }
    r.phase = Phase.PROGRESSING;
    return wake;
  }

  /**
   * Waits for the new revision's replicas, failing the rollout when none becomes available for the
   * deadline. The clock starts when the wait does (not when the step began: a replica that crashes during a
   * long pause starts a fresh wait) and restarts with each replica that becomes available.
   */
  Duration waitForReplicas(RolloutState r, ServiceSpec spec, int available, int need, Instant now) {
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
    return r.phase == Phase.STALLED ? null : RolloutDriver.AGAIN;
  }

  /**
   * A failed analysis or a missed deadline: with auto-rollback all traffic goes back to the stable
   * revision and the spec returns to it; without, an analysis failure aborts and a deadline stalls.
   */
  void fail(RolloutState r, ServiceSpec spec, String why, boolean deadline) {
    if (autoRollback) {
      String from = r.target;
      abortTraffic(r, spec, why + "; rolling back to " + r.stable.id(), false);
      r.rolledBackFrom = from;
      r.rollbackCause = why;
      r.rollbackTo = r.stable.id();
      effects.rollBack(spec, r.stable); // kept before it is said (a store that refuses it makes it owed)
      note(spec, "rolledback", r.stable.id(), "RolledBack", "back to revision " + r.stable.id() + " from " + from
          + ": " + why);
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
  void abortTraffic(RolloutState r, ServiceSpec spec, String why, boolean report) {
    r.position = new Position(0, false, false, true);
    r.phase = Phase.ABORTED;
    r.reason = "aborted: " + why + "; all traffic is on " + r.stable.id();
    r.analysis = null;
    if (report) {
      note(spec, "aborted", r.target, "RolloutAborted", r.reason);
    }
  }

  void complete(RolloutState r, ServiceSpec spec, String why) {
    r.phase = Phase.COMPLETE;
    r.reason = why;
    r.position = Position.START;
    note(spec, "completed", r.target, "RolloutCompleted", why);
  }

  /** Records and reports a step over the current slices. */
  void take(RolloutState r, ServiceSpec spec, String action) {
    take(r, spec, action, RolloutPlanner.slices(spec.rollout(), spec.replicas(), r.stable.id(), r.target,
        r.position));
  }

  void take(RolloutState r, ServiceSpec spec, String action, List<Slice> slices) {
    RolloutStep step = r.take(RolloutPlanner.step(r.taken.size(), action, spec.replicas(), slices));
    LOG.debug("{}: rollout step {}", spec.name(), step);
  }

  void note(ServiceSpec spec, String kind, String revision, String reason, String message) {
    notes.note(spec, kind, revision, reason, message);
  }

  static String checkNames(Analysis a) {
    return a.checks().stream().map(Analysis.Check::name).toList().toString();
  }
}
