package dev.orch.core.policy;

import dev.orch.api.policy.Direction;
import dev.orch.api.policy.NetworkPolicy;
import dev.orch.api.policy.PolicyMode;
import dev.orch.api.policy.PolicyRule;
import java.util.BitSet;
import java.util.List;

/** A policy compiled against the known services: the services it selects and its rules. Immutable. */
final class CompiledPolicy {
  final NetworkPolicy policy;
  final boolean audit;
  /** The known services the policy selects; never modified once built. */
  final BitSet selected;
  /** Whether it selects services it does not name and that carry no labels (its label selector is empty). */
  final boolean selectsUnlabelled;
  /** Whether it selects any service the evaluator does not know (by name, or all services). */
  final boolean selectsUnknown;
  private final CompiledRule[] ingress;
  private final CompiledRule[] egress;

  private CompiledPolicy(NetworkPolicy policy, ServiceIndex services) {
    this.policy = policy;
    this.audit = policy.mode() == PolicyMode.AUDIT;
    this.selected = services.select(policy.selector());
    this.selectsUnlabelled = ServiceIndex.selectsUnlabelled(policy.selector());
    this.selectsUnknown = selectsUnlabelled
        || policy.selector().services().stream().anyMatch(name -> services.id(name) < 0);
    this.ingress = compile(policy, policy.ingress(), services);
    this.egress = compile(policy, policy.egress(), services);
  }

  static CompiledPolicy compile(NetworkPolicy policy, ServiceIndex services) {
    return new CompiledPolicy(policy, services);
  }

  private static CompiledRule[] compile(NetworkPolicy policy, List<? extends PolicyRule> rules,
                                        ServiceIndex services) {
    CompiledRule[] out = new CompiledRule[rules.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = CompiledRule.compile(policy.name(), rules.get(i), i, services);
    }
    return out;
  }

  String name() {
    return policy.name();
  }

  boolean isolates(Direction direction) {
    return policy.isolates(direction);
  }

  CompiledRule[] rules(Direction direction) {
    return direction == Direction.INGRESS ? ingress : egress;
  }
}
