package dev.orch.core.lb;

/**
 * A call a user makes to one picked endpoint, for {@link BalancedExecutor}.
 *
 * @param <T> the call's result
 */
@FunctionalInterface
public interface EndpointCall<T> {
  /** Calls {@code endpoint}; a thrown exception is a failed call. */
  T call(Endpoint endpoint) throws Exception;
}
