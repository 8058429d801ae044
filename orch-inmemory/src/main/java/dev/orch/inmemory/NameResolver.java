package dev.orch.inmemory;

import java.util.List;

/**
 * Says which containers a name stands for, so that a caller of {@link InMemoryRuntime#call} can name a
 * service instead of a container (as a container on Docker calls {@code http://inventory:8080/} and the
 * engine's DNS answers). Orch's discovery registers one that answers with a service's ready replicas; a test
 * can register its own. Register one with {@link InMemoryRuntime#resolveNames}. Called outside the runtime's
 * lock, on the caller's thread; must be fast and thread-safe.
 */
@FunctionalInterface
public interface NameResolver {
  /**
   * The containers (names or ids) that {@code name} stands for now; empty when this resolver does not know the
   * name (the next one is asked) or knows it with nothing behind it.
   */
  List<String> resolve(String name);
}
