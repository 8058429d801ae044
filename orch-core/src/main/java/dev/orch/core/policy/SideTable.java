package dev.orch.core.policy;

import dev.orch.api.policy.Direction;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * The policies that isolate one service in one direction, enforced and audited apart, each in name order (the
 * order in which a verdict looks for the rule that allows). Immutable; {@link #with} and {@link #without} return
 * new tables.
 */
final class SideTable {
  private static final SideTable NO_INGRESS =
      new SideTable(Direction.INGRESS, new CompiledPolicy[0], new CompiledPolicy[0]);
  private static final SideTable NO_EGRESS =
      new SideTable(Direction.EGRESS, new CompiledPolicy[0], new CompiledPolicy[0]);

  private final Direction direction;
  private final CompiledPolicy[] enforced;
  private final CompiledPolicy[] audited;
  final List<String> enforcedNames;
  final List<String> auditedNames;

  private SideTable(Direction direction, CompiledPolicy[] enforced, CompiledPolicy[] audited) {
    this.direction = direction;
    this.enforced = enforced;
    this.audited = audited;
    // List.of, not Stream.toList: a verdict's List.copyOf returns these as they are instead of copying them.
    this.enforcedNames = List.of(Arrays.stream(enforced).map(CompiledPolicy::name).toArray(String[]::new));
    this.auditedNames = List.of(Arrays.stream(audited).map(CompiledPolicy::name).toArray(String[]::new));
  }

  /** The table of a side no policy isolates. */
  static SideTable empty(Direction direction) {
    return direction == Direction.INGRESS ? NO_INGRESS : NO_EGRESS;
  }

  /** The table of {@code policies} (in name order, each isolating {@code direction}). */
  static SideTable of(Direction direction, List<CompiledPolicy> policies) {
    if (policies.isEmpty()) {
      return empty(direction);
    }
    List<CompiledPolicy> enforced = new ArrayList<>();
    List<CompiledPolicy> audited = new ArrayList<>();
    for (CompiledPolicy p : policies) {
      (p.audit ? audited : enforced).add(p);
    }
    return new SideTable(direction, enforced.toArray(new CompiledPolicy[0]), audited.toArray(new CompiledPolicy[0]));
  }

  /** This table with {@code policy} in place of any policy of its name. */
  SideTable with(CompiledPolicy policy) {
    List<CompiledPolicy> all = all();
    all.removeIf(p -> p.name().equals(policy.name()));
    int at = 0;
    while (at < all.size() && all.get(at).name().compareTo(policy.name()) < 0) {
      at++;
    }
    all.add(at, policy);
    return of(direction, all);
  }

  /** This table without the policy {@code name}. */
  SideTable without(String name) {
    List<CompiledPolicy> all = all();
    return all.removeIf(p -> p.name().equals(name)) ? of(direction, all) : this;
  }

  private List<CompiledPolicy> all() {
    List<CompiledPolicy> all = new ArrayList<>(enforced.length + audited.length);
    all.addAll(Arrays.asList(enforced));
    all.addAll(Arrays.asList(audited));
    all.sort((a, b) -> a.name().compareTo(b.name()));
    return all;
  }

  /** The first enforced rule that allows the connection, or empty. */
  Optional<Verdict.Rule> firstEnforced(int peerId, String peer, ServiceIndex.Ports destination, int port,
                                       int protocol) {
    return first(enforced, peerId, peer, destination, port, protocol);
  }

  /** The first audited rule that allows the connection, or empty. */
  Optional<Verdict.Rule> firstAudited(int peerId, String peer, ServiceIndex.Ports destination, int port,
                                      int protocol) {
    return first(audited, peerId, peer, destination, port, protocol);
  }

  /** Whether the enforced policies leave this side open to the connection. */
  boolean allows(int peerId, String peer, ServiceIndex.Ports destination, int port, int protocol) {
    return enforced.length == 0 || first(enforced, peerId, peer, destination, port, protocol).isPresent();
  }

  private Optional<Verdict.Rule> first(CompiledPolicy[] policies, int peerId, String peer,
                                       ServiceIndex.Ports destination, int port, int protocol) {
    for (CompiledPolicy p : policies) {
      for (CompiledRule r : p.rules(direction)) {
        if (r.matches(peerId, peer, destination, port, protocol)) {
          return r.ref;
        }
      }
    }
    return Optional.empty();
  }
}
