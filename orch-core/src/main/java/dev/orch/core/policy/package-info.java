/**
 * The network policy evaluator: one place that decides, for a connection from one service to another on a port,
 * whether the {@link dev.orch.api.policy.NetworkPolicy policies} allow it, and says why.
 *
 * <p>{@link dev.orch.core.policy.PolicyEvaluator} is compiled from the policies and the services
 * ({@link dev.orch.core.policy.PolicySubject}: name, labels, named ports) and answers
 * {@link dev.orch.core.policy.PolicyEvaluator#check} with a {@link dev.orch.core.policy.Verdict}, the data and the
 * words of the decision. It is immutable; a change of policies or services returns a new evaluator. A primitive:
 * it depends on orch-api alone, and every enforcement point (the Docker wiring, the in-memory network, the load
 * balancer's caller) asks it rather than evaluating anything itself.
 */
@NullMarked
package dev.orch.core.policy;

import org.jspecify.annotations.NullMarked;
