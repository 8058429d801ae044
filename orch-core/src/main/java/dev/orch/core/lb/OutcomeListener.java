package dev.orch.core.lb;

/**
 * Hears the outcome of every request reported to a {@link LoadBalancer}, e.g. to count the success rate
 * and latency of each revision for a canary analysis. Set it with
 * {@link LoadBalancer.Builder#outcomeListener(OutcomeListener)}.
 *
 * <p>The balancer calls it on the thread that calls {@link LoadBalancer#report(Endpoint, boolean, long)},
 * after the report took effect, once per report of an endpoint the balancer knows; never for
 * {@link LoadBalancer#release(Endpoint)}. It must therefore be thread-safe, fast (it sits on the request
 * path) and must not throw: if it throws anyway, the balancer logs the exception at debug level and
 * carries on, and the report itself is not affected.
 */
@FunctionalInterface
public interface OutcomeListener {
  /**
   * Called once for each reported request.
   *
   * @param endpoint     the endpoint the request went to
   * @param success      whether the request succeeded
   * @param latencyNanos the request's latency in nanoseconds; negative if unknown
   */
  void onOutcome(Endpoint endpoint, boolean success, long latencyNanos);
}
