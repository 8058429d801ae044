package dev.orch.core.state;

import dev.orch.api.runtime.Subscription;
import dev.orch.api.state.LeaderElection;
import dev.orch.api.state.NotLeaderException;
import dev.orch.api.state.StateEvent;
import dev.orch.api.state.StateRecord;
import dev.orch.api.state.StateStore;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Consumer;

/**
 * A view of a store of this package whose writes succeed only while a {@link LocalLeaderElection} term holds,
 * as its arena judges it when the write is made; reads and watches are the store's. Closing it closes nothing.
 * Thread-safe.
 */
final class FencedStateStore implements StateStore {
  private final StateStore store;
  private final LocalLeaderElection.LocalTerm term;

  FencedStateStore(StateStore store, LeaderElection.Term term) {
    if (!(term instanceof LocalLeaderElection.LocalTerm t)) {
      throw new IllegalArgumentException("term: " + term + ": not of a LocalLeaderElection, so " + store.name()
          + " cannot judge it");
    }
    this.store = store;
    this.term = t;
  }

  @Override
  public String name() {
    return store.name() + " (fenced by " + term + ")";
  }

  @Override
  public CompletionStage<Optional<StateRecord>> get(String key) {
    return store.get(key);
  }

  @Override
  public CompletionStage<List<StateRecord>> list(String prefix) {
    return store.list(prefix);
  }

  @Override
  public CompletionStage<StateRecord> put(String key, String value, long expectedVersion) {
    StateStore.requireValidKey(key);
    if (!term.holds()) {
      return refused("put " + key);
    }
    return store.put(key, value, expectedVersion);
  }

  @Override
  public CompletionStage<Boolean> delete(String key, long expectedVersion) {
    StateStore.requireValidKey(key);
    if (!term.holds()) {
      return refused("delete " + key);
    }
    return store.delete(key, expectedVersion);
  }

  private <T> CompletionStage<T> refused(String what) {
    return CompletableFuture.failedFuture(new NotLeaderException(name() + ": " + what + " refused: the leadership"
        + " of " + term + " is gone (its lease ended): nothing was written"));
  }

  @Override
  public Subscription watch(String prefix, Consumer<StateEvent> listener) {
    return store.watch(prefix, listener);
  }

  @Override
  public StateStore fencedBy(LeaderElection.Term other) {
    return store.fencedBy(other);
  }

  @Override
  public void close() {
    // a view: the store stays open
  }
}
