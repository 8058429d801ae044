package dev.orch.core.engine;

import dev.orch.api.spec.ServiceSpec;
import dev.orch.api.state.StateStoreException;
import dev.orch.core.OrchEvent;
import dev.orch.core.Revision;
import dev.orch.core.engine.journal.StateJournal;
import dev.orch.core.rollout.RevisionHistory;
import dev.orch.core.rollout.RolloutStateJson;
import dev.orch.core.util.Revisions;
import java.time.Instant;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;

/**
 * What the engine wants and remembers of each service, kept in the state store before the engine acts on it:
 * the desired specs, the services' records (their revision histories and rollouts among them), and the
 * journal that writes them. Changes to a spec or a deletion are ordered by one lock, under which each is
 * written to the store before it is made here; a write the store refuses changes nothing and is thrown.
 * Thread-safe.
 */
final class DesiredState {
  private final ConcurrentHashMap<String, ServiceSpec> desired = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<String, ServiceRecord> records = new ConcurrentHashMap<>();
  private final StateJournal journal;
  private final EngineEvents events;
  private final int historyLimit;
  /** Orders applies, deletions and forgetting (and their writes), so that the store never holds an older one. */
  private final Object lock = new Object();

  DesiredState(StateJournal journal, EngineEvents events, int historyLimit) {
    this.journal = journal;
    this.events = events;
    this.historyLimit = historyLimit;
  }

  /**
   * Keeps {@code spec} in the store, then makes it its service's desired state, remembering its revision as of
   * {@code now}; returns the spec it replaced, or null.
   *
   * @throws StateStoreException when the store cannot keep it; nothing changed
   * @throws dev.orch.api.spec.InvalidSpecException when it would change the applied service's stateful mode
   */
  @Nullable ServiceSpec apply(ServiceSpec spec, Instant now) {
    synchronized (lock) {
      ServiceSpec was = desired.get(spec.name());
      if (was != null) {
        requireSameMode(was, spec);
      }
      Revision revision = Revision.of(Revisions.revision(spec), spec, now);
      ServiceRecord known = records.get(spec.name());
      RevisionHistory next = known == null ? new RevisionHistory() : known.rollout.history().copy();
      next.remember(revision, historyLimit);
      journal.saveService("apply " + spec.name(), spec, false, next);
      ServiceSpec previous = desired.put(spec.name(), spec);
      ServiceRecord st = records.compute(spec.name(), (k, r) -> r == null ? new ServiceRecord(k) : revive(r));
      st.rollout.history().remember(revision, historyLimit);
      return previous;
    }
  }

  /**
   * {@link #apply}s {@code next} only while {@code current} is the desired spec (an automatic rollback must not
   * undo a spec applied meanwhile); returns whether it did.
   */
  boolean applyIfCurrent(ServiceSpec current, ServiceSpec next, Instant now) {
    synchronized (lock) {
      if (desired.get(current.name()) != current) {
        return false;
      }
      apply(next, now);
      return true;
    }
  }

  private static ServiceRecord revive(ServiceRecord r) {
    r.deleted = false;
    r.deletedSpec = null;
    return r;
  }

  /** What a {@link #delete} found. */
  enum Deletion {
    /** Nothing to delete. */
    NONE,
    /** An applied service, now being deleted. */
    APPLIED,
    /** Owned containers of a service that was not applied, now being removed. */
    ORPHANED
  }

  /**
   * Marks service {@code name} for deletion, keeping that in the store first (so that a restart finishes it);
   * {@code hasContainers} says whether owned containers of it are seen, for a service never applied.
   *
   * @throws StateStoreException when the store cannot keep it; nothing changed
   */
  Deletion delete(String name, boolean hasContainers) {
    synchronized (lock) {
      ServiceSpec spec = desired.get(name);
      if (spec == null && !hasContainers) {
        return Deletion.NONE;
      }
      ServiceRecord known = records.get(name);
      journal.saveDeletion("delete " + name, name, spec, known == null ? new RevisionHistory()
          : known.rollout.history()); // kept first, applied or not, so that a restart finishes it
      if (spec != null) {
        desired.remove(name);
      }
      ServiceRecord st = records.computeIfAbsent(name, ServiceRecord::new);
      st.deletedSpec = spec;
      st.deleted = true;
      return spec != null ? Deletion.APPLIED : Deletion.ORPHANED;
    }
  }

  /**
   * Forgets {@code st}, a deleted service whose replicas are all gone, in the store and here; returns false,
   * doing nothing, when the service was applied again meanwhile.
   *
   * @throws StateStoreException when the store fails: the record stays, for the next pass to try again
   */
  boolean forget(ServiceRecord st) {
    synchronized (lock) {
      if (records.get(st.name) != st || desired.containsKey(st.name)) {
        return false;
      }
      st.rollout.whileOpsHeld(() -> journal.forget(st.name)); // no rollout operation is kept meanwhile
      records.remove(st.name);
      return true;
    }
  }

