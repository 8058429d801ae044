package dev.orch.core;

import dev.orch.api.runtime.ContainerInfo;
import dev.orch.core.internal.Placer;
import java.time.Instant;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/** Per-service memory of what is in flight; fields written by completions are concurrent maps. */
final class ServiceState {
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

  /**
   * Whether the create (and first start) of {@code c} may be in flight: one is for its slot (its revision
   * and ordinal, as its labels say: an event can make a container known before its create returns, under
   * its id for a name) or for its name.
   */
  boolean creating(ContainerInfo c) {
    Slot slot = new Slot(c.labels().getOrDefault(dev.orch.api.runtime.OrchLabels.REVISION, ""),
        ServiceController.ordinal(c));
    if (pendingCreates.containsKey(slot)) {
      return true;
    }
    for (Placer.Existing p : pendingCreates.values()) {
      if (p.replicaId().equals(c.name())) {
        return true;
      }
    }
    return false;
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

  /** Crash-loop memory of one container (worker only, but total is read by status). */
  static final class RestartTracker {
    int inARow;
    volatile int total;
    Instant exitSeen;
    Instant restartAt;
    /** The exit a restart was already issued for: one start per exit, whatever the events' timing. */
    Instant restartedFor;
  }
}
