package dev.orch.inmemory;

import dev.orch.api.runtime.ContainerInfo;
import java.util.Optional;

/**
 * Sees every request {@link InMemoryRuntime#call} delivers, before the container does, and may refuse it as
 * a network would (a network policy, a partition between two services). Register one with
 * {@link InMemoryRuntime#interceptRequests}. Called under the runtime's lock: fast, and must not block.
 */
@FunctionalInterface
public interface RequestInterceptor {
  /** Why {@code request} to {@code target} is refused, or empty to let it through. */
  Optional<String> refuse(SimRequest request, ContainerInfo target);
}
