package dev.orch.core.engine;

import dev.orch.api.state.StateRecord;
import dev.orch.api.state.StateStore;
import dev.orch.api.state.StateStoreException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;

/**
 * The store as a standby sees it: reads and watches go through, every write is refused and changes nothing, naming
 * who leads (a standby's engine keeps nothing; the leader's does). Closing it closes nothing. Thread-safe.
 */
final class ReadOnlyStore extends dev.orch.core.state.StateStoreView {
  private final Supplier<String> leader;

  ReadOnlyStore(StateStore store, Supplier<String> leader) {
    super(store);
    this.leader = leader;
  }

  @Override
  public CompletionStage<StateRecord> put(String key, String value, long expectedVersion) {
    return refused("put " + key);
  }

  @Override
  public CompletionStage<Boolean> delete(String key, long expectedVersion) {
    return refused("delete " + key);
  }

  /** Refused: a standby's view writes nothing, fenced or not. */
  @Override
  public StateStore fencedBy(dev.orch.api.state.LeaderElection.Term term) {
    throw new UnsupportedOperationException(store.name() + ": a standby's read-only view cannot be fenced by " + term
        + "; fence the store itself");
  }

  private <T> CompletionStage<T> refused(String what) {
    return CompletableFuture.failedFuture(new StateStoreException(store.name() + ": " + what + ": refused: this"
        + " orchestrator is a standby and writes nothing; " + leader.get()));
  }
}
