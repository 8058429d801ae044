package dev.orch.core;

import dev.orch.api.runtime.ContainerCreateRequest;
import dev.orch.api.runtime.ContainerInfo;
import dev.orch.api.runtime.ContainerState;
import dev.orch.api.runtime.OrchLabels;
import dev.orch.api.spec.RestartPolicy;
import dev.orch.api.spec.RolloutStrategy;
import dev.orch.api.spec.ServiceSpec;
import dev.orch.api.spec.VolumeMount;
import dev.orch.core.internal.Placer;
import dev.orch.core.internal.Revisions;
import dev.orch.core.reconcile.ReconcileResult;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The level-triggered service controller: compares a service's desired spec with the containers Orch
 * sees and acts (create, start, restart with crash-loop backoff, replace, remove). Runs only on the
 * service key's shard worker; what it starts completes asynchronously and enqueues the key again.
 */
final class ServiceController {
  /** Per-service memory of what is in flight; fields written by completions are concurrent maps. */
  static final class ServiceState {
    final String name;
    /** A replica slot: an ordinal of a revision (two revisions share ordinals during blue/green and canary). */
    record Slot(String revision, int ordinal) {
    }

    /** Expectations: slot to the create (and start) in flight for it. */
    final ConcurrentHashMap<Slot, Placer.Existing> pendingCreates = new ConcurrentHashMap<>();
    /** The rollout's memory. */
    final RolloutState rollout = new RolloutState();
    /** A replica out of the endpoints, waiting for its in-flight requests before it is stopped. */
    record Draining(ContainerInfo container, Instant until) {
    }

    /** Replicas being drained, by container id; a subset of {@link #deleting}. */
    final ConcurrentHashMap<String, Draining> draining = new ConcurrentHashMap<>();
    /** Containers being stopped and removed. */
    final ConcurrentHashMap<String, Instant> deleting = new ConcurrentHashMap<>();
    /**
     * Room this service preempted others for, held until it places there (as Kubernetes' nominated node),
     * so that the victims' own services cannot take it back first.
     */
    final ConcurrentHashMap<String, Placer.Existing> nominated = new ConcurrentHashMap<>();
    /** The replicas preempted for this service and not yet gone. */
    final java.util.Set<String> awaitedVictims = ConcurrentHashMap.newKeySet();
    /** Containers being stopped because they failed a startup or liveness probe. */
    final ConcurrentHashMap<String, Boolean> killing = new ConcurrentHashMap<>();
    /** Containers stopped for a failed probe: their next exit counts as a failure, whatever its code. */
    final java.util.Set<String> probeKilled = ConcurrentHashMap.newKeySet();
    /** Containers whose start is in flight. */
    final ConcurrentHashMap<String, Boolean> starting = new ConcurrentHashMap<>();
    /** Crash-loop memory per container (worker only). */
    final Map<String, RestartTracker> restarts = new ConcurrentHashMap<>();
    /** Node holding each ordinal's node-local volumes (worker only). */
    final Map<Integer, String> volumeNodes = new HashMap<>();
    final Map<String, Condition> conditions = new LinkedHashMap<>();
    /** Containers a delete was already reported for, so a retried delete is not reported again. */
    final java.util.Set<String> deleteReported = ConcurrentHashMap.newKeySet();
    final java.util.concurrent.atomic.AtomicInteger createFailures = new java.util.concurrent.atomic.AtomicInteger();
    boolean deleted;

    /** Revisions, oldest first (guarded by itself). */
    private final java.util.LinkedList<Revision> history = new java.util.LinkedList<>();
    /** The revisions that were ever fully available (guarded by {@link #history}). */
    private final java.util.Set<String> good = new HashSet<>();
    /** The revision being rolled out and when it last made progress (worker only). */
    String rolloutRevision;
    Instant progressAt;
    int bestAvailable;

    ServiceState(String name) {
      this.name = name;
    }

    /** Whether a create is in flight for {@code ordinal}, of any revision. */
    boolean pendingFor(int ordinal) {
      for (Slot s : pendingCreates.keySet()) {
        if (s.ordinal() == ordinal) {
          return true;
        }
      }
      return false;
    }

    void remember(Revision r, int limit) {
      synchronized (history) {
        if (!history.isEmpty() && history.getLast().id().equals(r.id())) {
          return;
        }
        history.removeIf(h -> h.id().equals(r.id()));
        history.addLast(r);
        while (history.size() > limit) {
          history.removeFirst();
        }
      }
    }

    List<Revision> history() {
      synchronized (history) {
        return List.copyOf(history);
      }
    }

    /** The newest remembered revision other than {@code current} that was ever fully available. */
    Optional<Revision> lastGoodBefore(String current) {
      synchronized (history) {
        for (var it = history.descendingIterator(); it.hasNext(); ) {
          Revision r = it.next();
          if (!r.id().equals(current) && good.contains(r.id())) {
            return Optional.of(r);
          }
        }
        return Optional.empty();
      }
    }

