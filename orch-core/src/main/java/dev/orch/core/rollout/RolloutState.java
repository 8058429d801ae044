package dev.orch.core.rollout;

import dev.orch.core.Revision;
import dev.orch.core.RolloutStatus;
import dev.orch.core.RolloutStep;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * One service's rollout memory, whatever its strategy: its revision history, where its rolling update,
 * blue/green or canary rollout stands, and how it progresses (the one progress record of the service).
 * The history is thread-safe and the operations users ask for ({@code pause}, {@code promote}...) are queued
 * from any thread; every other field belongs to the service's worker, which publishes {@link #view()} for
 * the status after each pass.
 */
public final class RolloutState {
  /** An operation a user asked for, carried out by the worker. */
  enum Op {
    PAUSE, RESUME, PROMOTE, ABORT
  }

  /**
   * What status shows, published by the worker.
   *
   * @param target   the revision the rollout moves to
   * @param stable   the stable revision
   * @param phase    the phase
   * @param counts   per revision counts
   * @param weights  per revision traffic percent
   * @param steps    the steps taken
   * @param reason   the last decision, in words
   */
  public record View(String target, String stable, RolloutStatus.Phase phase, Map<String, RolloutStatus.Counts> counts,
              Map<String, Double> weights, List<RolloutStep> steps, String reason) {
  }

  /** Guarded by itself: asked from any thread, taken by the worker. */
  private final ArrayDeque<Op> ops = new ArrayDeque<>();
  volatile View view;
  private final RevisionHistory history = new RevisionHistory();

  /**
   * Queues {@code op}, first handing the queue as it would be to {@code keeper} (which keeps it in the store);
   * when the keeper throws, the op is not queued and the exception goes on.
   */
  void ask(Op op, Consumer<List<String>> keeper) {
    synchronized (ops) {
      ops.addLast(op);
      try {
        keeper.accept(pendingOps());
      } catch (RuntimeException e) {
        ops.removeLast();
        throw e;
      }
    }
  }

  /** The next operation asked for, or null; worker only. */
  Op nextOp() {
    synchronized (ops) {
      return ops.pollFirst();
    }
  }

  /** The operations asked for and not yet carried out, oldest first, by name. */
  public List<String> pendingOps() {
    synchronized (ops) {
      return ops.stream().map(Op::name).toList();
    }
  }

  /** Runs {@code action} while no operation can be asked, taken or kept. */
  public void whileOpsHeld(Runnable action) {
    synchronized (ops) {
      action.run();
    }
  }

  /** Hands the pending operations to {@code keeper} while no operation can be asked or taken. */
  public void keepOps(Consumer<List<String>> keeper) {
    synchronized (ops) {
      keeper.accept(pendingOps());
    }
  }

  /**
   * Queues the operations a previous orchestrator was asked for and had not carried out.
   *
   * @throws IllegalArgumentException naming an operation this version does not know
   */
  public void restoreOps(List<String> names) {
    synchronized (ops) {
      for (String n : names) {
        try {
          ops.addLast(Op.valueOf(n));
        } catch (IllegalArgumentException e) {
          throw new IllegalArgumentException("unknown rollout operation \"" + n + "\"; known: "
              + java.util.Arrays.toString(Op.values()), e);
        }
      }
    }
  }

  /** The service's remembered revisions. */
  public RevisionHistory history() {
    return history;
  }

  /** What the worker's last pass published of the rollout, if it ran one. */
  public java.util.Optional<View> view() {
    return java.util.Optional.ofNullable(view);
  }

  // ---- worker only
  /** The revision that serves while a blue/green or canary rollout runs; null before the first pass. */
  Revision stable;
  /** The revision the rollout moves to. */
  String target;
  /** {@link #target}'s template (blue/green and canary). */
  Revision targetRevision;
  /** The strategy class the slices' memory belongs to. */
  Class<?> strategy;
  /** Why slices could not start, once reported. */
  String fallbackReported;
  /** Since when the rollout waits for replicas of the new revision; null when it does not. */
  Instant waitingSince;
  RolloutPlanner.Position position = RolloutPlanner.Position.START;
  /** The canary step being run: its index; -1 before the first; the number of steps once past them. */
  int canaryStep = -1;
  boolean stepEntered;
  Instant stepAt;
  Instant promotedAt;
  /** Paused by {@code pause()} or by a pause step without a duration. */
  boolean paused;
  /** {@code promote()} was asked: skip the remaining steps, pauses and analyses. */
  boolean promoteAsked;
  AnalysisRun analysis;
  /** The progress of the analysis a previous orchestrator was running, for the next run made here to resume. */
  AnalysisRun.Progress resumedAnalysis;
  /** Since when the rollout last made progress (an available replica more than before), and how much. */
  Instant progressAt;
  int bestAvailable;
  /** The revision the rolling path last started tracking (a new one restarts its progress). */
  String rollingRevision;
  /** The revision an automatic rollback left, while the service runs the one it returned to. */
  String rolledBackFrom;
  /** Why the automatic rollback from {@link #rolledBackFrom} happened (a failed analysis, a missed deadline). */
  String rollbackCause;
  /** The revision an automatic rollback returned to. */
  String rollbackTo;
  RolloutStatus.Phase phase = RolloutStatus.Phase.COMPLETE;
  /** A rolling update reached all its replicas available: progress is no longer tracked. */
  boolean settled;
  /** The replica count the revision settled at (all available); a scale-up beyond it is progress again. */
  int settledReplicas;
  String reason = "";
  final List<RolloutStep> taken = new ArrayList<>();

  /** Forgets the position of the last rollout, for a new blue/green or canary one to {@code target}. */
  void restart(Revision target, Instant now) {
    restart(target.id(), now);
    targetRevision = target;
  }

  /** Forgets the position of the last rollout, for a new one to {@code target}. */
  void restart(String target, Instant now) {
    this.target = target;
    targetRevision = null;
    settled = false;
    waitingSince = null;
    position = RolloutPlanner.Position.START;
    canaryStep = -1;
    stepEntered = false;
    stepAt = now;
    promotedAt = null;
    paused = false;
    promoteAsked = false;
    analysis = null;
    resumedAnalysis = null;
    progressAt = now;
    bestAvailable = -1;
    taken.clear();
  }

  /** Records a step taken; returns it. */
  RolloutStep take(RolloutStep step) {
    taken.add(step);
    return step;
  }
}
