/**
 * Network policy: which services may talk to which, as immutable, validated values modelled on Kubernetes'
 * NetworkPolicy.
 *
 * <p>A {@link dev.orch.api.policy.NetworkPolicy} selects services ({@link dev.orch.api.policy.PeerSelector}) and
 * isolates them for {@link dev.orch.api.policy.Direction#INGRESS ingress}, {@link dev.orch.api.policy.Direction#EGRESS
 * egress} or both; its {@link dev.orch.api.policy.IngressRule}s and {@link dev.orch.api.policy.EgressRule}s list
 * the peers and {@link dev.orch.api.policy.PolicyPort}s it allows. A service no policy selects for a direction is
 * not isolated in that direction; policies are additive. A policy in {@link dev.orch.api.policy.PolicyMode#AUDIT}
 * mode denies nothing and reports what it would deny.
 *
 * <p>Every type here is immutable and thread-safe. The builder checks a policy whole and reports every violation at
 * once in an {@link dev.orch.api.spec.InvalidSpecException}, with paths rooted at {@code policy[<name>]}.
 * Evaluation (the verdict for a connection, and why) lives in orch-core's {@code dev.orch.core.policy}.
 */
@NullMarked
package dev.orch.api.policy;

import org.jspecify.annotations.NullMarked;
