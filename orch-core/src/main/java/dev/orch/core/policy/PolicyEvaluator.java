package dev.orch.core.policy;

import dev.orch.api.policy.Direction;
import dev.orch.api.policy.NetworkPolicy;
import dev.orch.api.spec.InvalidSpecException;
import dev.orch.api.spec.Protocol;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.Collection;
import java.util.Collections;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;
import org.jspecify.annotations.Nullable;

/**
 * Decides, for a connection {@code from -> to:port/protocol}, whether the network policies allow it, with Kubernetes
 * NetworkPolicy's semantics, and explains the decision ({@link #check}).
 *
 * <p>The rules: a service that some enforced policy selects and isolates for ingress accepts a connection only if
 * an ingress rule of such a policy allows the source and the port; a service isolated for egress opens one only
 * if an egress rule of such a policy allows the destination and the port; a connection is allowed when both
 * sides allow it, and a side no policy isolates allows everything. Policies are additive. Named ports resolve on
 * the destination. A service calling itself (one replica another) is checked like any other pair. {@link dev.orch.api.policy.PolicyMode#AUDIT Audit} policies are evaluated apart: they never
 * change {@link Verdict#allowed()}, and {@link Verdict#auditWouldDeny()} says whether they would. A service the
 * evaluator does not know is taken as one of that name without labels or ports (policies naming it, or selecting
 * all services, still apply) and the verdict says it was unknown; nothing here throws for an unknown name.
 *
 * <p>Compiled, not cached: building resolves every selector to the set of services it selects (a bit set per
 * policy and per rule, through a label index) and lists, per service and direction, the policies isolating it in
 * name order, so a check looks at only the rules of the policies selecting its two ends and allocates nothing but
 * its verdict ({@link #allows} allocates nothing). {@link #withPolicy} and {@link #withoutPolicy} recompile only
 * the changed policy and the lists of the services it selects (or selected); {@link #withServices} recompiles
 * everything. Immutable and thread-safe: share one through a volatile reference and replace it on change.
 */
public final class PolicyEvaluator {
  private static final PolicyEvaluator EMPTY = compile(List.of(), new ServiceIndex(List.of()));

  private final ServiceIndex services;
  /** By name; never modified once built (a change copies it). */
  private final TreeMap<String, CompiledPolicy> policies;
  private final SideTable[] ingress;
  private final SideTable[] egress;
  private final UnknownSides unknown;

  private PolicyEvaluator(ServiceIndex services, TreeMap<String, CompiledPolicy> policies, SideTable[] ingress,
                          SideTable[] egress, UnknownSides unknown) {
    this.services = services;
    this.policies = policies;
    this.ingress = ingress;
    this.egress = egress;
    this.unknown = unknown;
  }

  /** An evaluator with no policies and no services: it allows everything. */
  public static PolicyEvaluator empty() {
    return EMPTY;
  }

  /**
   * Compiles {@code policies} against {@code services}.
   *
   * @throws InvalidSpecException     if a policy is invalid (listing its violations)
   * @throws IllegalArgumentException if two policies or two services share a name
   */
  public static PolicyEvaluator of(Collection<NetworkPolicy> policies, Collection<PolicySubject> services) {
    Objects.requireNonNull(policies, "policies");
    Objects.requireNonNull(services, "services");
    return compile(policies, new ServiceIndex(copy(services)));
  }

  private static List<PolicySubject> copy(Collection<PolicySubject> services) {
    List<PolicySubject> list = new ArrayList<>(services.size());
    for (PolicySubject s : services) {
      list.add(Objects.requireNonNull(s, "services element"));
    }
    return list;
  }

  private static PolicyEvaluator compile(Collection<NetworkPolicy> given, ServiceIndex services) {
    TreeMap<String, CompiledPolicy> byName = new TreeMap<>();
    for (NetworkPolicy p : given) {
      Objects.requireNonNull(p, "policies element").requireValid();
      if (byName.put(p.name(), CompiledPolicy.compile(p, services)) != null) {
        throw new IllegalArgumentException("policy " + p.name() + " is given twice");
      }
    }
    return new PolicyEvaluator(services, byName, tables(Direction.INGRESS, byName, services),
        tables(Direction.EGRESS, byName, services), UnknownSides.of(byName.values(), services));
  }

  private static SideTable[] tables(Direction direction, SortedMap<String, CompiledPolicy> byName,
                                    ServiceIndex services) {
    List<List<CompiledPolicy>> selecting = new ArrayList<>(Collections.nCopies(services.size(), null));
    for (CompiledPolicy p : byName.values()) {
      if (!p.isolates(direction)) {
        continue;
      }
      for (int id = p.selected.nextSetBit(0); id >= 0; id = p.selected.nextSetBit(id + 1)) {
        if (selecting.get(id) == null) {
          selecting.set(id, new ArrayList<>());
        }
        selecting.get(id).add(p);
      }
    }
    SideTable[] tables = new SideTable[services.size()];
    for (int id = 0; id < tables.length; id++) {
      List<CompiledPolicy> list = selecting.get(id);
      tables[id] = list == null ? SideTable.empty(direction) : SideTable.of(direction, list);
    }
    return tables;
  }

  /** The verdict on a TCP connection {@code from -> to:port}; see {@link #check(String, String, int, Protocol)}. */
  public Verdict check(String from, String to, int port) {
    return check(from, to, port, Protocol.TCP);
  }

