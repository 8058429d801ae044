package dev.orch.core;

import dev.orch.api.runtime.ContainerInfo;
import dev.orch.api.runtime.ContainerState;
import dev.orch.api.runtime.OrchLabels;
import dev.orch.api.spec.RolloutStrategy;
import dev.orch.api.spec.ServiceSpec;
import dev.orch.core.util.Durations;
import dev.orch.core.util.Revisions;
import dev.orch.core.reconcile.ReconcileResult;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The level-triggered service controller: compares a service's desired spec with the containers Orch
 * sees and acts (create, start, restart with crash-loop backoff, replace, remove). Runs only on the
 * service key's shard worker; what it starts completes asynchronously and enqueues the key again.
 */
final class ServiceController {
  private final Orchestrator o;
  private final Replicas replicas;
  private final SliceReconciler slices;

  ServiceController(Orchestrator o, long seed) {
    this.o = o;
    this.replicas = new Replicas(o, seed);
    this.slices = new SliceReconciler(o, replicas, this);
  }

  ReconcileResult reconcile(String name) {
    ServiceSpec spec = o.desired.get(name);
    ServiceState st = spec != null ? o.states.computeIfAbsent(name, ServiceState::new) : o.states.get(name);
    if (st == null) {
      return ReconcileResult.done();
    }
    Instant now = o.time.now();
    List<ContainerInfo> mine = o.observed.containersOf(name);
    mine.sort(Comparator.comparing(ContainerInfo::name));
    if (spec == null) {
      return reconcileDeleted(st, mine);
    }
    String revision = Revisions.revision(spec);
    if (!(spec.rollout() instanceof RolloutStrategy.RollingUpdate)) {
      ReconcileResult result = slices.reconcile(st, spec, revision, mine, now);
      if (result != null) {
        return result;
      }
    }
    if (st.rollout.stable != null) {
      st.rollout.stable = null; // a strategy changed to a rolling update: the slices' memory no longer applies
      o.serving.registry.clear(ServiceEndpoints.previewKey(name));
    }
    Duration wake = null;

    Map<Integer, List<ContainerInfo>> byOrdinal = new HashMap<>();
    List<ContainerInfo> extras = new ArrayList<>();
    for (ContainerInfo c : mine) {
      // In this order: a removal completing meanwhile marks the container removed before it leaves deleting.
      if (st.deleting.containsKey(c.id()) || o.observed.isRemoved(c.id())) {
        continue;
      }
      int ordinal = ordinal(c);
      if (ordinal < 0 || ordinal >= spec.replicas()) {
        extras.add(c);
      } else {
        byOrdinal.computeIfAbsent(ordinal, k -> new ArrayList<>()).add(c);
      }
    }
    // Scale down: the newest first.
    extras.sort(Comparator.comparing(ContainerInfo::createdAt).reversed().thenComparing(ContainerInfo::name));
    for (ContainerInfo c : extras) {
      replicas.delete(st, spec, c, "ScaledDown", "replica " + ordinal(c) + " is beyond " + spec.replicas() + " replicas");
    }
    List<Integer> toPlace = new ArrayList<>();
    List<Integer> outdated = new ArrayList<>();
    Map<Integer, ContainerInfo> outdatedKept = new HashMap<>();
    List<ContainerInfo> running = new ArrayList<>();
    int available = 0;
    int availableCurrent = 0;
    int total = st.pendingCreates.size();
    // A wave of the update is busy while a new replica is on its way or an old one still stands in for it.
    boolean waveBusy = !st.pendingCreates.isEmpty();
    for (int ordinal = 0; ordinal < spec.replicas(); ordinal++) {
      boolean pending = st.pendingFor(ordinal);
      List<ContainerInfo> cs = byOrdinal.getOrDefault(ordinal, List.of());
      total += cs.size();
      if (cs.isEmpty()) {
        if (!pending) {
          toPlace.add(ordinal);
        }
        continue;
      }
      List<ContainerInfo> current = new ArrayList<>();
      List<ContainerInfo> old = new ArrayList<>();
      for (ContainerInfo c : cs) {
        (revision.equals(c.labels().get(OrchLabels.REVISION)) ? current : old).add(c);
      }
      ContainerInfo keep = replicas.best(current.isEmpty() ? old : current, revision);
      for (ContainerInfo other : current.isEmpty() ? old : current) {
        if (other != keep) {
          replicas.delete(st, spec, other, "Duplicate", "replica " + ordinal + " also runs as " + keep.name());
        }
      }
      // During an update an old replica keeps serving until its successor is ready.
      ContainerInfo serving = null;
      if (!current.isEmpty() && !old.isEmpty()) {
        boolean successorReady = replicas.isAvailable(spec, keep);
        ContainerInfo bestOld = replicas.best(old, revision);
        for (ContainerInfo c : old) {
          if (successorReady || c != bestOld) {
            replicas.delete(st, spec, c, "Superseded", "replica " + ordinal + " now runs revision " + revision + " as "
                + keep.name());
            total--; // leaving: it counts no more towards the surge (as terminating pods do not)
          }
        }
        serving = successorReady ? null : bestOld;
      }
      if (!o.observed.isNodeReady(keep.nodeId())) {
        wake = Durations.min(wake, replicas.onLostNode(st, spec, keep, ordinal, pending, now, toPlace));
        continue;
      }
      boolean up = false;
      for (ContainerInfo c : serving == null ? List.of(keep) : List.of(keep, serving)) {
        if (c.state() == ContainerState.RUNNING && o.observed.isNodeReady(c.nodeId())) {
          running.add(c);
          up |= replicas.isAvailable(spec, c);
        } else if (c == keep) {
          wake = Durations.min(wake, replicas.handleNotRunning(st, spec, keep, now));
        }
      }
      available += up ? 1 : 0;
      boolean keepAvailable = !current.isEmpty() && replicas.isAvailable(spec, keep);
      availableCurrent += keepAvailable ? 1 : 0;
      waveBusy |= !current.isEmpty() && (serving != null || !keepAvailable);
      if (current.isEmpty() && !pending && keep.state() == ContainerState.RUNNING) {
        outdated.add(ordinal);
        outdatedKept.put(ordinal, keep);
      }
    }
    // A changed template: in waves, surge new replicas beside the old, then replace old ones within the
    // unavailable budget; the next wave starts once this one's new replicas are available.
    int[] bounds = rollingBounds(spec);
    int budget = bounds[1] - (spec.replicas() - available);
    noticeRevision(st, revision, now);
    applyRollingOps(st, spec, revision, !outdated.isEmpty());
    boolean startWave = !waveBusy && !st.rollout.paused;
    int surged = 0;
    int replaced = 0;
    String from = null;
    for (int ordinal : outdated) {
      ContainerInfo old = outdatedKept.get(ordinal);
      if (!replicas.isAvailable(spec, old)) {
        // An old replica that serves nobody costs no availability: replace it at once, as Kubernetes
        // scales unhealthy old replicas down first (a rollback away from a bad revision needs this).
        replicas.delete(st, spec, old, "Updating", "revision " + old.labels().get(OrchLabels.REVISION) + " -> " + revision
            + " (not available)");
        toPlace.add(ordinal);
      } else if (startWave && total < spec.replicas() + bounds[0]) {
        toPlace.add(ordinal);
        total++;
        surged++;
        from = from == null ? old.labels().get(OrchLabels.REVISION) : from;
      } else if (startWave && budget > 0) {
        replicas.delete(st, spec, old, "Updating", "revision " + old.labels().get(OrchLabels.REVISION) + " -> " + revision);
        toPlace.add(ordinal);
        budget--;
        replaced++;
        from = from == null ? old.labels().get(OrchLabels.REVISION) : from;
      }
    }
    if (surged + replaced > 0) {
      if (st.rollout.taken.isEmpty()) {
        o.rollouts.note(spec, "started", revision, "RolloutStarted", "RollingUpdate from " + from + " to " + revision
            + " started");
      }
      int oldLeft = outdated.size() - replaced;
      RolloutStep step = st.rollout.take(new RolloutStep(st.rollout.taken.size(), "surge " + surged + ", replace "
          + replaced, Map.of(from, oldLeft, revision, spec.replicas() - oldLeft + surged),
          spec.replicas() - bounds[1], spec.replicas() + bounds[0],
          RolloutPlanner.rollingWeights(from, oldLeft, revision, spec.replicas() - oldLeft + surged)));
      o.rollouts.note(spec, "step", revision, "RolloutStep", "wave " + step);
    }
    if (!toPlace.isEmpty()) {
      wake = Durations.min(wake, replicas.place(st, spec, toPlace, revision));
    }
    o.probes.sync(name, spec, running);
    for (ContainerInfo c : running) {
      if (o.probes.mustRestart(c.id()) && st.killing.putIfAbsent(c.id(), Boolean.TRUE) == null) {
        replicas.kill(st, c);
      }
    }
    o.serving.publish(spec, running);
    wake = Durations.min(wake, replicas.finishDrains(st));
    o.setCondition(st, "Available", available == spec.replicas(), available == spec.replicas()
        ? "MinimumReplicasAvailable" : "MinimumReplicasUnavailable", available + "/" + spec.replicas()
        + " replicas available");
    wake = Durations.min(wake, trackProgress(st, spec, revision, availableCurrent, now));
    publishView(st, revision, revision, mine, Map.of(revision, spec.replicas()), null, r -> spec);
    if (spec.rollout() instanceof RolloutStrategy.RollingUpdate ru && !ru.minReady().isZero()
        && availableCurrent < spec.replicas()) {
      wake = Durations.min(wake, Duration.ofSeconds(1)); // replicas become available as their minReady passes
    }
    if (!st.deleting.isEmpty() || !st.pendingCreates.isEmpty()) {
      // Completions enqueue the key; this is only a safety net against a lost completion.
      wake = Durations.min(wake, Duration.ofSeconds(30));
    }
    return wake == null ? ReconcileResult.done() : ReconcileResult.requeueAfter(wake);
  }

