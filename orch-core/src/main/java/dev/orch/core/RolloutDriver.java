package dev.orch.core;

import dev.orch.api.runtime.ContainerInfo;
import dev.orch.api.runtime.OrchLabels;
import dev.orch.api.spec.RolloutStrategy;
import dev.orch.api.spec.RolloutStrategy.CanaryStep;
import dev.orch.api.spec.ServiceSpec;
import dev.orch.core.RolloutPlanner.Position;
import dev.orch.core.RolloutPlanner.Slice;
import dev.orch.core.RolloutStatus.Phase;
import dev.orch.core.util.Revisions;
import io.micrometer.core.instrument.Counter;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Map;

/**
 * Drives blue/green and canary rollouts, one pass at a time on the service's worker: decides which slices
 * of which revision the controller realises, moves through the steps as their replicas become available,
 * runs analyses, and carries out pause, resume, promote and abort. Records every step it takes, events
 * and metrics ({@code orch.rollout.events}).
 */
final class RolloutDriver {
  /** Look again at once: the slices changed (a zero delay would mean "not again"). */
  static final Duration AGAIN = Duration.ofMillis(1);

  private final Orchestrator o;

  RolloutDriver(Orchestrator o) {
    this.o = o;
  }

  /**
   * The slices this pass realises for {@code spec} (a blue/green or canary strategy); notices a new
   * revision and starts its rollout. Null when slices cannot start from what runs: replicas of several
   * revisions run (a rollout of another strategy is in flight), or the revision serving now is one Orch
   * does not know the template of (its replicas were adopted after a restart). The service then moves to
   * {@code spec} by a rolling update that never drops below its replicas, and slices take over once only
   * one revision runs.
   */
  List<Slice> slices(ServiceState st, ServiceSpec spec, String revision, List<ContainerInfo> mine, Instant now) {
    RolloutState r = st.rollout;
    if (r.stable != null && r.strategy != spec.rollout().getClass()) {
      r.stable = null; // the strategy changed (blue/green and canary positions mean different things)
    }
    if (r.stable == null) {
      // The first pass (or the first since the strategy changed): the revision serving now is stable.
      java.util.Set<String> runningRevisions = runningRevisions(st, mine);
      String serving = runningRevisions.size() == 1 ? runningRevisions.iterator().next() : revision;
      Optional<Revision> known = runningRevisions.size() > 1 ? Optional.empty() : serving.equals(revision)
          ? Optional.of(o.revisionOf(st, spec, revision))
          : st.history().stream().filter(h -> h.id().equals(serving)).findFirst();
      if (known.isEmpty()) {
        String why = runningRevisions.size() > 1 ? "revisions " + runningRevisions + " run (a rollout is in flight)"
            : "revision " + serving + " serves, but its template is unknown here (adopted replicas)";
        if (!why.equals(r.fallbackReported)) {
          r.fallbackReported = why;
          o.event(OrchEvent.Type.WARNING, "RolloutFallback", spec.name(), "", "", why + ": moving to " + revision
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
      begin(st, spec, revision, now);
    }
    return RolloutPlanner.slices(spec.rollout(), spec.replicas(), r.stable.id(), r.target, r.position);
  }

  /** The revisions of the replicas that run (and are not being removed). */
  private java.util.Set<String> runningRevisions(ServiceState st, List<ContainerInfo> mine) {
    java.util.Set<String> out = new java.util.TreeSet<>();
    for (ContainerInfo c : mine) {
      if (c.isRunning() && !st.deleting.containsKey(c.id()) && !o.observed.isRemoved(c.id())) {
        out.add(c.labels().getOrDefault(OrchLabels.REVISION, ""));
      }
    }
    return out;
  }

  /** The slices as the rollout stands now (after this pass' {@link #advance}). */
  List<Slice> currentSlices(ServiceState st, ServiceSpec spec) {
    RolloutState r = st.rollout;
    return RolloutPlanner.slices(spec.rollout(), spec.replicas(), r.stable.id(), r.target, r.position);
  }

  /**
   * The spec whose template is {@code revision}'s: the desired spec's (whose revision is {@code desired}),
   * or the stable revision's.
   */
  ServiceSpec specFor(ServiceState st, ServiceSpec spec, String desired, String revision) {
    Revision stable = st.rollout.stable;
    if (stable == null || !stable.id().equals(revision) || revision.equals(desired)) {
      return spec;
    }
    return new ServiceSpec(spec.name(), spec.replicas(), stable.container(), spec.placement(), stable.probes(),
        spec.restartPolicy(), spec.rollout(), spec.priority(), spec.labels());
  }

  private void begin(ServiceState st, ServiceSpec spec, String revision, Instant now) {
    RolloutState r = st.rollout;
    if (r.position.promoted() && !r.position.aborted() && !r.target.equals(r.stable.id())
        && !revision.equals(r.stable.id())) {
      // A blue/green promotion within its scale-down delay: the promoted revision is the one serving. (Back
      // to the old set instead is instant: it is still there, and takes the traffic in the next pass.)
      r.stable = r.targetRevision;
    }
    String from = r.stable.id();
    r.restart(o.revisionOf(st, spec, revision), now);
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
  Duration advance(ServiceState st, ServiceSpec spec, Map<String, Integer> available,
                   Instant now) {
    RolloutState r = st.rollout;
    for (RolloutState.Op op; (op = r.ops.poll()) != null; ) {
      apply(st, spec, op, now);
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
        ? advanceBlueGreen(st, spec, bg, targetAvailable, now)
        : advanceCanary(st, spec, (RolloutStrategy.Canary) spec.rollout(), targetAvailable, now);
  }

  private Duration advanceBlueGreen(ServiceState st, ServiceSpec spec,
                                    RolloutStrategy.BlueGreen bg, int targetAvailable, Instant now) {
    RolloutState r = st.rollout;
    int n = spec.replicas();
    if (!r.position.promoted()) {
      if (r.taken.isEmpty()) {
        take(st, spec, "preview");
      }
      if (targetAvailable < n) {
        return waitForReplicas(st, spec, targetAvailable, n, now);
      }
      r.waitingSince = null;
      if (bg.prePromotionAnalysis().isPresent() && !r.promoteAsked) {
        if (r.analysis == null) {
          take(st, spec, "analysis " + checkNames(bg.prePromotionAnalysis().get()));
          r.analysis = new AnalysisRun(bg.prePromotionAnalysis().get(), spec.name(), r.target, r.stable.id(),
              o.serving.traffic, o.meterRegistry, now);
        }
        if (r.analysis.verdict() != AnalysisRun.Verdict.PASSED) {
          Duration wake = runAnalysis(st, spec, now);
          if (r.analysis == null || r.analysis.verdict() != AnalysisRun.Verdict.PASSED) {
            return wake; // still running, or failed (and the rollout aborted)
          }
        }
      }
      if (!bg.autoPromote() && !r.promoteAsked) {
        r.phase = Phase.PAUSED;
        r.reason = "preview of " + r.target + " is available on the preview endpoints; awaiting promote";
        if (!r.taken.get(r.taken.size() - 1).action().equals("await promote")) {
          take(st, spec, "await promote");
          note(spec, "paused", r.target, "RolloutPaused", r.reason);
        }
        return null;
      }
      r.position = new Position(0, true, true, false);
      r.promotedAt = now;
      r.phase = Phase.PROGRESSING;
      take(st, spec, "promote");
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
    take(st, spec, "scale down", RolloutPlanner.slices(bg, n, r.target, r.target, Position.START));
    complete(st, spec, "scaled down " + old + " after its delay");
    return AGAIN;
  }

  private Duration advanceCanary(ServiceState st, ServiceSpec spec, RolloutStrategy.Canary canary,
                                 int targetAvailable, Instant now) {
    RolloutState r = st.rollout;
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
        take(st, spec, RolloutPlanner.describe(step));
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
        return waitForReplicas(st, spec, targetAvailable, need, now);
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
          r.analysis = new AnalysisRun(a.analysis(), spec.name(), r.target, r.stable.id(), o.serving.traffic,
              o.meterRegistry, now);
        }
        Duration wake = runAnalysis(st, spec, now);
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
        take(st, spec, "scale up");
        r.reason = "scaling " + r.target + " up to " + n + " replicas before it takes all traffic";
        note(spec, "step", r.target, "RolloutStep", r.reason);
        return AGAIN;
      }
    }
    if (targetAvailable < n) {
      return waitForReplicas(st, spec, targetAvailable, n, now);
    }
    r.waitingSince = null;
    String old = r.stable.id();
    r.position = new Position(100, true, true, false);
    take(st, spec, "promote");
    note(spec, "promoted", r.target, "RolloutPromoted", "promoted " + r.target + ": all traffic switched in one step");
    r.stable = r.targetRevision;
    complete(st, spec, "promoted " + r.target + "; " + old + " goes");
    return AGAIN;
  }

  private Duration runAnalysis(ServiceState st, ServiceSpec spec, Instant now) {
    RolloutState r = st.rollout;
    Duration wake = r.analysis.tick(now);
    r.reason = r.analysis.summary();
    if (r.analysis.verdict() == AnalysisRun.Verdict.FAILED) {
      fail(st, spec, r.analysis.summary(), false);
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
  private Duration waitForReplicas(ServiceState st, ServiceSpec spec, int available, int need,
                                   Instant now) {
    RolloutState r = st.rollout;
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
    fail(st, spec, "no progress in " + RolloutPlanner.human(deadline) + ": " + what, true);
    return r.phase == Phase.STALLED ? null : AGAIN;
  }

  /**
   * A failed analysis or a missed deadline: with auto-rollback all traffic goes back to the stable
   * revision and the spec returns to it; without, an analysis failure aborts and a deadline stalls.
   */
  private void fail(ServiceState st, ServiceSpec spec, String why, boolean deadline) {
    RolloutState r = st.rollout;
    if (o.autoRollback) {
      String from = r.target;
      abortTraffic(st, spec, why + "; rolling back to " + r.stable.id(), false);
      r.rolledBackFrom = from;
      r.rollbackTo = r.stable.id();
      note(spec, "rolledback", r.stable.id(), "RolledBack", "back to revision " + r.stable.id() + " from " + from
          + ": " + why);
      o.applyRevisionIfUnchanged(spec, r.stable);
    } else if (deadline) {
      r.phase = Phase.STALLED;
      r.reason = why;
      if (o.setCondition(st, "Progressing", false, "ProgressDeadlineExceeded", why)) {
        note(spec, "stalled", r.target, "ProgressDeadlineExceeded", why);
      }
    } else {
      abortTraffic(st, spec, why, true);
    }
  }

  /** Sends all traffic back to the stable revision; the new one's replicas go. */
  private void abortTraffic(ServiceState st, ServiceSpec spec, String why, boolean report) {
    RolloutState r = st.rollout;
    r.position = new Position(0, false, false, true);
    r.phase = Phase.ABORTED;
    r.reason = "aborted: " + why + "; all traffic is on " + r.stable.id();
    r.analysis = null;
    if (report) {
      note(spec, "aborted", r.target, "RolloutAborted", r.reason);
    }
  }

  private void complete(ServiceState st, ServiceSpec spec, String why) {
    RolloutState r = st.rollout;
    r.phase = Phase.COMPLETE;
    r.reason = why;
    r.position = Position.START;
    note(spec, "completed", r.target, "RolloutCompleted", why);
  }

  private void apply(ServiceState st, ServiceSpec spec, RolloutState.Op op, Instant now) {
    RolloutState r = st.rollout;
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
          abortTraffic(st, spec, "abort()", true);
        }
      }
    }
  }

  /** Records and reports a step over the current slices. */
  private void take(ServiceState st, ServiceSpec spec, String action) {
    RolloutState r = st.rollout;
    take(st, spec, action, RolloutPlanner.slices(spec.rollout(), spec.replicas(), r.stable.id(), r.target,
        r.position));
  }

  private void take(ServiceState st, ServiceSpec spec, String action, List<Slice> slices) {
    RolloutState r = st.rollout;
    RolloutStep step = r.take(RolloutPlanner.step(r.taken.size(), action, spec.replicas(), slices));
    o.log.debug("{}: rollout step {}", spec.name(), step);
  }

  /**
   * An event (whose message names the revision), and the {@code orch.rollout.events} counter tagged with the
   * service and the kind (not the revision: tags must stay few).
   */
  void note(ServiceSpec spec, String kind, String revision, String reason, String message) {
    o.event(kind.equals("aborted") || kind.equals("rolledback") || kind.equals("stalled")
        ? OrchEvent.Type.WARNING : OrchEvent.Type.NORMAL, reason, spec.name(), "", "",
        message.contains(revision) ? message : message + " (revision " + revision + ")");
    Counter.builder("orch.rollout.events").description("Rollout events by kind: started, step, paused, resumed, "
            + "promote, promoted, aborted, rolledback, stalled, completed")
        .tag("service", spec.name()).tag("event", kind)
        .register(o.meterRegistry).increment();
  }

  static String strategyName(RolloutStrategy s) {
    return s.getClass().getSimpleName();
  }

  private static String checkNames(dev.orch.api.spec.Analysis a) {
    return a.checks().stream().map(dev.orch.api.spec.Analysis.Check::name).toList().toString();
  }

  /** Carries out {@link Orchestrator#pause}. */
  void pause(String name) {
    requireRollout("pause", name);
    enqueueOp(name, RolloutState.Op.PAUSE);
  }

  /** Carries out {@link Orchestrator#resume}. */
  void resume(String name) {
    requireRollout("resume", name);
    enqueueOp(name, RolloutState.Op.RESUME);
  }

  /** Carries out {@link Orchestrator#promote}. */
  void promote(String name) {
    ServiceSpec spec = requireRollout("promote", name);
    if (spec.rollout() instanceof RolloutStrategy.RollingUpdate) {
      throw new IllegalStateException("promote " + name + ": rollout: RollingUpdate: only BlueGreen and Canary "
          + "rollouts can be promoted");
    }
    enqueueOp(name, RolloutState.Op.PROMOTE);
  }

  /** Carries out {@link Orchestrator#abort}. */
  void abort(String name) {
    ServiceSpec spec = requireRollout("abort", name);
    if (spec.rollout() instanceof RolloutStrategy.RollingUpdate) {
      ServiceState st = o.states.get(name);
      Revision good = st.lastGoodBefore(Revisions.revision(spec)).orElseThrow(() -> new IllegalStateException(
          "abort " + name + ": no revision before " + Revisions.revision(spec)
              + " was ever fully available to return to"));
      note(spec, "aborted", Revisions.revision(spec), "RolloutAborted", "abort(): rolling back to "
          + good.id());
      o.applyRevision(spec, good);
      return;
    }
    enqueueOp(name, RolloutState.Op.ABORT);
  }

  /** Computes {@link Orchestrator#plan}: touches nothing. */
  RolloutPlan plan(ServiceSpec spec) {
    Objects.requireNonNull(spec, "spec");
    spec.requireValid();
    RuntimeSupport.require(spec, o.runtime);
    String to = Revisions.revision(spec);
    String strategy = strategyName(spec.rollout());
    ServiceSpec current = o.desired.get(spec.name());
    ServiceState st = o.states.get(spec.name());
    if (current == null || st == null) {
      return new RolloutPlan(spec.name(), strategy, "", to, List.of());
    }
    RolloutState.View view = st.rollout.view;
    String from = view != null && !(current.rollout() instanceof RolloutStrategy.RollingUpdate)
        ? view.stable() : Revisions.revision(current);
    if (from.equals(to)) {
      return new RolloutPlan(spec.name(), strategy, from, to, List.of());
    }
    if (spec.rollout() instanceof RolloutStrategy.RollingUpdate) {
      int[] bounds = ServiceController.rollingBounds(spec);
      return new RolloutPlan(spec.name(), strategy, from, to,
          RolloutPlanner.rollingWaves(spec.replicas(), bounds[0], bounds[1], from, to));
    }
    return new RolloutPlan(spec.name(), strategy, from, to,
        RolloutPlanner.steps(spec.rollout(), spec.replicas(), from, to));
  }

  private ServiceSpec requireRollout(String op, String name) {
    ServiceSpec spec = o.desired.get(name);
    ServiceState st = o.states.get(name);
    if (spec == null || st == null) {
      throw new UnknownServiceException(op, name);
    }
    RolloutState.View view = st.rollout.view;
    boolean retry = op.equals("resume") && view != null && view.phase() == RolloutStatus.Phase.ABORTED;
    boolean inProgress = retry || view != null && (!view.target().equals(Revisions.revision(spec))
        || !(view.phase() == RolloutStatus.Phase.COMPLETE || view.phase() == RolloutStatus.Phase.ROLLED_BACK
        || view.phase() == RolloutStatus.Phase.ABORTED));
    if (!inProgress) {
      throw new IllegalStateException(op + " " + name + ": no rollout in progress (phase "
          + (view == null ? "unknown" : view.phase()) + ")");
    }
    return spec;
  }

  private void enqueueOp(String name, RolloutState.Op op) {
    ServiceState st = o.states.get(name);
    if (st == null) {
      throw new UnknownServiceException(op.name().toLowerCase(java.util.Locale.ROOT), name); // deleted meanwhile
    }
    st.rollout.ops.add(op);
    o.queue.enqueue(name);
  }

  /** The rollout part of {@link Orchestrator#status}: the worker's view, or what the replicas say before it. */
  RolloutStatus status(ServiceSpec spec, RolloutState.View view, List<ReplicaStatus> replicas) {
    String revision = Revisions.revision(spec);
    String strategy = strategyName(spec.rollout());
    if (view != null && view.target().equals(revision)) {
      return new RolloutStatus(revision, view.stable(), strategy, view.phase(), view.steps().size() - 1,
          view.counts(), view.weights(), view.steps(), view.reason());
    }
    // Applied, and not yet reconciled: what the last pass saw (or, before any, what the replicas say).
    if (view != null) {
      return new RolloutStatus(revision, view.stable(), strategy, RolloutStatus.Phase.PROGRESSING, -1,
          view.counts(), view.weights(), List.of(), "revision " + revision + " applied");
    }
    Map<String, RolloutStatus.Counts> counts = new java.util.TreeMap<>();
    for (ReplicaStatus r : replicas) {
      counts.merge(r.revision(), new RolloutStatus.Counts(0, 1, r.ready() ? 1 : 0, 0),
          (a, b) -> new RolloutStatus.Counts(0, a.replicas() + b.replicas(), a.ready() + b.ready(), 0));
    }
    return new RolloutStatus(revision, revision, strategy, RolloutStatus.Phase.PROGRESSING, -1, counts, Map.of(),
        List.of(), "revision " + revision + " applied");
  }
}
