package dev.orch.core.lb;

import dev.orch.api.runtime.Subscription;
import java.util.Collection;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * Where a load balancer reads a service's endpoints: the current snapshot and every later one.
 * Implementations are thread-safe.
 *
 * <p>{@link EndpointRegistry#source(String)} gives one that the orchestrator keeps up to date;
 * {@link #of(String, Collection)} wraps a user's own fixed list.
 */
public interface EndpointSource {

  /** The current snapshot; never null. */
  Endpoints current();

  /**
   * Calls {@code listener} with the current snapshot at once, then with every later snapshot, in
   * order, each exactly once, until the subscription is closed. Listeners run on the thread that
   * changed the endpoints and should return quickly.
   */
  Subscription subscribe(Consumer<Endpoints> listener);

  /** A source that always holds {@code endpoints} of {@code service} and never changes. */
  static EndpointSource of(String service, Collection<Endpoint> endpoints) {
    Endpoints snapshot = Endpoints.of(service, 1, endpoints);
    return new EndpointSource() {
      @Override
      public Endpoints current() {
        return snapshot;
      }

      @Override
      public Subscription subscribe(Consumer<Endpoints> listener) {
        Objects.requireNonNull(listener, "listener");
        listener.accept(snapshot);
        return () -> { };
      }
    };
  }
}
