package dev.orch.inmemory;

import dev.orch.api.runtime.Subscription;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;

/**
 * The name resolvers registered with a runtime: a call to a name no container has goes to one of the
 * containers the first resolver that knows the name gives, in turn (round robin per name, as a DNS server
 * rotates its answers). Thread-safe.
 */
final class Names {
  private final List<NameResolver> resolvers = new CopyOnWriteArrayList<>();
  private final ConcurrentHashMap<String, AtomicInteger> turns = new ConcurrentHashMap<>();

  Subscription add(NameResolver resolver) {
    resolvers.add(resolver);
    return () -> resolvers.remove(resolver);
  }

  /**
   * {@code address} itself when {@code isContainer} says a container answers to it, or when no resolver
   * knows it; else one of the containers a resolver names for it.
   */
  String resolve(String address, Predicate<String> isContainer) {
    if (resolvers.isEmpty() || isContainer.test(address)) {
      return address;
    }
    for (NameResolver r : resolvers) {
      List<String> behind = r.resolve(address);
      if (!behind.isEmpty()) {
        int turn = turns.computeIfAbsent(address, k -> new AtomicInteger()).getAndIncrement();
        return behind.get(Math.floorMod(turn, behind.size()));
      }
    }
    return address;
  }
}
