package dev.orch.core.lb;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * An immutable snapshot of a service's members: every replica that may receive traffic, each with its
 * readiness. Thread-safe.
 *
 * <p>{@link #ready()} is the set Kubernetes would publish as the service's endpoints; the others are
 * kept so that a load balancer can tell how healthy the service is (its panic threshold) and so that
 * a replica that turns ready is recognised as the same endpoint. Each new snapshot of a service has a
 * higher {@link #version()}.
 */
public final class Endpoints {
  private final String service;
  private final long version;
  private final List<Endpoint> all;
  private final List<Endpoint> ready;

  private Endpoints(String service, long version, List<Endpoint> all) {
    this.service = service;
    this.version = version;
    this.all = all;
    List<Endpoint> r = new ArrayList<>(all.size());
    for (Endpoint e : all) {
      if (e.ready()) {
        r.add(e);
      }
    }
    this.ready = List.copyOf(r);
  }

  /**
   * A snapshot of {@code service} at {@code version} holding {@code endpoints} in their given order.
   *
   * @throws IllegalArgumentException if two endpoints share an id, or the version is negative
   */
  public static Endpoints of(String service, long version, Collection<Endpoint> endpoints) {
    Objects.requireNonNull(service, "service");
    Objects.requireNonNull(endpoints, "endpoints");
    if (version < 0) {
      throw new IllegalArgumentException("endpoints " + service + ": version: " + version + ": must be >= 0");
    }
    List<Endpoint> copy = List.copyOf(endpoints);
    Set<String> ids = new HashSet<>();
    for (Endpoint e : copy) {
      if (!ids.add(e.id())) {
        throw new IllegalArgumentException(
            "endpoints " + service + ": id: " + e.id() + ": must be unique within the service");
      }
    }
    return new Endpoints(service, version, copy);
  }

  /** An empty snapshot of {@code service} at version 0. */
  public static Endpoints empty(String service) {
    return of(service, 0, List.of());
  }

  /** The service these endpoints belong to. */
  public String service() {
    return service;
  }

  /** The snapshot's version; a later snapshot of the same service has a higher one. */
  public long version() {
    return version;
  }

  /** Every member, ready or not, in a stable order. */
  public List<Endpoint> all() {
    return all;
  }

  /** The ready members only. */
  public List<Endpoint> ready() {
    return ready;
  }

  /** The member with id {@code id}, if any. */
  public Optional<Endpoint> get(String id) {
    Objects.requireNonNull(id, "id");
    for (Endpoint e : all) {
      if (e.id().equals(id)) {
        return Optional.of(e);
      }
    }
    return Optional.empty();
  }

  /** The number of members, ready or not. */
  public int size() {
    return all.size();
  }

  @Override
  public boolean equals(@Nullable Object o) {
    return o instanceof Endpoints other && other.service.equals(service) && other.version == version
        && other.all.equals(all);
  }

  @Override
  public int hashCode() {
    return Objects.hash(service, version, all);
  }

  @Override
  public String toString() {
    return "Endpoints[" + service + " v" + version + ": " + ready.size() + "/" + all.size() + " ready]";
  }
}