  /** A new revision starts a new rolling update: progress tracking and the steps taken start over. */
  private void noticeRevision(ServiceState st, String revision, Instant now) {
    if (revision.equals(st.rolloutRevision)) {
      return;
    }
    RolloutState r = st.rollout;
    st.rolloutRevision = revision;
    st.progressAt = now;
    st.bestAvailable = -1;
    if (!revision.equals(r.rollbackTo)) {
      r.rolledBackFrom = null;
      r.rollbackTo = null;
    }
    r.restart(revision, now);
    r.reason = "revision " + revision;
  }

  /** Pause and resume of a rolling update: a paused one starts no new wave. */
  private void applyRollingOps(ServiceState st, ServiceSpec spec, String revision, boolean updating) {
    RolloutState r = st.rollout;
    for (RolloutState.Op op; (op = r.ops.poll()) != null; ) {
      if (op == RolloutState.Op.PAUSE && updating && !r.paused) {
        r.paused = true;
        o.rollouts.note(spec, "paused", revision, "RolloutPaused", "paused by pause(): no new wave starts");
      } else if (op == RolloutState.Op.RESUME && r.paused) {
        r.paused = false;
        o.rollouts.note(spec, "resumed", revision, "RolloutResumed", "resumed by resume()");
      }
    }
    if (!updating && r.paused) {
      r.paused = false; // nothing left to pause
    }
  }

