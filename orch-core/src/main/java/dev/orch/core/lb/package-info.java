/**
 * Service discovery and client-side load balancing: per-service endpoint snapshots
 * ({@link dev.orch.core.lb.EndpointRegistry}, {@link dev.orch.core.lb.Endpoints}) and a
 * {@link dev.orch.core.lb.LoadBalancer} that picks a healthy endpoint without allocating.
 *
 * <p>Health awareness follows Envoy: passive outlier ejection, a panic threshold and slow start. The
 * pickers are round robin, smooth weighted round robin, random, least request and peak-EWMA with two
 * random choices, ring hash and Maglev. {@link dev.orch.core.lb.BalancedExecutor} runs a call through a
 * pick with a budgeted retry, a timeout and a circuit breaker per endpoint (Failsafe).
 */
@NullMarked
package dev.orch.core.lb;

import org.jspecify.annotations.NullMarked;
