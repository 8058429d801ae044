package dev.orch.core.rollout;

import dev.orch.api.spec.Analysis;
import dev.orch.api.spec.RolloutStrategy;
import dev.orch.api.spec.ServiceSpec;
import dev.orch.core.ReplicaStatus;
import dev.orch.core.Revision;
import dev.orch.core.RolloutPlan;
import dev.orch.core.RolloutStatus;
import dev.orch.core.UnknownServiceException;
import dev.orch.core.util.Revisions;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Predicate;

/**
 * What users ask of a service's rollout, from any thread: pause, resume, promote and abort (queued for the
 * service's worker, or, for a rolling update's abort, a rollback at once), its plan, and its status. Also the
 * one home of the rollout's parts: the {@link RolloutDriver} for blue/green and canary, the
 * {@link RollingProgress} for rolling updates. Thread-safe.
 */
public final class RolloutOperations {
  private final RolloutNotes notes;
  private final RolloutEffects effects;
  private final RolloutDriver driver;
  private final RollingProgress rolling;

  /**
   * The rollouts of one engine.
   *
   * @param effects       what rollouts ask of the engine
   * @param traffic       the traffic analyses read
   * @param meterRegistry where rollout metrics go, and what analyses' meter checks read
   * @param checks        the analysis checks registered with the orchestrator, by name
   * @param autoRollback  whether a failed rollout returns its service to the last good revision
   */
  public RolloutOperations(RolloutEffects effects, RevisionTraffic traffic,
                           io.micrometer.core.instrument.MeterRegistry meterRegistry,
                           Map<String, Predicate<Analysis.Metrics>> checks, boolean autoRollback) {
    this.notes = new RolloutNotes(effects, meterRegistry);
    this.effects = effects;
    this.driver = new RolloutDriver(notes, traffic, meterRegistry, checks, autoRollback);
    this.rolling = new RollingProgress(notes, autoRollback);
  }

  /** The blue/green and canary driver. */
  public RolloutDriver driver() {
    return driver;
  }

  /** The rolling update's progress. */
  public RollingProgress rolling() {
    return rolling;
  }

  /** Reports a rollback a user asked for ({@code rollback(name, revision)}). */
  public void noteRollback(ServiceSpec spec, Revision target) {
    notes.note(spec, "rolledback", target.id(), "RolledBack", "rollback(): back to revision " + target.id() + " ("
        + target.container().image() + ")");
  }

  /** The rollout operations by name, for {@link #ask}. */
  public static final List<String> OPS = List.of("pause", "resume", "promote", "abort");

  /**
   * Does operation {@code op} (one of {@link #OPS}) on service {@code name}'s rollout, as {@link #pause},
   * {@link #resume}, {@link #promote} or {@link #abort}.
   *
   * @throws IllegalArgumentException naming the operations when {@code op} is none of them
   */
  public void ask(String op, String name) {
    switch (op) {
      case "pause" -> pause(name);
      case "resume" -> resume(name);
      case "promote" -> promote(name);
      case "abort" -> abort(name);
      default -> throw new IllegalArgumentException("op: \"" + op + "\": must be one of " + OPS);
    }
  }

  /** Pauses service {@code name}'s rollout (see {@code Orchestrator.pause}). */
  public void pause(String name) {
    requireRollout("pause", name);
    enqueueOp(name, RolloutState.Op.PAUSE);
  }

  /** Resumes service {@code name}'s rollout, or retries an aborted one (see {@code Orchestrator.resume}). */
  public void resume(String name) {
    requireRollout("resume", name);
    enqueueOp(name, RolloutState.Op.RESUME);
  }

  /** Promotes service {@code name}'s blue/green or canary rollout (see {@code Orchestrator.promote}). */
  public void promote(String name) {
    requireAskable("promote", name);
    enqueueOp(name, RolloutState.Op.PROMOTE);
  }

  /** Aborts service {@code name}'s rollout (see {@code Orchestrator.abort}). */
  public void abort(String name) {
    ServiceSpec spec = requireRollout("abort", name);
    if (spec.rollout() instanceof RolloutStrategy.RollingUpdate) {
      RolloutState r = effects.rollout(name).orElseThrow(() -> new UnknownServiceException("abort", name));
      Revision good = r.history().lastGoodBefore(Revisions.revision(spec)).orElseThrow(() -> new IllegalStateException(
          "abort " + name + ": no revision before " + Revisions.revision(spec)
              + " was ever fully available to return to"));
      notes.note(spec, "aborted", Revisions.revision(spec), "RolloutAborted", "abort(): rolling back to "
          + good.id());
      effects.applyRevision(spec, good);
      return;
    }
    enqueueOp(name, RolloutState.Op.ABORT);
  }

