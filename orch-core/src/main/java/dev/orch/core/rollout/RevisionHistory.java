package dev.orch.core.rollout;

import dev.orch.api.spec.ServiceSpec;
import dev.orch.core.Revision;
import dev.orch.core.util.Revisions;
import java.time.Instant;
import java.util.HashSet;
import java.util.LinkedList;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * The revisions of one service that Orch remembers, oldest first, and which of them were ever fully
 * available (the targets of a rollback). Thread-safe: {@code apply} writes from callers' threads, the
 * service's worker reads and marks.
 */
public final class RevisionHistory {
  /** Guarded by itself. */
  private final LinkedList<Revision> history = new LinkedList<>();
  /** The revisions that were ever fully available (guarded by {@link #history}). */
  private final Set<String> good = new HashSet<>();
  /** Changes so far (guarded by {@link #history}): whoever keeps a copy knows when to take another. */
  private long changes;

  /** Remembers {@code r} as the newest revision, keeping at most {@code limit}; re-applying the newest is a no-op. */
  public void remember(Revision r, int limit) {
    synchronized (history) {
      if (!history.isEmpty() && history.getLast().id().equals(r.id())) {
        return;
      }
      history.removeIf(h -> h.id().equals(r.id()));
      history.addLast(r);
      while (history.size() > limit) {
        history.removeFirst();
      }
      good.retainAll(history.stream().map(Revision::id).toList());
      changes++;
    }
  }

  /** A copy, to see what a change would make of it without making it here. */
  public RevisionHistory copy() {
    RevisionHistory c = new RevisionHistory();
    synchronized (history) {
      c.history.addAll(history);
      c.good.addAll(good);
      c.changes = changes;
    }
    return c;
  }

  /** Replaces what this history holds with {@code revisions} (oldest first) and the {@code good} among them. */
  public void restore(List<Revision> revisions, Set<String> good) {
    synchronized (history) {
      history.clear();
      history.addAll(revisions);
      this.good.clear();
      this.good.addAll(good);
      this.good.retainAll(revisions.stream().map(Revision::id).toList());
      changes++;
    }
  }

  /** The ids of the remembered revisions that were ever fully available, sorted. */
  public List<String> good() {
    synchronized (history) {
      return good.stream().sorted().toList();
    }
  }

  /** How many changes this history has had (a remember, a first mark, a restore). */
  public long changes() {
    synchronized (history) {
      return changes;
    }
  }

  /** The remembered revisions, oldest first. */
  public List<Revision> all() {
    synchronized (history) {
      return List.copyOf(history);
    }
  }

  /** The remembered revision {@code id}. */
  public Optional<Revision> find(String id) {
    synchronized (history) {
      return history.stream().filter(r -> r.id().equals(id)).findFirst();
    }
  }

  /** The newest remembered revision other than {@code current} that was ever fully available. */
  public Optional<Revision> lastGoodBefore(String current) {
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

  /** Records that every replica of {@code revision} was available once. */
  public void markGood(String revision) {
    synchronized (history) {
      if (history.stream().anyMatch(r -> r.id().equals(revision)) && good.add(revision)) {
        changes++;
      }
    }
  }

  /**
   * Revision {@code id} of {@code spec}'s service: the spec's own (as remembered, or made now), or a
   * remembered one.
   *
   * @throws IllegalStateException when it is neither
   */
  public Revision revisionOf(ServiceSpec spec, String id, Instant now) {
    if (id.equals(Revisions.revision(spec))) {
      return find(id).orElseGet(() -> Revision.of(id, spec, now));
    }
    return find(id).orElseThrow(() -> new IllegalStateException(spec.name() + ": revision " + id + " is not remembered"));
  }
}
