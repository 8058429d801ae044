package dev.orch.core.engine;

import dev.orch.api.runtime.ContainerInfo;
import dev.orch.api.runtime.OrchLabels;
import dev.orch.core.Condition;
import dev.orch.core.rollout.RolloutState;
import java.time.Instant;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;

/**
 * The engine's memory of one service: what is in flight for it (creates, starts, drains, removals,
 * preemptions), its crash-loop memory, its conditions and its rollout. Fields that completions write are
 * concurrent; the others belong to the service's worker.
 */
final class ServiceRecord {
  /** A replica slot: an ordinal of a revision (two revisions share ordinals during blue/green and canary). */
  record Slot(String revision, int ordinal) {
  }

  /**
   * A replica's failed creates (or starts) in a row: the next try waits until {@code notBefore}.
   *
   * @param failures how many in a row
   * @param notBefore when the next try may go
   * @param what     the last failure, as the condition and status show it ({@code create web-0-x: ...})
   * @param reason   its kind, the condition's reason: {@code FailedCreate}, {@code FailedStart} or
   *                 {@code ImagePullFailed}
   */
  record Retry(int failures, Instant notBefore, String what, String reason) {
  }

  /** A replica out of the endpoints, waiting for its in-flight requests before it is stopped. */
  record Draining(ContainerInfo container, Instant until) {
  }

  final String name;
  /** Expectations: slot to the create (and start) in flight for it. Change through {@link #expect}/{@link #fulfil}. */
  private final ConcurrentHashMap<Slot, SchedulerPlacement.Existing> pendingCreates = new ConcurrentHashMap<>();
  /** How many creates are in flight per ordinal (of any revision), so a pass asks in O(1). */
  private final ConcurrentHashMap<Integer, Integer> pendingPerOrdinal = new ConcurrentHashMap<>();
  /** The rollout's memory: history, position and progress. */
  final RolloutState rollout = new RolloutState();
  /** Replicas being drained, by container id; a subset of {@link #deleting}. */
  final ConcurrentHashMap<String, Draining> draining = new ConcurrentHashMap<>();
  /** Containers being stopped and removed. */
  final ConcurrentHashMap<String, Instant> deleting = new ConcurrentHashMap<>();
  /**
   * Room this service preempted others for, held until it places there (as Kubernetes' nominated node),
   * so that the victims' own services cannot take it back first.
   */
  final ConcurrentHashMap<String, SchedulerPlacement.Existing> nominated = new ConcurrentHashMap<>();
  /** The replicas preempted for this service and not yet gone. */
  final Set<String> awaitedVictims = ConcurrentHashMap.newKeySet();
  /** Containers being stopped because they failed a startup or liveness probe. */
  final ConcurrentHashMap<String, Boolean> killing = new ConcurrentHashMap<>();
  /** Containers stopped for a failed probe: their next exit counts as a failure, whatever its code. */
  final Set<String> probeKilled = ConcurrentHashMap.newKeySet();
  /** Containers whose start is in flight. */
  final ConcurrentHashMap<String, Boolean> starting = new ConcurrentHashMap<>();
  /** Crash-loop memory per container (worker only). */
  final Map<String, RestartTracker> restarts = new ConcurrentHashMap<>();
  /** Node holding each ordinal's node-local volumes (the worker, and the completion of a volume listing). */
  final Map<Integer, String> volumeNodes = new ConcurrentHashMap<>();
  /** Stateful: whether {@link #volumeNodes} was learnt from the runtime's volumes since this record was made. */
  volatile boolean volumesLearnt;
  /** Stateful: a listing of the runtime's volumes in flight. */
  volatile boolean volumesListing;
  /**
   * Stateful: containers given up for their ordinal (forced, or recreated empty after a node loss), which no
   * longer hold it though their stop is unconfirmed; removed once they are seen again.
   */
  final Set<String> abandoned = ConcurrentHashMap.newKeySet();
  /** Stateful: by ordinal, the id of the container given up last, which its successor's label names. */
  final Map<Integer, String> supersedes = new ConcurrentHashMap<>();
  /** Stateful: ordinals whose volumes are being removed (retention DELETE). */
  final Set<Integer> volumeRemovals = ConcurrentHashMap.newKeySet();
  /** Stateful: ordinals whose volumes are being copied off a draining node, to the node each goes to. */
  final Map<Integer, String> volumeMoves = new ConcurrentHashMap<>();
  /** Stateful: ordinals whose volumes were copied, to the node of the originals, removed once it is ready. */
  final Map<Integer, String> movedFrom = new ConcurrentHashMap<>();
  /** Stateful: ordinals whose move was cut short, to the node whose copies of their volumes are to go first. */
  final Map<Integer, String> discards = new ConcurrentHashMap<>();
  /** Stateful: by ordinal, the nodes a move must not go to (they hold volumes of it already). */
  final Map<Integer, Set<String>> moveAvoid = new ConcurrentHashMap<>();
  /** Sizes of the volumes last listed or copied, by volume name (what the status shows). */
  final Map<String, Long> volumeSizes = new ConcurrentHashMap<>();
  /** When {@link #volumeSizes} were last listed. */
  volatile @Nullable Instant sizesListedAt;
  /** An automatic rollback the state store could not keep: from {@code failed} to {@code target}. */
  record OwedRollback(dev.orch.api.spec.ServiceSpec failed, dev.orch.core.Revision target) {
  }