  /** The steps applying {@code spec} would take from what its service runs now; touches nothing. */
  public RolloutPlan plan(ServiceSpec spec) {
    String to = Revisions.revision(spec);
    String strategy = RolloutDriver.strategyName(spec.rollout());
    ServiceSpec current = effects.desired(spec.name()).orElse(null);
    RolloutState r = effects.rollout(spec.name()).orElse(null);
    if (current == null || r == null) {
      return new RolloutPlan(spec.name(), strategy, "", to, List.of());
    }
    RolloutState.View view = r.view;
    String from = view != null && !(current.rollout() instanceof RolloutStrategy.RollingUpdate)
        ? view.stable() : Revisions.revision(current);
    if (from.equals(to)) {
      return new RolloutPlan(spec.name(), strategy, from, to, List.of());
    }
    if (spec.stateful().isPresent()) {
      return new RolloutPlan(spec.name(), "Stateful", from, to,
          RolloutPlanner.statefulSteps(spec.stateful().get().update(), spec.replicas(), from, to));
    }
    if (spec.rollout() instanceof RolloutStrategy.RollingUpdate) {
      int[] bounds = RollingProgress.bounds(spec);
      return new RolloutPlan(spec.name(), strategy, from, to,
          RolloutPlanner.rollingWaves(spec.replicas(), bounds[0], bounds[1], from, to));
    }
    return new RolloutPlan(spec.name(), strategy, from, to,
        RolloutPlanner.steps(spec.rollout(), spec.replicas(), from, to));
  }

  /**
   * Refuses {@code op} ({@code pause}, {@code resume}, {@code promote} or {@code abort}) of service {@code name}'s
   * rollout as those would, from the rollout as it stands here, and changes nothing: a standby's check before it
   * passes the operation on to the leader (which refuses, as an event, what it cannot do from where it stands).
   */
  public void requireAskable(String op, String name) {
    ServiceSpec spec = requireRollout(op, name);
    if (op.equals("promote") && spec.rollout() instanceof RolloutStrategy.RollingUpdate) {
      throw new IllegalStateException("promote " + name + ": rollout: RollingUpdate: only BlueGreen and Canary "
          + "rollouts can be promoted");
    }
  }

  private ServiceSpec requireRollout(String op, String name) {
    ServiceSpec spec = effects.desired(name).orElse(null);
    RolloutState r = effects.rollout(name).orElse(null);
    if (spec == null || r == null) {
      throw new UnknownServiceException(op, name);
    }
    RolloutState.View view = r.view;
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
    RolloutState r = effects.rollout(name).orElseThrow(
        () -> new UnknownServiceException(op.name().toLowerCase(Locale.ROOT), name)); // deleted meanwhile
    r.ask(op, ops -> effects.keepOperations(name, ops)); // kept before it is acted on; throws if not
    effects.enqueue(name);
  }

  /** The rollout part of a service's status: the worker's view, or what the replicas say before it. */
  public RolloutStatus status(ServiceSpec spec, RolloutState r, List<ReplicaStatus> replicas) {
    String revision = Revisions.revision(spec);
    String strategy = RolloutDriver.strategyName(spec.rollout());
    RolloutState.View view = r.view;
    if (view != null && view.target().equals(revision)) {
      return new RolloutStatus(revision, view.stable(), strategy, view.phase(), view.steps().size() - 1,
          view.counts(), view.weights(), view.steps(), view.reason());
    }
    // Applied, and not yet reconciled: what the last pass saw (or, before any, what the replicas say).
    if (view != null) {
      return new RolloutStatus(revision, view.stable(), strategy, RolloutStatus.Phase.PROGRESSING, -1,
          view.counts(), view.weights(), List.of(), "revision " + revision + " applied");
    }
    Map<String, RolloutStatus.Counts> counts = new TreeMap<>();
    for (ReplicaStatus rs : replicas) {
      counts.merge(rs.revision(), new RolloutStatus.Counts(0, 1, rs.ready() ? 1 : 0, 0),
          (a, b) -> new RolloutStatus.Counts(0, a.replicas() + b.replicas(), a.ready() + b.ready(), 0));
    }
    return new RolloutStatus(revision, revision, strategy, RolloutStatus.Phase.PROGRESSING, -1, counts, Map.of(),
        List.of(), "revision " + revision + " applied");
  }

  /**
   * Publishes what the status shows of the rollout after a pass: the target and stable revisions, the counts
   * per revision ({desired} from {@code desired}, {existing, ready, available} from {@code seen}), and the
   * weights ({@code null}: each revision's share of the ready replicas).
   */
  public void publishView(RolloutState r, String target, String stable, Map<String, Integer> desired,
                          Map<String, int[]> seen, Map<String, Double> weights) {
    Map<String, RolloutStatus.Counts> counts = new TreeMap<>();
    int readyTotal = 0;
    for (var e : seen.entrySet()) {
      int[] n = e.getValue();
      counts.put(e.getKey(), new RolloutStatus.Counts(desired.getOrDefault(e.getKey(), 0), n[0], n[1], n[2]));
      readyTotal += n[1];
    }
    Map<String, Double> shares = weights;
    if (shares == null) {
      shares = new TreeMap<>();
      for (var e : counts.entrySet()) {
        shares.put(e.getKey(), readyTotal == 0 ? 0.0 : RolloutPlanner.round(100.0 * e.getValue().ready() / readyTotal));
      }
    }
    r.view = new RolloutState.View(target, stable, r.phase, counts, shares, List.copyOf(r.taken), r.reason);
  }
}
