package dev.orch.api.policy;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * An egress allow rule: a service the policy selects may open connections to any of
 * {@code to} (none listed: any service) on any of {@code ports} (none listed: every port and protocol), for example
 * {@code EgressRule.to(PeerSelector.labels("tier", "db")).on(PolicyPort.tcp(5432))}. Immutable and thread-safe.
 *
 * @param to    the allowed destinations; empty for any service
 * @param ports the allowed ports of the destination; empty for every port
 */
public record EgressRule(List<PeerSelector> to, List<PolicyPort> ports) implements PolicyRule {

  /** Creates a rule, copying the lists. */
  public EgressRule {
    to = PolicyViolations.copyOf(to, "to");
    ports = PolicyViolations.copyOf(ports, "ports");
  }

  /** Allows destinations that {@code first} or any of {@code more} select, on every port; narrow with {@link #on}. */
  public static EgressRule to(PeerSelector first, PeerSelector... more) {
    Objects.requireNonNull(first, "first");
    Objects.requireNonNull(more, "more");
    List<PeerSelector> peers = new ArrayList<>(1 + more.length);
    peers.add(first);
    peers.addAll(List.of(more));
    return new EgressRule(peers, List.of());
  }

  /** Allows any service as a destination, on every port (narrow with {@link #on}). */
  public static EgressRule toAny() {
    return new EgressRule(List.of(), List.of());
  }

  /** This rule, allowing only {@code ports} (added to the ports it already lists). */
  public EgressRule on(PolicyPort... ports) {
    Objects.requireNonNull(ports, "ports");
    List<PolicyPort> more = new ArrayList<>(this.ports);
    more.addAll(List.of(ports));
    return new EgressRule(to, more);
  }

  @Override
  public Direction direction() {
    return Direction.EGRESS;
  }

  @Override
  public List<PeerSelector> peers() {
    return to;
  }
}
