package dev.orch.core.state;

import dev.orch.api.state.LeaderElection;
import dev.orch.api.state.NotLeaderException;
import dev.orch.api.state.StateRecord;
import dev.orch.api.state.StateStore;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * A view of a store of this package whose writes succeed only while a {@link LocalLeaderElection} term holds,
 * as its arena judges it when the write is made, with no other term beginning before the write is done; reads and
 * watches are the store's. Closing it closes nothing. Thread-safe.
 */
final class FencedStateStore extends StateStoreView {
  private final LocalLeaderElection.LocalTerm term;

  FencedStateStore(StateStore store, LeaderElection.Term term) {
    super(store);
    this.term = local(term, store);
  }

  private static LocalLeaderElection.LocalTerm local(LeaderElection.Term term, StateStore store) {
    if (!(term instanceof LocalLeaderElection.LocalTerm t)) {
      throw new IllegalArgumentException("term: " + term + ": not of a LocalLeaderElection, so " + store.name()
          + " cannot judge it");
    }
    return t;
  }

  @Override
  public String name() {
    return store.name() + " (fenced by " + term + ")";
  }

  @Override
  public CompletionStage<StateRecord> put(String key, String value, long expectedVersion) {
    StateStore.requireValidKey(key);
    return term.whileHolding(() -> store.put(key, value, expectedVersion), () -> refused("put " + key));
  }

  @Override
  public CompletionStage<Boolean> delete(String key, long expectedVersion) {
    StateStore.requireValidKey(key);
    return term.whileHolding(() -> store.delete(key, expectedVersion), () -> refused("delete " + key));
  }

  private <T> CompletionStage<T> refused(String what) {
    return CompletableFuture.failedFuture(new NotLeaderException(name() + ": " + what + " refused: the leadership"
        + " of " + term + " is gone (its lease ended): nothing was written"));
  }
}
