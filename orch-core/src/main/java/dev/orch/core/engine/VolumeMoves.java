package dev.orch.core.engine;

import dev.orch.api.runtime.VolumeInfo;
import dev.orch.api.spec.ServiceSpec;
import dev.orch.core.OrchEvent;
import dev.orch.core.engine.journal.StateJournal;
import dev.orch.core.util.Failures;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.jspecify.annotations.Nullable;

/**
 * A stateful replica's volumes moving off a draining node. A move is kept in the state store before its first
 * copy, and again once every copy is verified, so that an orchestrator that restarts mid-move knows which
 * volumes hold the data: before, the originals (the copies, perhaps partial, are removed, then the move starts
 * again); after, the copies (the originals are removed once the replica runs ready on them). A move goes only to
 * a node that holds no volume of the ordinal, so it never overwrites data. Calls are asynchronous; their
 * completions queue the service again. Thread-safe.
 */
final class VolumeMoves {
  /** How long one volume's copy may take (it moves the volume's data between nodes). */
  private static final Duration COPY_LIMIT = Duration.ofMinutes(90);
  private static final Duration RETRY = Duration.ofSeconds(5);

  private final EngineSettings settings;
  private final EngineEvents events;
  private final KeyQueue keys;
  private final RuntimeCalls calls;
  private final StateJournal journal;
  private final StatefulVolumes volumes;

  VolumeMoves(EngineSettings settings, EngineEvents events, KeyQueue keys, RuntimeCalls calls, StateJournal journal,
              StatefulVolumes volumes) {
    this.settings = settings;
    this.events = events;
    this.keys = keys;
    this.calls = calls;
    this.journal = journal;
    this.volumes = volumes;
  }

  /** Takes up the moves the store kept for service {@code st} (at start, before any pass). */
  static void restore(ServiceRecord st, Map<Integer, StateJournal.Move> moves) {
    moves.forEach((k, m) -> {
      if (m.copied()) {
        st.volumeNodes.put(k, m.to());
        st.movedFrom.put(k, m.from());
      } else {
        st.volumeNodes.put(k, m.from());
        st.discards.put(k, m.to());
      }
    });
  }

  /**
   * Whether ordinal {@code k}'s volumes are where the record says, with no cut-short copy left to remove; if
   * not, removes it (once at a time) and returns false: its completion queues the service again.
   */
  boolean settled(ServiceRecord st, ServiceSpec spec, int k) {
    String to = st.discards.get(k);
    if (to == null) {
      return true;
    }
    if (st.volumeRemovals.add(k)) {
      volumes.removeAll(spec, k, to).whenComplete((v, error) -> {
        try {
          if (error == null) {
            journal.saveMove(st.name, k, null);
            st.discards.remove(k, to);
          }
        } catch (RuntimeException e) {
          error = e;
        } finally {
          st.volumeRemovals.remove(k);
        }
        retryOrQueue(st, error, "removing a cut-short copy of replica " + k + "'s volumes from " + to);
      });
    }
    return false;
  }

  /**
   * Moves ordinal {@code k}'s volumes from {@code from} to {@code to} (once at a time): checks that {@code to}
   * holds none of them (else it is avoided from then on), keeps the move, copies each (the runtime verifies
   * each copy), keeps the move copied; then the ordinal's volumes are on {@code to}. A failure leaves the
   * originals as they were and the copies to remove ({@link #settled}).
   */
  void move(ServiceRecord st, ServiceSpec spec, int k, String from, String to) {
    if (st.volumeMoves.putIfAbsent(k, to) != null) {
      return;
    }
    List<String> names = StatefulVolumes.names(spec, k);
    boolean[] kept = new boolean[1]; // whether the move was kept: only then may a copy of it be on `to`
    volumes.list(st.name).thenCompose(listed -> {
      for (VolumeInfo v : listed) {
        if (v.nodeId().equals(to) && StatefulVolumes.ordinal(v) == k) {
          st.moveAvoid.computeIfAbsent(k, x -> java.util.concurrent.ConcurrentHashMap.newKeySet()).add(to);
          throw new IllegalStateException(to + " holds " + v.name() + " already (data of an earlier replica "
              + k + "?): it is left as it is, and the move goes elsewhere");
        }
      }
      journal.saveMove(st.name, k, new StateJournal.Move(from, to, false)); // before anything is copied
      kept[0] = true;
      CompletableFuture<Long> bytes = CompletableFuture.completedFuture(0L);
      for (String name : names) {
        bytes = bytes.thenCompose(sum -> calls.callOnce(to, "copy volume " + name + " from " + from, COPY_LIMIT,
            () -> settings.runtime().copyVolume(from, name, to)).thenApply(copy -> {
              StatefulVolumes.noteSize(st, copy);
              return sum + Math.max(0, copy.sizeBytes());
            }));
      }
      return bytes.thenApply(total -> {
        journal.saveMove(st.name, k, new StateJournal.Move(from, to, true));
        return total;
      });
    }).whenComplete((total, error) -> {
      if (error == null) {
        st.volumeNodes.put(k, to); // before the move ends: a pass that sees it ended sees where the volumes are
        st.movedFrom.put(k, from);
        events.emit(OrchEvent.Type.NORMAL, "VolumesMoved", st.name, "", to, "replica " + k + " leaves draining "
            + "node " + from + ": " + String.join(", ", names) + " copied to " + to + " (" + total + " bytes) and "
            + "verified; the originals on " + from + " are removed once replica " + k + " is ready on " + to);
      } else {
        if (kept[0]) {
          st.discards.put(k, to); // what this move copied there goes before anything else
        }
        events.emit(OrchEvent.Type.WARNING, "VolumeMoveFailed", st.name, "", from, "replica " + k + ": moving "
            + String.join(", ", names) + " from " + from + " to " + to + " failed, will retry; the originals stay: "
            + Failures.describe(error));
      }
      st.volumeMoves.remove(k);
      if (error == null) {
        keys.enqueue(st.name);
      } else {
        keys.enqueueAfter(st.name, RETRY);
      }
    });
  }

  /** Removes the originals of ordinal {@code k}'s moved volumes, once its replica runs ready on the copies. */
  void removeMoved(ServiceRecord st, ServiceSpec spec, int k) {
    String from = st.movedFrom.get(k);
    if (from != null && !from.equals(st.volumeNodes.get(k))) {
      volumes.remove(st, spec, k, from, "moved to " + st.volumeNodes.get(k), () -> journal.saveMove(st.name, k, null));
    }
  }

  /** Whether a move of ordinal {@code k} may go to {@code node}: it holds none of its volumes. */
  static boolean mayGoTo(ServiceRecord st, int k, String node) {
    return !st.moveAvoid.getOrDefault(k, java.util.Set.of()).contains(node);
  }

  private void retryOrQueue(ServiceRecord st, @Nullable Throwable error, String what) {
    if (error == null) {
      keys.enqueue(st.name);
    } else {
      events.emit(OrchEvent.Type.WARNING, "VolumeMoveFailed", st.name, "", "", what + " failed, will retry: "
          + Failures.describe(error));
      keys.enqueueAfter(st.name, RETRY);
    }
  }
}