  /**
   * The verdict on the connection {@code from -> to:port/protocol}, with the policies on each side, the rule that
   * allowed each side or the fact that none did, what audit policies would do, and the words for it all.
   *
   * @throws IllegalArgumentException if {@code port} is not between 1 and 65535
   */
  public Verdict check(String from, String to, int port, Protocol protocol) {
    Objects.requireNonNull(from, "from");
    Objects.requireNonNull(to, "to");
    Objects.requireNonNull(protocol, "protocol");
    requirePort(port);
    int f = services.id(from);
    int t = services.id(to);
    int proto = protocol.ordinal();
    ServiceIndex.Ports destination = services.ports(t);
    SideTable out = f >= 0 ? egress[f] : unknown.egress(from);
    SideTable in = t >= 0 ? ingress[t] : unknown.ingress(to);
    Verdict.Side egressSide = new Verdict.Side(Direction.EGRESS, from, out.enforcedNames,
        out.firstEnforced(t, to, destination, port, proto), out.auditedNames,
        out.firstAudited(t, to, destination, port, proto));
    Verdict.Side ingressSide = new Verdict.Side(Direction.INGRESS, to, in.enforcedNames,
        in.firstEnforced(f, from, destination, port, proto), in.auditedNames,
        in.firstAudited(f, from, destination, port, proto));
    return new Verdict(from, to, port, protocol, f >= 0, t >= 0, destination.declares(port, proto), egressSide,
        ingressSide);
  }

  /**
   * Whether the enforced policies allow {@code from -> to:port/protocol}: {@link #check}'s
   * {@link Verdict#allowed()} without the verdict, allocating nothing.
   *
   * @throws IllegalArgumentException if {@code port} is not between 1 and 65535
   */
  public boolean allows(String from, String to, int port, Protocol protocol) {
    Objects.requireNonNull(from, "from");
    Objects.requireNonNull(to, "to");
    Objects.requireNonNull(protocol, "protocol");
    requirePort(port);
    int f = services.id(from);
    int t = services.id(to);
    int proto = protocol.ordinal();
    ServiceIndex.Ports destination = services.ports(t);
    SideTable out = f >= 0 ? egress[f] : unknown.egress(from);
    SideTable in = t >= 0 ? ingress[t] : unknown.ingress(to);
    return out.allows(t, to, destination, port, proto) && in.allows(f, from, destination, port, proto);
  }

  private static void requirePort(int port) {
    if (port < 1 || port > 65535) {
      throw new IllegalArgumentException("port " + port + ": must be between 1 and 65535");
    }
  }

  /**
   * This evaluator with {@code policy} added, or in place of the policy of its name. Recompiles the policy and the
   * per-service lists of the services it selects now or selected before; the rest is shared.
   *
   * @throws InvalidSpecException if the policy is invalid (this evaluator is unchanged)
   */
  public PolicyEvaluator withPolicy(NetworkPolicy policy) {
    Objects.requireNonNull(policy, "policy").requireValid();
    CompiledPolicy now = CompiledPolicy.compile(policy, services);
    TreeMap<String, CompiledPolicy> next = new TreeMap<>(policies);
    CompiledPolicy before = next.put(policy.name(), now);
    return replaced(next, before, now);
  }

  /** This evaluator without the policy {@code name}; this one if it has no such policy. */
  public PolicyEvaluator withoutPolicy(String name) {
    Objects.requireNonNull(name, "name");
    if (!policies.containsKey(name)) {
      return this;
    }
    TreeMap<String, CompiledPolicy> next = new TreeMap<>(policies);
    CompiledPolicy before = next.remove(name);
    return replaced(next, before, null);
  }

  private PolicyEvaluator replaced(TreeMap<String, CompiledPolicy> next, @Nullable CompiledPolicy before,
                                   @Nullable CompiledPolicy now) {
    BitSet affected = new BitSet(services.size());
    if (before != null) {
      affected.or(before.selected);
    }
    if (now != null) {
      affected.or(now.selected);
    }
    SideTable[] in = ingress.clone();
    SideTable[] out = egress.clone();
    for (int id = affected.nextSetBit(0); id >= 0; id = affected.nextSetBit(id + 1)) {
      in[id] = updated(in[id], Direction.INGRESS, id, before, now);
      out[id] = updated(out[id], Direction.EGRESS, id, before, now);
    }
    // The sides of unknown services change only when a policy that selects unknown services comes or goes.
    boolean unknownChanged = (before != null && before.selectsUnknown) || (now != null && now.selectsUnknown);
    return new PolicyEvaluator(services, next, in, out,
        unknownChanged ? UnknownSides.of(next.values(), services) : unknown);
  }

  private static SideTable updated(SideTable table, Direction direction, int id, @Nullable CompiledPolicy before,
                                   @Nullable CompiledPolicy now) {
    if (now != null && now.isolates(direction) && now.selected.get(id)) {
      return table.with(now);
    }
    return before == null ? table : table.without(before.name());
  }

  /**
   * This evaluator's policies compiled against {@code services} instead (a full recompile: labels and ports decide
   * what every selector selects).
   *
   * @throws IllegalArgumentException if two services share a name
   */
  public PolicyEvaluator withServices(Collection<PolicySubject> services) {
    Objects.requireNonNull(services, "services");
    return compile(policies(), new ServiceIndex(copy(services)));
  }

  /** The policies, in name order. */
  public List<NetworkPolicy> policies() {
    return policies.values().stream().map(p -> p.policy).toList();
  }

  /** The policy {@code name}, if there is one. */
  public Optional<NetworkPolicy> policy(String name) {
    Objects.requireNonNull(name, "name");
    return Optional.ofNullable(policies.get(name)).map(p -> p.policy);
  }

  /** The services, in the order given. */
  public List<PolicySubject> services() {
    return services.subjects();
  }

  @Override
  public String toString() {
    return "PolicyEvaluator[" + policies.size() + " policies, " + services.size() + " services]";
  }
}