  /** Publishes what {@link Orchestrator#status} shows of the rollout: counts per revision, weights, steps. */
  void publishView(ServiceState st, String target, String stable, List<ContainerInfo> mine,
                   Map<String, Integer> desired, Map<String, Double> weights,
                   java.util.function.Function<String, ServiceSpec> specOf) {
    Map<String, int[]> seen = new java.util.TreeMap<>();
    desired.keySet().forEach(rev -> seen.put(rev, new int[3]));
    for (ContainerInfo c : mine) {
      if (st.deleting.containsKey(c.id()) || o.observed.isRemoved(c.id())) {
        continue;
      }
      String rev = c.labels().getOrDefault(OrchLabels.REVISION, "");
      int[] n = seen.computeIfAbsent(rev, k -> new int[3]);
      ServiceSpec revSpec = specOf.apply(rev);
      n[0]++;
      n[1] += replicas.isReady(revSpec, c) ? 1 : 0;
      n[2] += replicas.isAvailable(revSpec, c) ? 1 : 0;
    }
    Map<String, RolloutStatus.Counts> counts = new java.util.TreeMap<>();
    int readyTotal = 0;
    for (var e : seen.entrySet()) {
      int[] n = e.getValue();
      counts.put(e.getKey(), new RolloutStatus.Counts(desired.getOrDefault(e.getKey(), 0), n[0], n[1], n[2]));
      readyTotal += n[1];
    }
    Map<String, Double> shares = weights;
    if (shares == null) {
      shares = new java.util.TreeMap<>();
      for (var e : counts.entrySet()) {
        shares.put(e.getKey(), readyTotal == 0 ? 0.0 : RolloutPlanner.round(100.0 * e.getValue().ready() / readyTotal));
      }
    }
    RolloutState r = st.rollout;
    r.view = new RolloutState.View(target, stable, r.phase, counts, shares, List.copyOf(r.taken), r.reason);
  }