  /** An automatic rollback the store refused, tried again before each pass acts (see ControlPlane). */
  volatile OwedRollback owedRollback;
  /**
   * Stateful: the ordinals this orchestrator has seen a container of, or created, since it started. One it
   * has not may run on a node that does not answer: it is not created while any node does not.
   */
  final Set<Integer> seenOrdinals = ConcurrentHashMap.newKeySet();
  /** Stateful: ordinals a person asked to replace though their replica's stop is unconfirmed. */
  final Set<Integer> forced = ConcurrentHashMap.newKeySet();
  /** Stateful: why each ordinal waits, as status shows it; set by the worker each pass. */
  final ConcurrentHashMap<Integer, String> waiting = new ConcurrentHashMap<>();
  /** Stateful: the revision each ordinal last ran, for one below the update's partition made again. */
  final ConcurrentHashMap<Integer, String> ordinalRevisions = new ConcurrentHashMap<>();
  /** The spec of a service being deleted, for what becomes of its volumes. */
  volatile dev.orch.api.spec.ServiceSpec deletedSpec;
  /** Guarded by itself. */
  private final Map<String, Condition> conditions = new LinkedHashMap<>();
  /** Containers a delete was already reported for, so a retried delete is not reported again. */
  final Set<String> deleteReported = ConcurrentHashMap.newKeySet();
  /** Unschedulable passes in a row (they back off together: the cluster, not a replica, lacks room). */
  final AtomicInteger createFailures = new AtomicInteger();
  /** Failed creates in a row, by slot: each slot backs off on its own. */
  final ConcurrentHashMap<Slot, Retry> createRetries = new ConcurrentHashMap<>();
  /** Why each slot the scheduler could not place was not placed (the scheduler's words); cleared on placing. */
  final ConcurrentHashMap<Slot, String> unplaced = new ConcurrentHashMap<>();
  /** Failed starts in a row, by container id. */
  final ConcurrentHashMap<String, Retry> startRetries = new ConcurrentHashMap<>();
  volatile boolean deleted;
  /** The last pass decided what the state store could not keep: the next keeps it before it acts (worker only). */
  boolean unkept;

  ServiceRecord(String name) {
    this.name = name;
  }

  /** Records that a create (and start) for {@code slot} is in flight, as {@code replica}. */
  void expect(Slot slot, SchedulerPlacement.Existing replica) {
    // The count goes up first and down last, so that a pass never sees an ordinal free while its create runs.
    pendingPerOrdinal.merge(slot.ordinal(), 1, Integer::sum);
    if (pendingCreates.put(slot, replica) != null) {
      decrement(slot.ordinal());
    }
  }

  /** Records that the create for {@code slot} completed (or failed). */
  void fulfil(Slot slot) {
    if (pendingCreates.remove(slot) != null) {
      decrement(slot.ordinal());
    }
  }

  private void decrement(int ordinal) {
    pendingPerOrdinal.computeIfPresent(ordinal, (k, n) -> n <= 1 ? null : n - 1);
  }

  /** Whether a create is in flight for {@code slot}. */
  boolean pending(Slot slot) {
    return pendingCreates.containsKey(slot);
  }

