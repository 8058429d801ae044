package dev.orch.core.lb;

import dev.orch.api.runtime.Subscription;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.UnaryOperator;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The endpoints of every service: the orchestrator (or a user) feeds it members and their readiness,
 * and it publishes an immutable {@link Endpoints} snapshot per service whenever they change.
 * Thread-safe.
 *
 * <p>Changes to one service are applied one at a time; each publishes a new snapshot with a higher
 * version through a volatile reference, then calls that service's subscribers in order, on the
 * changing thread, so a subscriber sees every change exactly once. A change that changes nothing
 * publishes nothing. A subscriber that throws is logged and does not stop the others.
 */
public final class EndpointRegistry {
  private static final Logger LOG = LoggerFactory.getLogger(EndpointRegistry.class);

  private final ConcurrentHashMap<String, ServiceEndpoints> services = new ConcurrentHashMap<>();

  /** An empty registry. */
  public EndpointRegistry() {
  }

  /** The current snapshot of {@code service}; an empty one at version 0 if it has none. */
  public Endpoints endpoints(String service) {
    ServiceEndpoints s = services.get(Objects.requireNonNull(service, "service"));
    return s == null ? Endpoints.empty(service) : s.current();
  }

  /** The services that have ever had endpoints here. */
  public Set<String> services() {
    return Set.copyOf(services.keySet());
  }

  /** A live view of {@code service}'s endpoints, for a {@link LoadBalancer}; the service may be empty. */
  public EndpointSource source(String service) {
    return holder(service);
  }

  /** Subscribes to {@code service}'s snapshots; see {@link EndpointSource#subscribe(Consumer)}. */
  public Subscription subscribe(String service, Consumer<Endpoints> listener) {
    return holder(service).subscribe(listener);
  }

  /**
   * Replaces every member of {@code service} with {@code endpoints}.
   *
   * @throws IllegalArgumentException if two endpoints share an id
   */
  public void update(String service, Collection<Endpoint> endpoints) {
    Objects.requireNonNull(endpoints, "endpoints");
    List<Endpoint> copy = List.copyOf(endpoints);
    holder(service).apply(old -> copy);
  }

  /** Adds {@code endpoint} to {@code service}, or replaces the member with its id in place. */
  public void upsert(String service, Endpoint endpoint) {
    Objects.requireNonNull(endpoint, "endpoint");
    holder(service).apply(old -> {
      List<Endpoint> next = new ArrayList<>(old.size() + 1);
      boolean replaced = false;
      for (Endpoint e : old) {
        if (e.id().equals(endpoint.id())) {
          next.add(endpoint);
          replaced = true;
        } else {
          next.add(e);
        }
      }
      if (!replaced) {
        next.add(endpoint);
      }
      return next;
    });
  }

  /** Removes the member {@code endpointId} from {@code service}; returns whether it was a member. */
  public boolean remove(String service, String endpointId) {
    return changeMember(service, endpointId, e -> null);
  }

  /**
   * Sets the readiness of member {@code endpointId} of {@code service}; returns whether it is a
   * member. Setting the readiness it already has publishes nothing.
   */
  public boolean setReady(String service, String endpointId, boolean ready) {
    return changeMember(service, endpointId, e -> e.withReady(ready));
  }

  /**
   * Replaces member {@code endpointId} of {@code service} by what {@code change} makes of it (null removes
   * it), in one snapshot; returns whether it was a member. An unchanged list publishes nothing.
   */
  private boolean changeMember(String service, String endpointId,
      Function<Endpoint, @Nullable Endpoint> change) {
    Objects.requireNonNull(endpointId, "endpointId");
    boolean[] found = {false};
    holder(service).apply(old -> {
      List<Endpoint> next = new ArrayList<>(old.size());
      for (Endpoint e : old) {
        if (!e.id().equals(endpointId)) {
          next.add(e);
          continue;
        }
        found[0] = true;
        Endpoint changed = change.apply(e);
        if (changed != null) {
          next.add(changed);
        }
      }
      return next;
    });
    return found[0];
  }

  /** Removes every member of {@code service}; subscribers see an empty snapshot. */
  public void clear(String service) {
    update(service, List.of());
  }

  private ServiceEndpoints holder(String service) {
    Objects.requireNonNull(service, "service");
    return services.computeIfAbsent(service, ServiceEndpoints::new);
  }

  /** One service's snapshots and subscribers. */
  private static final class ServiceEndpoints implements EndpointSource {
    private final String service;
    private final CopyOnWriteArrayList<Consumer<Endpoints>> listeners = new CopyOnWriteArrayList<>();
    private volatile Endpoints current;

    ServiceEndpoints(String service) {
      this.service = service;
      this.current = Endpoints.empty(service);
    }

    @Override
    public Endpoints current() {
      return current;
    }

    @Override
    public Subscription subscribe(Consumer<Endpoints> listener) {
      Objects.requireNonNull(listener, "listener");
      // Under the change lock, so that no snapshot is missed or seen twice between the two steps.
      synchronized (this) {
        listeners.add(listener);
        deliver(listener, current);
      }
      return () -> listeners.remove(listener);
    }

    synchronized void apply(UnaryOperator<List<Endpoint>> change) {
      Endpoints old = current;
      List<Endpoint> next = change.apply(old.all());
      if (next.equals(old.all())) {
        return;
      }
      Endpoints snapshot = Endpoints.of(service, old.version() + 1, next);
      current = snapshot;
      for (Consumer<Endpoints> l : listeners) {
        deliver(l, snapshot);
      }
    }

    private void deliver(Consumer<Endpoints> listener, Endpoints snapshot) {
      try {
        listener.accept(snapshot);
      } catch (RuntimeException e) {
        LOG.warn("endpoints {}: subscriber failed on version {}", service, snapshot.version(), e);
      }
    }
  }
}
