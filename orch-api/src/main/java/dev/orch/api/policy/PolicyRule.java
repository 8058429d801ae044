package dev.orch.api.policy;

import java.util.List;

/**
 * One allow rule of a {@link NetworkPolicy}: it allows a connection when the peer matches one of {@link #peers()}
 * (none listed: any service) and the port matches one of {@link #ports()} (none listed: every port and protocol).
 * Implementations are immutable and thread-safe.
 */
public sealed interface PolicyRule permits IngressRule, EgressRule {

  /** The direction this rule allows. */
  Direction direction();

  /** The peers allowed: sources for an ingress rule, destinations for an egress rule; empty for any service. */
  List<PeerSelector> peers();

  /** The ports allowed on the destination; empty for every port. */
  List<PolicyPort> ports();
}