  /** Whether a create is in flight for {@code ordinal}, of any revision. */
  boolean pendingFor(int ordinal) {
    return pendingPerOrdinal.containsKey(ordinal);
  }

  /** Whether any create is in flight. */
  boolean anyPending() {
    return !pendingCreates.isEmpty();
  }

  /** How many creates are in flight. */
  int pendingCount() {
    return pendingCreates.size();
  }

  /** The replicas whose creates are in flight (they hold room on their nodes). */
  java.util.Collection<SchedulerPlacement.Existing> pendingReplicas() {
    return pendingCreates.values();
  }

  /**
   * Whether the create (and first start) of {@code c} may be in flight: one is for its slot (its revision
   * and ordinal, as its labels say: an event can make a container known before its create returns, under
   * its id for a name) or for its name.
   */
  boolean creating(ContainerInfo c) {
    if (pendingCreates.containsKey(new Slot(c.labels().getOrDefault(OrchLabels.REVISION, ""), ordinal(c)))) {
      return true;
    }
    for (SchedulerPlacement.Existing p : pendingCreates.values()) {
      if (p.replicaId().equals(c.name())) {
        return true;
      }
    }
    return false;
  }

  /** Sets condition {@code type}; returns whether it changed ({@code since} moves only when the status does). */
  boolean setCondition(String type, boolean status, String reason, String message, Instant now) {
    synchronized (conditions) {
      Condition old = conditions.get(type);
      if (old == null || old.status() != status || !old.reason().equals(reason) || !old.message().equals(message)) {
        Instant since = old != null && old.status() == status ? old.since() : now;
        conditions.put(type, new Condition(type, status, reason, message, since));
        return true;
      }
      return false;
    }
  }

  /** Removes condition {@code type}; returns whether it was set. */
  boolean clearCondition(String type) {
    synchronized (conditions) {
      return conditions.remove(type) != null;
    }
  }

  /**
   * Records a failed try, backing off by {@code delayOf(failures in a row)}; returns the retry.
   */
  static <K> Retry failed(ConcurrentHashMap<K, Retry> retries, K key, String what, String reason, Instant now,
                          java.util.function.IntFunction<java.time.Duration> delayOf) {
    return retries.compute(key, (k, r) -> {
      int n = r == null ? 1 : r.failures() + 1;
      return new Retry(n, now.plus(delayOf.apply(n)), what, reason);
    });
  }

  /**
   * Sets or clears the {@code ReplicaFailure} condition from the failures in a row that remain: true with
   * the latest failure while any slot or container keeps failing, gone once none does.
   */
  void updateReplicaFailure(Instant now) {
    synchronized (conditions) { // completions and the worker both update it: one at a time, each from the maps
      updateReplicaFailureLocked(now);
    }
  }

  private void updateReplicaFailureLocked(Instant now) {
    Retry latest = null;
    for (Retry r : createRetries.values()) {
      latest = latest == null || r.notBefore().isAfter(latest.notBefore()) ? r : latest;
    }
    for (Retry r : startRetries.values()) {
      latest = latest == null || r.notBefore().isAfter(latest.notBefore()) ? r : latest;
    }
    if (latest == null) {
      clearCondition("ReplicaFailure");
    } else {
      setCondition("ReplicaFailure", true, latest.reason(),
          latest.what() + " (" + latest.failures() + " in a row)", now);
    }
  }

  /** The conditions, in the order they were first set. */
  List<Condition> conditions() {
    synchronized (conditions) {
      return List.copyOf(conditions.values());
    }
  }

  /** The replica ordinal a container's labels give it; -1 when it has none. */
  static int ordinal(ContainerInfo c) {
    try {
      return Integer.parseInt(c.labels().getOrDefault(OrchLabels.ORDINAL, "-1"));
    } catch (NumberFormatException e) {
      return -1;
    }
  }

  /** Crash-loop memory of one container (worker only, but total is read by status). */
  static final class RestartTracker {
    int inARow;
    volatile int total;
    Instant exitSeen;
    Instant restartAt;
    /** The exit a restart was already issued for: one start per exit, whatever the events' timing. */
    Instant restartedFor;
    /** The container's last log lines at its last exit (kept until the next one), oldest first. */
    volatile List<String> lastWords = List.of();
  }
}
