package dev.orch.core.state;

import dev.orch.api.runtime.Subscription;
import dev.orch.api.state.LeaderElection;
import dev.orch.api.state.StateEvent;
import dev.orch.api.state.StateRecord;
import dev.orch.api.state.StateStore;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import java.util.function.Consumer;

/**
 * A view of another store that changes what writes do: reads, watches and {@link #fencedBy} go to the store
 * underneath; a subclass decides {@link #put} and {@link #delete} (a fence, a refusal). Closing a view closes
 * nothing: the store underneath belongs to whoever opened it. Thread-safe as the store underneath is.
 */
public abstract class StateStoreView implements StateStore {
  /** The store underneath. */
  protected final StateStore store;

  /** A view of {@code store}. */
  protected StateStoreView(StateStore store) {
    this.store = Objects.requireNonNull(store, "store");
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
  public Subscription watch(String prefix, Consumer<StateEvent> listener) {
    return store.watch(prefix, listener);
  }

  @Override
  public StateStore fencedBy(LeaderElection.Term term) {
    return store.fencedBy(term);
  }

  /** Does nothing: the store underneath stays open. */
  @Override
  public void close() {
    // a view
  }
}