  /**
   * Follows the progress of the current revision: once all its replicas are available it is the last
   * good one; an update that gains no available replica within the progress deadline is rolled back to
   * the last good revision (unless auto-rollback is off, when it is only reported, as Kubernetes does).
   */
  private Duration trackProgress(ServiceState st, ServiceSpec spec, String revision, int availableCurrent,
                                 Instant now) {
    RolloutState r = st.rollout;
    if (r.settled) {
      return null; // done: a replica lost later is healed, not a rollout that failed to progress
    }
    if (availableCurrent == spec.replicas()) {
      r.settled = true;
      st.markGood(revision);
      o.setCondition(st, "Progressing", true, "NewRevisionAvailable", "revision " + revision + " is available");
      if (!r.taken.isEmpty()) {
        o.rollouts.note(spec, "completed", revision, "RolloutCompleted", "revision " + revision + " is available");
      }
      r.phase = r.rolledBackFrom != null ? RolloutStatus.Phase.ROLLED_BACK : RolloutStatus.Phase.COMPLETE;
      r.reason = r.rolledBackFrom != null ? "rolled back from " + r.rolledBackFrom + " to " + revision
          : "revision " + revision + " is available";
      return null;
    }
    r.phase = r.paused ? RolloutStatus.Phase.PAUSED : RolloutStatus.Phase.PROGRESSING;
    if (availableCurrent > st.bestAvailable) {
      st.bestAvailable = availableCurrent;
      st.progressAt = now;
    }
    Duration deadline = spec.rollout().progressDeadline();
    Duration quiet = Duration.between(st.progressAt, now);
    if (quiet.compareTo(deadline) < 0) {
      o.setCondition(st, "Progressing", true, "Updating", availableCurrent + "/" + spec.replicas()
          + " replicas of revision " + revision + " available");
      return deadline.minus(quiet);
    }
    String why = "no progress in " + deadline.toSeconds() + "s: " + availableCurrent + "/" + spec.replicas()
        + " replicas of revision " + revision + " available";
    Optional<Revision> good = st.lastGoodBefore(revision);
    if (o.autoRollback && good.isPresent()) {
      o.event(OrchEvent.Type.WARNING, "ProgressDeadlineExceeded", spec.name(), "", "", why + "; rolling back");
      r.rolledBackFrom = revision;
      r.rollbackTo = good.get().id();
      o.rollouts.note(spec, "rolledback", good.get().id(), "RolledBack", "back to revision " + good.get().id()
          + " from " + revision + ": " + why);
      o.applyRevisionIfUnchanged(spec, good.get());
      return null;
    }
    r.phase = RolloutStatus.Phase.STALLED;
    r.reason = why;
    if (o.setCondition(st, "Progressing", false, "ProgressDeadlineExceeded", why)) {
      o.rollouts.note(spec, "stalled", revision, "ProgressDeadlineExceeded", why);
    }
    return null;
  }

  private ReconcileResult reconcileDeleted(ServiceState st, List<ContainerInfo> mine) {
    o.probes.sync(st.name, null, List.of());
    for (ContainerInfo c : mine) {
      if (!st.deleting.containsKey(c.id())) {
        replicas.delete(st, null, c, "Deleted", "service deleted");
      }
    }
    o.serving.registry.clear(st.name);
    o.serving.registry.clear(ServiceEndpoints.previewKey(st.name));
    Duration drainWake = replicas.finishDrains(st);
    if (mine.isEmpty() && st.pendingCreates.isEmpty()) {
      // Only if no apply() revived the service meanwhile.
      o.states.computeIfPresent(st.name, (k, v) -> v == st && !o.desired.containsKey(k) ? null : v);
      o.queue.forget(st.name);
      o.event(OrchEvent.Type.NORMAL, "ServiceRemoved", st.name, "", "", "every replica is gone");
      o.serving.traffic.forget(st.name);
      return ReconcileResult.done();
    }
    return ReconcileResult.requeueAfter(drainWake != null ? drainWake : Duration.ofSeconds(5));
  }

  static int ordinal(ContainerInfo c) {
    try {
      return Integer.parseInt(c.labels().getOrDefault(OrchLabels.ORDINAL, "-1"));
    } catch (NumberFormatException e) {
      return -1;
    }
  }

  /** {maxSurge, maxUnavailable} resolved as Kubernetes does: surge rounds up, unavailable down, never both 0. */
  static int[] rollingBounds(ServiceSpec spec) {
    if (spec.rollout() instanceof RolloutStrategy.RollingUpdate ru) {
      int surge = ru.maxSurge().resolve(spec.replicas(), true);
      int unavailable = ru.maxUnavailable().resolve(spec.replicas(), false);
      return new int[] {surge, surge == 0 && unavailable == 0 ? 1 : unavailable};
    }
    return new int[] {1, 0};
  }

}