    void markGood(String revision) {
      synchronized (history) {
        good.add(revision);
        good.retainAll(history.stream().map(Revision::id).toList());
      }
    }
  }

  static final class RestartTracker {
    int inARow;
    volatile int total;
    Instant exitSeen;
    Instant restartAt;
    /** The exit a restart was already issued for: one start per exit, whatever the events' timing. */
    Instant restartedFor;
  }

  private final Orchestrator o;
  private final Random random;

  ServiceController(Orchestrator o, long seed) {
    this.o = o;
    this.random = new Random(seed);
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
      return reconcileSlices(st, spec, revision, mine, now);
    }
    if (st.rollout.stable != null) {
      st.rollout.stable = null; // a strategy changed to a rolling update: the slices' memory no longer applies
      o.endpointRegistry.clear(Orchestrator.previewKey(name));
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
      delete(st, spec, c, "ScaledDown", "replica " + ordinal(c) + " is beyond " + spec.replicas() + " replicas");
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
      ContainerInfo keep = best(current.isEmpty() ? old : current, revision);
      for (ContainerInfo other : current.isEmpty() ? old : current) {
        if (other != keep) {
          delete(st, spec, other, "Duplicate", "replica " + ordinal + " also runs as " + keep.name());
        }
      }
      // During an update an old replica keeps serving until its successor is ready.
      ContainerInfo serving = null;
      if (!current.isEmpty() && !old.isEmpty()) {
        boolean successorReady = isAvailable(spec, keep);
        ContainerInfo bestOld = best(old, revision);
        for (ContainerInfo c : old) {
          if (successorReady || c != bestOld) {
            delete(st, spec, c, "Superseded", "replica " + ordinal + " now runs revision " + revision + " as "
                + keep.name());
            total--; // leaving: it counts no more towards the surge (as terminating pods do not)
          }
        }
        serving = successorReady ? null : bestOld;
      }
      if (!o.observed.isNodeReady(keep.nodeId())) {
        wake = min(wake, onLostNode(st, spec, keep, ordinal, pending, now, toPlace));
        continue;
      }
      boolean up = false;
      for (ContainerInfo c : serving == null ? List.of(keep) : List.of(keep, serving)) {
        if (c.state() == ContainerState.RUNNING && o.observed.isNodeReady(c.nodeId())) {
          running.add(c);
          up |= isAvailable(spec, c);
        } else if (c == keep) {
          wake = min(wake, handleNotRunning(st, spec, keep, now));
        }
      }
      available += up ? 1 : 0;
      boolean keepAvailable = !current.isEmpty() && isAvailable(spec, keep);
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
      if (!isAvailable(spec, old)) {
        // An old replica that serves nobody costs no availability: replace it at once, as Kubernetes
        // scales unhealthy old replicas down first (a rollback away from a bad revision needs this).
        delete(st, spec, old, "Updating", "revision " + old.labels().get(OrchLabels.REVISION) + " -> " + revision
            + " (not available)");
        toPlace.add(ordinal);
      } else if (startWave && total < spec.replicas() + bounds[0]) {
        toPlace.add(ordinal);
        total++;
        surged++;
        from = from == null ? old.labels().get(OrchLabels.REVISION) : from;
      } else if (startWave && budget > 0) {
        delete(st, spec, old, "Updating", "revision " + old.labels().get(OrchLabels.REVISION) + " -> " + revision);
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
      wake = min(wake, place(st, spec, toPlace, revision));
    }
    o.probes.sync(name, spec, running);
    for (ContainerInfo c : running) {
      if (o.probes.mustRestart(c.id()) && st.killing.putIfAbsent(c.id(), Boolean.TRUE) == null) {
        kill(st, c);
      }
    }
    o.publishEndpoints(spec, st, running);
    wake = min(wake, finishDrains(st));
    o.setCondition(st, "Available", available == spec.replicas(), available == spec.replicas()
        ? "MinimumReplicasAvailable" : "MinimumReplicasUnavailable", available + "/" + spec.replicas()
        + " replicas available");
    wake = min(wake, trackProgress(st, spec, revision, availableCurrent, now));
    publishView(st, spec, revision, mine, Map.of(revision, spec.replicas()), null, r -> spec);
    if (spec.rollout() instanceof RolloutStrategy.RollingUpdate ru && !ru.minReady().isZero()
        && availableCurrent < spec.replicas()) {
      wake = min(wake, Duration.ofSeconds(1)); // replicas become available as their minReady passes
    }
    if (!st.deleting.isEmpty() || !st.pendingCreates.isEmpty()) {
      // Completions enqueue the key; this is only a safety net against a lost completion.
      wake = min(wake, Duration.ofSeconds(30));
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

  /**
   * Reconciles a blue/green or canary service: the rollout driver says which slices (replicas of a revision,
   * with their share of traffic) to realise; each slice is reconciled ordinal by ordinal as the rolling path
   * does, replicas of no slice are retired (drained first), and the endpoints carry the slices' weights.
   */
  private ReconcileResult reconcileSlices(ServiceState st, ServiceSpec spec, String revision,
                                          List<ContainerInfo> mine, Instant now) {
    String name = st.name;
    List<RolloutPlanner.Slice> slices = o.rollouts.slices(st, spec, revision, now);
    Map<String, RolloutPlanner.Slice> byRevision = new LinkedHashMap<>();
    Map<String, ServiceSpec> specs = new HashMap<>();
    for (RolloutPlanner.Slice slice : slices) {
      byRevision.put(slice.revision(), slice);
      specs.put(slice.revision(), o.rollouts.specFor(st, spec, slice.revision()));
    }
    Duration wake = null;
    Map<ServiceState.Slot, List<ContainerInfo>> bySlot = new HashMap<>();
    List<ContainerInfo> extras = new ArrayList<>();
    for (ContainerInfo c : mine) {
      if (st.deleting.containsKey(c.id()) || o.observed.isRemoved(c.id())) {
        continue;
      }
      String rev = c.labels().getOrDefault(OrchLabels.REVISION, "");
      RolloutPlanner.Slice slice = byRevision.get(rev);
      int ordinal = ordinal(c);
      if (slice == null || ordinal < 0 || ordinal >= slice.replicas()) {
        extras.add(c);
      } else {
        bySlot.computeIfAbsent(new ServiceState.Slot(rev, ordinal), k -> new ArrayList<>()).add(c);
      }
    }
    extras.sort(Comparator.comparing(ContainerInfo::createdAt).reversed().thenComparing(ContainerInfo::name));
    for (ContainerInfo c : extras) {
      String rev = c.labels().getOrDefault(OrchLabels.REVISION, "");
      delete(st, spec, c, byRevision.containsKey(rev) ? "ScaledDown" : "Retired", byRevision.containsKey(rev)
          ? "replica " + ordinal(c) + " is beyond the " + byRevision.get(rev).replicas() + " replicas of " + rev
          : "revision " + rev + " takes no part in the rollout any more");
    }
    List<ContainerInfo> running = new ArrayList<>();
    Map<String, Integer> available = new HashMap<>();
    for (RolloutPlanner.Slice slice : slices) {
      ServiceSpec sliceSpec = specs.get(slice.revision());
      List<Integer> toPlace = new ArrayList<>();
      for (int ordinal = 0; ordinal < slice.replicas(); ordinal++) {
        boolean pending = st.pendingCreates.containsKey(new ServiceState.Slot(slice.revision(), ordinal));
        List<ContainerInfo> cs = bySlot.getOrDefault(new ServiceState.Slot(slice.revision(), ordinal), List.of());
        if (cs.isEmpty()) {
          if (!pending) {
            toPlace.add(ordinal);
          }
          continue;
        }
        ContainerInfo keep = best(cs, slice.revision());
        for (ContainerInfo other : cs) {
          if (other != keep) {
            delete(st, spec, other, "Duplicate", "replica " + ordinal + " of " + slice.revision() + " also runs as "
                + keep.name());
          }
        }
        if (!o.observed.isNodeReady(keep.nodeId())) {
          wake = min(wake, onLostNode(st, sliceSpec, keep, ordinal, pending, now, toPlace));
        } else if (keep.state() == ContainerState.RUNNING) {
          running.add(keep);
          if (isAvailable(sliceSpec, keep)) {
            available.merge(slice.revision(), 1, Integer::sum);
          }
        } else {
          wake = min(wake, handleNotRunning(st, sliceSpec, keep, now));
        }
      }
      if (!toPlace.isEmpty()) {
        wake = min(wake, place(st, sliceSpec, toPlace, slice.revision()));
      }
    }
    java.util.function.Function<ContainerInfo, ServiceSpec> specOf =
        c -> specs.getOrDefault(c.labels().getOrDefault(OrchLabels.REVISION, ""), spec);
    o.probes.sync(name, running, specOf);
    for (ContainerInfo c : running) {
      if (o.probes.mustRestart(c.id()) && st.killing.putIfAbsent(c.id(), Boolean.TRUE) == null) {
        kill(st, c);
      }
    }
    publishSliceEndpoints(st, spec, slices, running, specOf);
    wake = min(wake, finishDrains(st));
    RolloutPlanner.Slice serving = slices.get(0);
    int servingAvailable = available.getOrDefault(serving.revision(), 0);
    o.setCondition(st, "Available", servingAvailable >= spec.replicas(), servingAvailable >= spec.replicas()
        ? "MinimumReplicasAvailable" : "MinimumReplicasUnavailable", servingAvailable + "/" + spec.replicas()
        + " replicas of serving revision " + serving.revision() + " available");
    wake = min(wake, o.rollouts.advance(st, spec, available, now));
    if (st.rollout.target.equals(st.rollout.stable.id()) && available.getOrDefault(revision, 0) == spec.replicas()) {
      st.markGood(revision);
    }
    Map<String, Integer> desired = new HashMap<>();
    Map<String, Double> weights = new HashMap<>();
    List<RolloutPlanner.Slice> now2 = o.rollouts.currentSlices(st, spec);
    if (!now2.equals(slices)) {
      wake = min(wake, RolloutDriver.AGAIN); // the rollout moved on: realise its new slices
    }
    for (RolloutPlanner.Slice slice : now2) {
      desired.put(slice.revision(), slice.replicas());
      weights.put(slice.revision(), slice.kind() == RolloutPlanner.Kind.SERVING ? slice.weight() : 0.0);
    }
    publishView(st, spec, st.rollout.stable.id(), mine, desired, weights,
        rev -> specs.getOrDefault(rev, spec));
    st.rolloutRevision = st.rollout.stable.id();
    if (!st.deleting.isEmpty() || !st.pendingCreates.isEmpty()) {
      wake = min(wake, Duration.ofSeconds(30)); // a safety net against a lost completion
    }
    return wake == null ? ReconcileResult.done() : ReconcileResult.requeueAfter(wake);
  }

  /**
   * Publishes the serving slices' replicas on the service's endpoints, weighted so that each slice gets its
   * share of the traffic, and the preview slice's on the preview endpoints.
   */
  private void publishSliceEndpoints(ServiceState st, ServiceSpec spec, List<RolloutPlanner.Slice> slices,
                                     List<ContainerInfo> running,
                                     java.util.function.Function<ContainerInfo, ServiceSpec> specOf) {
    Map<String, RolloutPlanner.Slice> byRevision = new HashMap<>();
    slices.forEach(sl -> byRevision.put(sl.revision(), sl));
    List<ContainerInfo> serving = new ArrayList<>();
    List<ContainerInfo> preview = new ArrayList<>();
    Map<String, Integer> readyPerRevision = new HashMap<>();
    for (ContainerInfo c : running) {
      RolloutPlanner.Slice sl = byRevision.get(c.labels().getOrDefault(OrchLabels.REVISION, ""));
      if (sl == null) {
        continue;
      }
      if (sl.kind() == RolloutPlanner.Kind.PREVIEW) {
        preview.add(c);
      } else if (sl.kind() == RolloutPlanner.Kind.SERVING && sl.weight() > 0) {
        serving.add(c);
        if (isReady(specOf.apply(c), c)) {
          readyPerRevision.merge(sl.revision(), 1, Integer::sum);
        }
      }
    }
    Map<String, Integer> weights = EndpointWeights.split(slices, readyPerRevision);
    o.publishEndpoints(st.name, spec, serving, specOf,
        c -> weights.getOrDefault(c.labels().getOrDefault(OrchLabels.REVISION, ""), 1));
    if (preview.isEmpty()) {
      o.endpointRegistry.clear(Orchestrator.previewKey(st.name));
    } else {
      o.publishEndpoints(Orchestrator.previewKey(st.name), spec, preview, specOf, c -> 1);
    }
  }

  /** Publishes what {@link Orchestrator#status} shows of the rollout: counts per revision, weights, steps. */
  private void publishView(ServiceState st, ServiceSpec spec, String stable, List<ContainerInfo> mine,
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
      n[1] += isReady(revSpec, c) ? 1 : 0;
      n[2] += isAvailable(revSpec, c) ? 1 : 0;
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
    r.view = new RolloutState.View(Revisions.revision(spec), stable, r.phase, counts, shares, List.copyOf(r.taken), r.reason);
  }

  /** A replica on a lost node: replaced once the node has been lost for the grace period; returns when to look again. */
  private Duration onLostNode(ServiceState st, ServiceSpec spec, ContainerInfo keep, int ordinal, boolean pending,
                              Instant now, List<Integer> toPlace) {
    Optional<ObservedState.NodeState> node = o.observed.node(keep.nodeId());
    Instant since = node.map(ObservedState.NodeState::lostSince).orElse(now);
    Duration lostFor = Duration.between(since, now);
    if (lostFor.compareTo(o.nodeLostGrace) < 0) {
      return o.nodeLostGrace.minus(lostFor);
    }
    if (!pending) {
      o.replacements.increment();
      o.event(OrchEvent.Type.WARNING, "Replaced", st.name, keep.name(), keep.nodeId(),
          "node " + keep.nodeId() + " lost for " + lostFor.toSeconds() + "s; replacing replica " + ordinal);
      delete(st, spec, keep, null, null);
      st.volumeNodes.remove(ordinal);
      toPlace.add(ordinal);
    }
    return null;
  }

  /**
   * Follows the progress of the current revision: once all its replicas are available it is the last
   * good one; an update that gains no available replica within the progress deadline is rolled back to
   * the last good revision (unless auto-rollback is off, when it is only reported, as Kubernetes does).
   */
  private Duration trackProgress(ServiceState st, ServiceSpec spec, String revision, int availableCurrent,
                                 Instant now) {
    RolloutState r = st.rollout;
    if (availableCurrent == spec.replicas()) {
      st.markGood(revision);
      if (o.setCondition(st, "Progressing", true, "NewRevisionAvailable", "revision " + revision + " is available")
          && !r.taken.isEmpty()) {
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
    Duration deadline = spec.rollout() instanceof RolloutStrategy.RollingUpdate ru
        ? ru.progressDeadline() : RolloutStrategy.RollingUpdate.DEFAULT.progressDeadline();
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
      o.applyRevision(spec, good.get());
      return null;
    }
    r.phase = RolloutStatus.Phase.STALLED;
    r.reason = why;
    if (o.setCondition(st, "Progressing", false, "ProgressDeadlineExceeded", why)) {
      o.rollouts.note(spec, "stalled", revision, "ProgressDeadlineExceeded", why);
    }
    return null;
  }

  /**
   * Removes lower-priority replicas (the scheduler chose them, never of equal or higher priority) so that
   * a replica of {@code spec} fits; their services place them again where there is room, or report them
   * unschedulable.
   */
  private void preempt(ServiceSpec spec, List<String> victims) {
    for (String victim : victims) {
      for (ContainerInfo c : o.observed.allContainers()) {
        if (c.name().equals(victim)) {
          String service = ObservedState.serviceOf(c);
          ServiceState vs = o.states.get(service);
          ServiceSpec vspec = o.desired.get(service);
          if (vs != null && vspec != null && vspec.priority() < spec.priority()) {
            o.queue.enqueue(service);
            delete(vs, vspec, c, "Preempted", "removed to make room for " + spec.name() + " (priority "
                + spec.priority() + " > " + vspec.priority() + ")");
          }
        }
      }
    }
  }

  /** Stops a container that failed its probe; its exit then restarts it under the restart policy. */
  private void kill(ServiceState st, ContainerInfo c) {
    st.probeKilled.add(c.id());
    o.calls.call(c.nodeId(), "stop " + c.name(), o.terminationGrace, () -> o.runtime.stop(c.id(), o.terminationGrace))
        .whenComplete((v, error) -> {
          st.killing.remove(c.id());
          if (error != null) {
            o.event(OrchEvent.Type.WARNING, "KillFailed", st.name, c.name(), c.nodeId(), Orchestrator.describe(error));
          }
          o.queue.enqueue(st.name);
        });
  }

  private ReconcileResult reconcileDeleted(ServiceState st, List<ContainerInfo> mine) {
    o.probes.sync(st.name, null, List.of());
    for (ContainerInfo c : mine) {
      if (!st.deleting.containsKey(c.id())) {
        delete(st, null, c, "Deleted", "service deleted");
      }
    }
    o.endpointRegistry.clear(st.name);
    Duration drainWake = finishDrains(st);
    if (mine.isEmpty() && st.pendingCreates.isEmpty()) {
      // Only if no apply() revived the service meanwhile.
      o.states.computeIfPresent(st.name, (k, v) -> v == st && !o.desired.containsKey(k) ? null : v);
      o.queue.forget(st.name);
      o.event(OrchEvent.Type.NORMAL, "ServiceRemoved", st.name, "", "", "every replica is gone");
      o.traffic.forget(st.name);
      return ReconcileResult.done();
    }
    return ReconcileResult.requeueAfter(drainWake != null ? drainWake : Duration.ofSeconds(5));
  }

  /** Starts, restarts (with crash-loop backoff) or leaves a container that does not run; returns when to look again. */
  private Duration handleNotRunning(ServiceState st, ServiceSpec spec, ContainerInfo c, Instant now) {
    if (st.starting.containsKey(c.id())) {
      return null;
    }
    if (c.state() == ContainerState.CREATED) {
      start(st, c, null);
      return null;
    }
    if (c.state() != ContainerState.EXITED) {
      return null;
    }
    int exit = c.exitCode().orElse(-1);
    boolean failed = exit != 0 || c.oomKilled() || st.probeKilled.contains(c.id());
    if (spec.restartPolicy() == RestartPolicy.NEVER
        || (spec.restartPolicy() == RestartPolicy.ON_FAILURE && !failed)) {
      return null;
    }
    RestartTracker rt = st.restarts.computeIfAbsent(c.id(), k -> new RestartTracker());
    Instant exitedAt = c.finishedAt().orElse(now);
    if (!exitedAt.equals(rt.exitSeen)) {
      rt.exitSeen = exitedAt;
      Duration ran = c.startedAt().map(s -> Duration.between(s, exitedAt)).orElse(Duration.ZERO);
      if (ran.compareTo(o.crashLoop.resetAfter()) >= 0) {
        rt.inARow = 0;
      }
      rt.inARow++;
      Duration delay = o.crashLoop.delay(rt.inARow);
      rt.restartAt = exitedAt.plus(delay);
      String why = c.oomKilled() ? "OOM-killed (exit " + exit + ")" : "exited with code " + exit;
      o.event(OrchEvent.Type.WARNING, c.oomKilled() ? "OOMKilled" : "Exited", spec.name(), c.name(), c.nodeId(),
          why + "; restart " + rt.inARow + " in a row in " + delay.toMillis() + "ms");
    }
    if (exitedAt.equals(rt.restartedFor)) {
      return null; // restarted already; waiting for the runtime to report it running
    }
    if (!now.isBefore(rt.restartAt)) {
      rt.restartedFor = exitedAt;
      rt.total++;
      st.probeKilled.remove(c.id());
      o.restarts.increment();
      start(st, c, rt);
      return null;
    }
    return Duration.between(now, rt.restartAt);
  }

  private Duration place(ServiceState st, ServiceSpec spec, List<Integer> ordinals, String revision) {
    List<String> ids = new ArrayList<>();
    Map<String, String> bound = new HashMap<>();
    for (int ordinal : ordinals) {
      // The container's own name: the same id while it is pending and once it is observed.
      String id = spec.name() + "-" + ordinal + "-" + suffix();
      ids.add(id);
      String volumeNode = st.volumeNodes.get(ordinal);
      if (volumeNode != null && hasNodeLocalVolume(spec)) {
        bound.put(id, volumeNode);
      }
    }
    List<Placer.Outcome> outcomes;
    Set<String> present = new HashSet<>();
    o.observed.allContainers().forEach(c -> present.add(c.name()));
    st.awaitedVictims.retainAll(present);
    boolean waitingForVictims = !st.awaitedVictims.isEmpty();
    synchronized (o.placementLock) {
      if (!waitingForVictims) {
        st.nominated.clear(); // this pass places on the room it was holding
      }
      outcomes = o.placer.place(o.observed.nodeInfos(), o.existingReplicas(), spec, ids, bound);
      for (int i = 0; i < ordinals.size(); i++) {
        Placer.Outcome out = outcomes.get(i);
        if (out.nodeId().isPresent()) {
          int ordinal = ordinals.get(i);
          st.pendingCreates.put(new ServiceState.Slot(revision, ordinal),
              new Placer.Existing(ids.get(i), spec.name(), out.nodeId().get(), spec));
        }
      }
    }
    String unschedulable = null;
    for (int i = 0; i < ordinals.size(); i++) {
      Placer.Outcome out = outcomes.get(i);
      if (out.nodeId().isPresent()) {
        create(st, spec, ordinals.get(i), out.nodeId().get(), revision, ids.get(i));
      } else {
        if (unschedulable == null) {
          unschedulable = out.message();
        }
        if (waitingForVictims || out.victims().isEmpty() || out.victimsNode().isEmpty()) {
          continue; // preempted already: wait for the victims to go, rather than preempt more
        }
        st.nominated.put(ids.get(i), new Placer.Existing(ids.get(i), spec.name(), out.victimsNode().get(), spec));
        st.awaitedVictims.addAll(out.victims());
        preempt(spec, out.victims());
        break; // the next pass places again, on the room the victims leave
      }
    }
    if (!st.awaitedVictims.isEmpty()) {
      o.setCondition(st, "Schedulable", false, "Preempting", unschedulable == null ? "waiting for preempted replicas"
          : unschedulable + "; waiting for preempted replicas to go");
      return Duration.ofMillis(200);
    }
    if (unschedulable != null) {
      o.unschedulable.increment();
      if (o.setCondition(st, "Schedulable", false, "Unschedulable", unschedulable)) {
        o.event(OrchEvent.Type.WARNING, "Unschedulable", spec.name(), "", "", unschedulable);
      }
      return o.retryDelay(st.createFailures.incrementAndGet());
    }
    o.setCondition(st, "Schedulable", true, "Scheduled", "every replica has a node");
    return null;
  }

  private void create(ServiceState st, ServiceSpec spec, int ordinal, String nodeId, String revision, String name) {
    Map<String, String> labels = new LinkedHashMap<>(spec.labels());
    labels.put(OrchLabels.OWNER, o.ownerId);
    labels.put(OrchLabels.SERVICE, spec.name());
    labels.put(OrchLabels.REVISION, revision);
    labels.put(OrchLabels.ORDINAL, Integer.toString(ordinal));
    labels.put(OrchLabels.SPEC_HASH, Revisions.specHash(spec));
    ContainerCreateRequest request = new ContainerCreateRequest(name, nodeId, volumesFor(spec, ordinal), labels);
    if (hasNodeLocalVolume(spec)) {
      st.volumeNodes.put(ordinal, nodeId);
    }
    o.calls.call(nodeId, "create " + name, () -> o.runtime.create(request))
        .thenCompose(info -> {
          o.observed.put(info);
          o.event(OrchEvent.Type.NORMAL, "Created", spec.name(), name, nodeId, "replica " + ordinal + " created");
          return o.calls.call(nodeId, "start " + name, () -> o.runtime.start(info.id()))
              .thenApply(v -> info);
        })
        .whenComplete((info, error) -> {
          st.pendingCreates.remove(new ServiceState.Slot(revision, ordinal));
          if (error != null) {
            int failures = st.createFailures.incrementAndGet();
            o.event(OrchEvent.Type.WARNING, "CreateFailed", spec.name(), name, nodeId, Orchestrator.describe(error));
            o.queue.enqueueAfter(spec.name(), o.retryDelay(failures));
          } else {
            st.createFailures.set(0);
            o.observed.markStarted(spec.name(), info.id(), o.time.now());
            o.event(OrchEvent.Type.NORMAL, "Started", spec.name(), name, nodeId, "replica " + ordinal + " started");
            refreshAfterStart(spec.name(), info.id());
          }
        });
  }

  /** Learns where a started container's ports were published, then reconciles its service again. */
  private void refreshAfterStart(String service, String containerId) {
    o.runtime.inspect(containerId).whenComplete((info, error) -> {
      if (info != null) {
        o.observed.refresh(service, info);
      }
      o.queue.enqueue(service);
    });
  }

  /** Starts {@code c}; {@code restart} is its crash-loop memory when this restarts it after an exit. */
  private void start(ServiceState st, ContainerInfo c, RestartTracker restart) {
    st.starting.put(c.id(), Boolean.TRUE);
    String service = st.name;
    o.calls.call(c.nodeId(), "start " + c.name(), () -> o.runtime.start(c.id()))
        .whenComplete((v, error) -> {
          st.starting.remove(c.id());
          if (error != null) {
            if (restart != null) {
              restart.restartedFor = null; // not restarted after all: try again
            }
            o.event(OrchEvent.Type.WARNING, "StartFailed", service, c.name(), c.nodeId(), Orchestrator.describe(error));
            o.queue.enqueueAfter(service, o.retryDelay(1));
          } else {
            o.observed.markStarted(service, c.id(), o.time.now());
            if (restart != null) {
              o.event(OrchEvent.Type.NORMAL, "Restarted", service, c.name(), c.nodeId(), "restarted");
            }
            refreshAfterStart(service, c.id());
          }
        });
  }

  /** Stops and removes {@code c}; {@code reason} null means the caller already recorded an event. */
  private void delete(ServiceState st, ServiceSpec spec, ContainerInfo c, String reason, String message) {
    if (st.deleting.putIfAbsent(c.id(), o.time.now()) != null) {
      return;
    }
    if (reason != null && st.deleteReported.add(c.id())) {
      o.event(OrchEvent.Type.NORMAL, reason, st.name, c.name(), c.nodeId(), message);
    }
    boolean serving = c.state() == ContainerState.RUNNING && o.observed.isNodeReady(c.nodeId())
        && (o.isPublished(st.name, c.name()) || o.inFlight(c.name()) > 0);
    if (serving) {
      // Out of the endpoints first (this pass publishes without it), its requests finish, then it stops. (One
      // already out, such as blue/green's old set after promotion, may still have requests to finish.)
      st.draining.put(c.id(), new ServiceState.Draining(c, o.time.now().plus(o.drainTimeout)));
      return;
    }
    stopAndRemove(st, c);
  }

  /**
   * Stops the drained replicas whose in-flight requests are done (or whose drain timed out), once the
   * endpoints no longer list them; returns when to look again, or null.
   */
  private Duration finishDrains(ServiceState st) {
    Duration wake = null;
    Instant now = o.time.now();
    for (ServiceState.Draining d : st.draining.values()) {
      ContainerInfo c = d.container();
      boolean published = o.isPublished(st.name, c.name());
      long inFlight = o.inFlight(c.name());
      if (!published && (inFlight == 0 || !now.isBefore(d.until()))) {
        st.draining.remove(c.id());
        if (inFlight > 0) {
          o.event(OrchEvent.Type.WARNING, "DrainTimedOut", st.name, c.name(), c.nodeId(), inFlight
              + " requests still in flight after " + o.drainTimeout.toMillis() + "ms; stopping anyway");
        }
        stopAndRemove(st, c);
      } else {
        wake = min(wake, Duration.ofMillis(100));
      }
    }
    return wake;
  }

  private void stopAndRemove(ServiceState st, ContainerInfo c) {
    Duration grace = o.terminationGrace;
    o.calls.call(c.nodeId(), "stop " + c.name(), grace, () -> o.runtime.stop(c.id(), grace))
        .thenCompose(v -> o.calls.call(c.nodeId(), "remove " + c.name(), () -> o.runtime.remove(c.id())))
        .whenComplete((v, error) -> {
          if (error != null && !(Orchestrator.rootCause(error) instanceof dev.orch.api.runtime.NoSuchContainerException)) {
            st.deleting.remove(c.id());
            o.log.debug("{}: remove {} failed, will retry: {}", st.name, c.name(), Orchestrator.describe(error));
            o.queue.enqueueAfter(st.name, Duration.ofSeconds(5));
          } else {
            o.observed.remove(st.name, c.id());
            st.deleting.remove(c.id());
            st.restarts.remove(c.id());
            st.deleteReported.remove(c.id());
            o.event(OrchEvent.Type.NORMAL, "Removed", st.name, c.name(), c.nodeId(), "container removed");
            o.queue.enqueue(st.name);
          }
        });
  }

  /** Prefers a replica on a ready node, then a running one, then the desired revision, then the oldest. */
  private ContainerInfo best(List<ContainerInfo> cs, String revision) {
    Comparator<ContainerInfo> order = Comparator
        .comparing((ContainerInfo c) -> !o.observed.isNodeReady(c.nodeId()))
        .thenComparing(c -> c.state() != ContainerState.RUNNING)
        .thenComparing(c -> !revision.equals(c.labels().get(OrchLabels.REVISION)))
        .thenComparing(ContainerInfo::createdAt)
        .thenComparing(ContainerInfo::name);
    return cs.stream().min(order).orElseThrow();
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

  /** Whether {@code c} runs and passes its readiness probe (or has none). */
  private boolean isReady(ServiceSpec spec, ContainerInfo c) {
    return c.state() == ContainerState.RUNNING && o.observed.isNodeReady(c.nodeId())
        && o.probes.state(c.id()).map(dev.orch.core.probe.ProbeState::ready).orElse(!ReplicaProbes.hasProbes(spec));
  }

  /**
   * Whether {@code c} is available: ready, and for at least the rollout's {@code minReady} (as Kubernetes'
   * minReadySeconds), so that a replica that crashes soon after it starts never counts.
   */
  private boolean isAvailable(ServiceSpec spec, ContainerInfo c) {
    if (!isReady(spec, c)) {
      return false;
    }
    Duration minReady = spec.rollout() instanceof RolloutStrategy.RollingUpdate ru ? ru.minReady() : Duration.ZERO;
    if (minReady.isZero()) {
      return true;
    }
    Optional<Instant> since = o.probes.readySince(c.id()).or(c::startedAt);
    return since.isPresent() && !o.time.now().isBefore(since.get().plus(minReady));
  }

  private static boolean hasNodeLocalVolume(ServiceSpec spec) {
    return spec.container().volumeMounts().stream().anyMatch(VolumeMount::nodeLocal);
  }

  /** Each replica gets its own volumes: {@code <volume>-<ordinal>}. */
  private static dev.orch.api.spec.ContainerSpec volumesFor(ServiceSpec spec, int ordinal) {
    if (spec.container().volumeMounts().isEmpty()) {
      return spec.container();
    }
    List<VolumeMount> mounts = new ArrayList<>();
    for (VolumeMount m : spec.container().volumeMounts()) {
      mounts.add(new VolumeMount(spec.name() + "-" + m.volume() + "-" + ordinal, m.mountPath(), m.readOnly(),
          m.nodeLocal()));
    }
    var c = spec.container();
    return new dev.orch.api.spec.ContainerSpec(c.image(), c.command(), c.args(), c.env(), c.ports(), c.resources(),
        mounts);
  }

  private String suffix() {
    String alphabet = "bcdfghjklmnpqrstvwxz2456789";
    StringBuilder sb = new StringBuilder(5);
    synchronized (random) {
      for (int i = 0; i < 5; i++) {
        sb.append(alphabet.charAt(random.nextInt(alphabet.length())));
      }
    }
    return sb.toString();
  }

  private static Duration min(Duration a, Duration b) {
    if (a == null) {
      return b;
    }
    if (b == null) {
      return a;
    }
    return a.compareTo(b) <= 0 ? a : b;
  }
}
