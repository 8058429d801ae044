package dev.orch.core.engine;

import dev.orch.api.runtime.Subscription;
import dev.orch.api.state.StateEvent;
import dev.orch.api.state.StateRecord;
import dev.orch.api.state.StateStore;
import dev.orch.api.state.StateStoreException;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * The store as a standby sees it: reads and watches go through, every write is refused and changes nothing, naming
 * who leads (a standby's engine keeps nothing; the leader's does). Closing it closes nothing. Thread-safe.
 */
final class ReadOnlyStore implements StateStore {
  private final StateStore store;
  private final Supplier<String> leader;

  ReadOnlyStore(StateStore store, Supplier<String> leader) {
    this.store = store;
    this.leader = leader;
  }

  @Override
  public String name() {
    return store.name();
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
    return refused("put " + key);
  }

  @Override
  public CompletionStage<Boolean> delete(String key, long expectedVersion) {
    return refused("delete " + key);
  }

  private <T> CompletionStage<T> refused(String what) {
    return CompletableFuture.failedFuture(new StateStoreException(store.name() + ": " + what + ": refused: this"
        + " orchestrator is a standby and writes nothing; " + leader.get()));
  }

  @Override
  public Subscription watch(String prefix, Consumer<StateEvent> listener) {
    return store.watch(prefix, listener);
  }

  @Override
  public void close() {
    // a view: the store stays open
  }
}
