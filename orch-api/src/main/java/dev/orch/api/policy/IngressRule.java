package dev.orch.api.policy;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * An ingress allow rule: a service the policy selects may accept connections from any of
 * {@code from} (none listed: any service) on any of {@code ports} (none listed: every port and protocol), for example
 * {@code IngressRule.from(PeerSelector.services("orders")).on(PolicyPort.tcp("http"))}. Immutable and thread-safe.
 *
 * @param from  the allowed sources; empty for any service
 * @param ports the allowed ports of the destination; empty for every port
 */
public record IngressRule(List<PeerSelector> from, List<PolicyPort> ports) implements PolicyRule {

  /** Creates a rule, copying the lists. */
  public IngressRule {
    from = PolicyViolations.copyOf(from, "from");
    ports = PolicyViolations.copyOf(ports, "ports");
  }

  /** Allows sources that {@code first} or any of {@code more} select, on every port; narrow with {@link #on}. */
  public static IngressRule from(PeerSelector first, PeerSelector... more) {
    Objects.requireNonNull(first, "first");
    Objects.requireNonNull(more, "more");
    List<PeerSelector> peers = new ArrayList<>(1 + more.length);
    peers.add(first);
    peers.addAll(List.of(more));
    return new IngressRule(peers, List.of());
  }

  /** Allows any service as a source, on every port (narrow with {@link #on}). */
  public static IngressRule fromAny() {
    return new IngressRule(List.of(), List.of());
  }

  /** This rule, allowing only {@code ports} (added to the ports it already lists). */
  public IngressRule on(PolicyPort... ports) {
    Objects.requireNonNull(ports, "ports");
    List<PolicyPort> more = new ArrayList<>(this.ports);
    more.addAll(List.of(ports));
    return new IngressRule(from, more);
  }

  @Override
  public Direction direction() {
    return Direction.INGRESS;
  }

  @Override
  public List<PeerSelector> peers() {
    return from;
  }
}
