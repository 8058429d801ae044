package dev.orch.core.rollout;

import dev.orch.api.runtime.ContainerInfo;
import dev.orch.api.runtime.OrchLabels;
import dev.orch.api.spec.Analysis;
import dev.orch.api.spec.RolloutStrategy;
import dev.orch.api.spec.ServiceSpec;
import dev.orch.core.OrchEvent;
import dev.orch.core.Revision;
import dev.orch.core.RolloutStatus.Phase;
import dev.orch.core.rollout.RolloutPlanner.Slice;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Predicate;
import org.jspecify.annotations.Nullable;

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

  private final RolloutNotes notes;
  private final RolloutEffects effects;
  private final SliceSteps steps;
  private final BlueGreenSteps blueGreen;
  private final CanarySteps canary;

  RolloutDriver(RolloutNotes notes, RevisionTraffic traffic, MeterRegistry meterRegistry,
                Map<String, Predicate<Analysis.Metrics>> checks, boolean autoRollback) {
    this.notes = notes;
    this.effects = notes.effects();
    this.steps = new SliceSteps(notes, traffic, meterRegistry, checks, autoRollback);
    this.blueGreen = new BlueGreenSteps(steps);
    this.canary = new CanarySteps(steps);
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

  /**
   * The slices where {@code r} stands, moving nothing (a standby's view of a rollout the store holds): null unless
   * {@code r} is a rollout of {@code spec}'s strategy towards {@code revision}.
   */
  public @Nullable List<Slice> standingSlices(RolloutState r, ServiceSpec spec, String revision) {
    if (r.stable == null || r.strategy != spec.rollout().getClass() || !revision.equals(r.target)) {
      return null;
    }
    return currentSlices(r, spec);
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
        spec.restartPolicy(), spec.rollout(), spec.priority(), spec.labels(), spec.stateful(), spec.dependencies());
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
      r.reason = r.rolledBackFrom != null
          ? "rolled back from " + r.rolledBackFrom + " to " + from + ": " + r.rollbackCause
          : "back on revision " + from + "; the other revision's replicas go";
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
    for (RolloutState.Op op; (op = r.nextOp()) != null; ) {
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
        ? blueGreen.advance(r, spec, bg, targetAvailable, now)
        : canary.advance(r, spec, (RolloutStrategy.Canary) spec.rollout(), targetAvailable, now);
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
          steps.abortTraffic(r, spec, "abort()", true);
        }
      }
    }
  }

  private void note(ServiceSpec spec, String kind, String revision, String reason, String message) {
    notes.note(spec, kind, revision, reason, message);
  }

  static String strategyName(RolloutStrategy s) {
    return s.getClass().getSimpleName();
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
      // After an automatic rollback nothing progresses: the condition says so, with the cause.
      effects.setCondition(spec.name(), "Progressing", phase != Phase.ROLLED_BACK, switch (phase) {
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
