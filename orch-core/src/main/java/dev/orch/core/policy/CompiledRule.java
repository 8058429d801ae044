package dev.orch.core.policy;

import dev.orch.api.policy.PeerSelector;
import dev.orch.api.policy.PolicyPort;
import dev.orch.api.policy.PolicyRule;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * One rule compiled against the known services: its peers as a bit set over service numbers (plus, for services
 * the evaluator does not know, the names its selectors list and whether one selects every service), and its ports
 * as (number, protocol) keys and (name, protocol) pairs resolved on each destination at check time. Immutable.
 */
final class CompiledRule {
  /** The rule, wrapped once so that a verdict naming it allocates nothing for it. */
  final Optional<Verdict.Rule> ref;
  private final boolean anyPeer;
  private final BitSet peers;
  private final Set<String> peerNames;
  private final boolean peersUnlabelled;
  private final boolean anyPort;
  private final int[] numbered;
  private final String[] named;
  private final int[] namedProtocol;

  private CompiledRule(Verdict.Rule ref, boolean anyPeer, BitSet peers, Set<String> peerNames,
                       boolean peersUnlabelled, List<PolicyPort> ports) {
    this.ref = Optional.of(ref);
    this.anyPeer = anyPeer;
    this.peers = peers;
    this.peerNames = peerNames;
    this.peersUnlabelled = peersUnlabelled;
    this.anyPort = ports.isEmpty();
    List<Integer> numbers = new ArrayList<>();
    List<PolicyPort> names = new ArrayList<>();
    for (PolicyPort p : ports) {
      if (p.isNamed()) {
        names.add(p);
      } else {
        numbers.add(ServiceIndex.Ports.key(p.port().number(), p.protocol().ordinal()));
      }
    }
    this.numbered = numbers.stream().mapToInt(Integer::intValue).toArray();
    this.named = names.stream().map(p -> p.port().name()).toArray(String[]::new);
    this.namedProtocol = names.stream().mapToInt(p -> p.protocol().ordinal()).toArray();
  }

  static CompiledRule compile(String policy, PolicyRule rule, int index, ServiceIndex services) {
    BitSet peers = new BitSet(services.size());
    Set<String> names = new HashSet<>();
    boolean unlabelled = false;
    for (PeerSelector s : rule.peers()) {
      peers.or(services.select(s));
      names.addAll(s.services());
      unlabelled |= ServiceIndex.selectsUnlabelled(s);
    }
    return new CompiledRule(new Verdict.Rule(policy, rule.direction(), index), rule.peers().isEmpty(), peers,
        Set.copyOf(names), unlabelled, rule.ports());
  }

  /**
   * Whether this rule allows the connection with {@code peer} (number {@code peerId}, -1 if unknown) on
   * {@code port}/{@code protocol} of the destination whose ports are {@code destination}.
   */
  boolean matches(int peerId, String peer, ServiceIndex.Ports destination, int port, int protocol) {
    if (!anyPeer) {
      boolean peerMatches = peerId >= 0 ? peers.get(peerId) : peersUnlabelled || peerNames.contains(peer);
      if (!peerMatches) {
        return false;
      }
    }
    if (anyPort) {
      return true;
    }
    int key = ServiceIndex.Ports.key(port, protocol);
    for (int k : numbered) {
      if (k == key) {
        return true;
      }
    }
    for (int i = 0; i < named.length; i++) {
      if (namedProtocol[i] == protocol && destination.resolves(named[i], port, protocol)) {
        return true;
      }
    }
    return false;
  }
}