  /**
   * Takes back what the store holds: specs (each checked by {@code requireRunnable}; one refused is reported
   * and left out), revision histories, rollout positions and operations, and deletions in flight.
   */
  void restore(List<StateJournal.Stored> stored, Consumer<ServiceSpec> requireRunnable) {
    int resumed = 0;
    for (StateJournal.Stored s : stored) {
      ServiceRecord st = new ServiceRecord(s.name());
      st.rollout.history().restore(s.revisions(), Set.copyOf(s.good()));
      if (s.deleted()) {
        st.deletedSpec = s.spec();
        st.deleted = true;
      } else {
        try {
          requireRunnable.accept(s.spec());
        } catch (IllegalArgumentException e) {
          warn("RestoreRefused", s.name(), "the stored spec is not run here: " + e.getMessage()
              + "; apply it again to replace it");
          continue;
        }
        desired.put(s.name(), s.spec());
        try {
          st.rollout.restoreOps(s.ops());
          if (s.rollout() != null) {
            RolloutStateJson.restore(st.rollout, s.rollout());
          }
        } catch (RuntimeException e) {
          warn("RolloutNotRestored", s.name(), e.getMessage() + "; the rollout starts from what runs");
        }
      }
      records.put(s.name(), st);
      journal.noteRestored(s.name(), st.rollout.history(), st.rollout);
      resumed++;
    }
    if (resumed > 0) {
      events.emit(OrchEvent.Type.NORMAL, "Restored", "", "", "", "resumed " + resumed + " services from the state "
          + "store " + journal.storeName());
    }
  }

  /** Whether the last pass of service {@code name} decided what the store could not keep. */
  boolean unkept(String name) {
    ServiceRecord st = records.get(name);
    return st != null && st.unkept;
  }

  /**
   * Writes what changed of service {@code name} since it was last kept: its revision history (a revision
   * became good), its rollout's position and its pending rollout operations. A failure is reported in the
   * condition {@code StateStored} and an event, and thrown, so that the pass acts on nothing it could not keep.
   */
  void keep(String name, Instant now) {
    ServiceRecord st = records.get(name);
    if (st == null || st.deleted) {
      return;
    }
    try {
      if (journal.historyChanged(name, st.rollout.history())) {
        synchronized (lock) { // with the spec applied now, never an older one
          ServiceSpec spec = desired.get(name);
          if (spec != null && records.get(name) == st) {
            journal.saveService("keep the revisions of " + name, spec, false, st.rollout.history());
          }
        }
      }
      journal.saveRollout(name, st.rollout);
      st.rollout.keepOps(ops -> journal.saveOps(name, ops));
      st.unkept = false;
      st.clearCondition("StateStored");
    } catch (StateStoreException e) {
      storeFailed(name, e, now);
      throw e;
    }
  }

  /**
   * Says that what service {@code name}'s pass decided could not be kept: the condition {@code StateStored}
   * turns false and, when it was not already, an event says why; its next pass keeps before it acts.
   */
  void storeFailed(String name, StateStoreException e, Instant now) {
    ServiceRecord st = records.get(name);
    if (st == null) {
      return;
    }
    st.unkept = true;
    if (st.setCondition("StateStored", false, "StoreWriteFailed", e.getMessage(), now)) {
      warn("StoreWriteFailed", name, e.getMessage() + "; not acting until it is kept");
    }
  }

  /** Keeps the operations asked of service {@code service}'s rollout (see {@code RolloutEffects}). */
  void keepOperations(String service, List<String> ops) {
    journal.saveOps(service, ops);
  }

  private void warn(String reason, String service, String message) {
    events.emit(OrchEvent.Type.WARNING, reason, service, "", "", message);
  }

  // ------------------------------------------------------------------------------------------ reading

  Optional<ServiceSpec> desired(String service) {
    return Optional.ofNullable(desired.get(service));
  }

  boolean isApplied(String service) {
    return desired.containsKey(service);
  }

  Optional<ServiceRecord> record(String service) {
    return Optional.ofNullable(records.get(service));
  }

  ServiceRecord recordFor(String service) {
    return records.computeIfAbsent(service, ServiceRecord::new);
  }

  /** The names of every applied service, sorted. */
  List<String> services() {
    return desired.keySet().stream().sorted().toList();
  }

  /** Every service applied or remembered. */
  Set<String> known() {
    Set<String> out = new HashSet<>(desired.keySet());
    out.addAll(records.keySet());
    return out;
  }

  Collection<ServiceRecord> records() {
    return records.values();
  }

  /** Whether service {@code name} is neither applied nor remembered. */
  boolean isForgotten(String name) {
    return !desired.containsKey(name) && !records.containsKey(name);
  }

  /** Whether no service is remembered. */
  boolean isEmpty() {
    return records.isEmpty();
  }

  /**
   * Refuses turning an applied service stateful or not, or changing its pod management: its replicas' names,
   * volumes and order would change under them (as Kubernetes refuses such a StatefulSet update).
   */
  private static void requireSameMode(ServiceSpec was, ServiceSpec spec) {
    String before = was.stateful().map(m -> m.podManagement().toString()).orElse("none");
    String after = spec.stateful().map(m -> m.podManagement().toString()).orElse("none");
    if (!before.equals(after)) {
      String path = was.stateful().isPresent() && spec.stateful().isPresent() ? ".stateful.podManagement"
          : ".stateful";
      throw new dev.orch.api.spec.InvalidSpecException(List.of(new dev.orch.api.spec.Violation(
          spec.name() + path, after, "must stay " + before + " while the service is applied "
          + "(delete it, then apply it again)")));
    }
  }
}
