package dev.orch.api.policy;

import dev.orch.api.runtime.LabelSelector;
import dev.orch.api.spec.InvalidSpecException;
import dev.orch.api.spec.Violation;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Collections;
import java.util.EnumSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * A network policy: the services it selects, the directions in which it isolates them, and the traffic it allows
 * them, with Kubernetes NetworkPolicy's semantics.
 *
 * <p>A service that some policy selects and isolates for ingress accepts a connection only if an ingress rule of
 * some policy selecting it allows the source and the port; likewise for egress on the source's side. A connection
 * is allowed when both sides allow it; a service no policy isolates in a direction is open in that direction.
 * Policies are additive: one never takes away what another allows.
 *
 * <p>Which directions it isolates ({@code isolates}, Kubernetes' {@code policyTypes}): when the builder is not
 * told, the policy isolates ingress always and egress when it has egress rules, as Kubernetes defaults
 * {@code policyTypes}. Told explicitly ({@link Builder#isolate}), it isolates exactly those directions, so that
 * {@code isolate(EGRESS)} with no egress rules denies all egress and leaves ingress open. Unlike Kubernetes, which
 * silently ignores rules of a direction the policy does not isolate, such rules are refused.
 *
 * <p>Build with {@code NetworkPolicy.builder("inventory-from-orders").select(PeerSelector.services("inventory"))
 * .allowIngress(IngressRule.from(PeerSelector.services("orders")).on(PolicyPort.tcp("http"))).build()}; building
 * checks the whole policy and reports every violation at once, with paths rooted at {@code policy[<name>]}
 * ({@code policy[orders-only].ingress[0].ports[1].port: 0: must be between 1 and 65535}). Immutable and
 * thread-safe.
 *
 * @param name     a DNS-1123 label, unique among policies
 * @param selector the services the policy applies to; must select something
 * @param isolates the directions it isolates (Kubernetes' {@code policyTypes}); not empty
 * @param ingress  ingress allow rules, in order (a verdict names a rule by its index)
 * @param egress   egress allow rules, in order
 * @param mode     {@link PolicyMode#ENFORCE} or {@link PolicyMode#AUDIT} (denies nothing, reports what it would)
 */
public record NetworkPolicy(String name, PeerSelector selector, Set<Direction> isolates, List<IngressRule> ingress,
                            List<EgressRule> egress, PolicyMode mode) {

  /** Creates a policy, copying the collections; use the builder for validation and for defaulting. */
  public NetworkPolicy {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(selector, "selector");
    Objects.requireNonNull(isolates, "isolates");
    EnumSet<Direction> directions = EnumSet.noneOf(Direction.class);
    for (Direction d : isolates) {
      directions.add(Objects.requireNonNull(d, "isolates element"));
    }
    isolates = Collections.unmodifiableSet(directions);
    ingress = PolicyViolations.copyOf(ingress, "ingress");
    egress = PolicyViolations.copyOf(egress, "egress");
    Objects.requireNonNull(mode, "mode");
  }

  /** Starts a builder for the policy {@code name}. */
  public static Builder builder(@Nullable String name) {
    return new Builder(name);
  }

  /**
   * A builder holding this policy's values, to derive a changed copy. Directions equal to the default for this
   * policy's rules are left to defaulting, so that adding an egress rule to a defaulted policy isolates egress.
   */
  public Builder toBuilder() {
    Builder b = new Builder(name);
    b.selector = selector;
    b.ingress.addAll(ingress);
    b.egress.addAll(egress);
    b.mode = mode;
    if (!isolates.equals(defaultIsolation(!egress.isEmpty()))) {
      b.isolate(isolates.toArray(new Direction[0]));
    }
    return b;
  }

  /** Whether this policy isolates the services it selects for {@code direction}. */
  public boolean isolates(Direction direction) {
    return isolates.contains(Objects.requireNonNull(direction, "direction"));
  }

  /** The rules of {@code direction}: {@link #ingress()} or {@link #egress()}. */
  public List<? extends PolicyRule> rules(Direction direction) {
    return Objects.requireNonNull(direction, "direction") == Direction.INGRESS ? ingress : egress;
  }

  /** This policy in another mode (not validated: a mode is always valid). */
  public NetworkPolicy withMode(PolicyMode mode) {
    return new NetworkPolicy(name, selector, isolates, ingress, egress, mode);
  }

  /** Every violation in this policy, with paths rooted at {@code policy[<name>]}; empty when valid. */
  public List<Violation> validate() {
    PolicyViolations v = new PolicyViolations();
    check(v, name, selector, null, isolates, ingress, egress, mode);
    return v.list();
  }

  /**
   * Checks this policy whole.
   *
   * @throws InvalidSpecException listing every violation
   */
  public NetworkPolicy requireValid() {
    PolicyViolations v = new PolicyViolations();
    check(v, name, selector, null, isolates, ingress, egress, mode);
    v.throwIfAny();
    return this;
  }

  /** The directions a policy isolates when not told: ingress, and egress when it has egress rules. */
  static Set<Direction> defaultIsolation(boolean hasEgressRules) {
    return hasEgressRules ? EnumSet.of(Direction.INGRESS, Direction.EGRESS) : EnumSet.of(Direction.INGRESS);
  }

  private static String root(@Nullable String name) {
    return name == null ? "policy" : "policy[" + name + "]";
  }

  /**
   * The checks a built policy and a builder share, in field order. {@code explicit} is the directions as given (to
   * report a null one), {@code isolates} the directions in force.
   */
  private static void check(PolicyViolations v, @Nullable String name, @Nullable PeerSelector selector,
                            @Nullable Collection<@Nullable Direction> explicit, Set<Direction> isolates,
                            List<? extends @Nullable PolicyRule> ingress, List<? extends @Nullable PolicyRule> egress,
                            @Nullable PolicyMode mode) {
    String root = root(name);
    v.dnsLabel(root + ".name", name);
    if (v.notNull(root + ".selector", selector)) {
      selector.validate(root + ".selector", v);
    }
    if (explicit != null) {
      int i = 0;
      for (Direction d : explicit) {
        v.notNull(root + ".isolates[" + i++ + "]", d);
      }
    }
    if (isolates.isEmpty() && (explicit == null || !explicit.contains(null))) {
      v.add(root + ".isolates", "[]", "must name INGRESS, EGRESS or both");
    }
    rules(root, Direction.INGRESS, isolates, ingress, v);
    rules(root, Direction.EGRESS, isolates, egress, v);
    v.notNull(root + ".mode", mode);
  }

  private static void rules(String root, Direction direction, Set<Direction> isolates,
                            List<? extends @Nullable PolicyRule> rules, PolicyViolations v) {
    String path = root + "." + direction.word();
    if (!rules.isEmpty() && !isolates.isEmpty() && !isolates.contains(direction)) {
      v.add(path, rules.size() + (rules.size() == 1 ? " rule" : " rules"), "must be empty when the policy does not "
          + "isolate " + direction.word() + " (isolates " + isolates + "): the rules would never apply");
    }
    String peerField = direction == Direction.INGRESS ? ".from[" : ".to[";
    for (int i = 0; i < rules.size(); i++) {
      PolicyRule rule = rules.get(i);
      String at = path + "[" + i + "]";
      if (!v.notNull(at, rule)) {
        continue;
      }
      for (int j = 0; j < rule.peers().size(); j++) {
        rule.peers().get(j).validate(at + peerField + j + "]", v);
      }
      for (int j = 0; j < rule.ports().size(); j++) {
        rule.ports().get(j).validate(at + ".ports[" + j + "]", v);
      }
    }
  }

  /** Builds a {@link NetworkPolicy}; not thread-safe. */
  public static final class Builder {
    private final @Nullable String name;
    private @Nullable PeerSelector selector;
    private @Nullable List<@Nullable Direction> isolates;
    private final List<@Nullable IngressRule> ingress = new ArrayList<>();
    private final List<@Nullable EgressRule> egress = new ArrayList<>();
    private @Nullable PolicyMode mode = PolicyMode.ENFORCE;

    private Builder(@Nullable String name) {
      this.name = name;
    }

    /** Sets the services the policy applies to (required). */
    public Builder select(@Nullable PeerSelector selector) {
      this.selector = selector;
      return this;
    }

    /** Applies the policy to the services named {@code first} and {@code more}. */
    public Builder selectServices(String first, String... more) {
      return select(PeerSelector.services(first, more));
    }

    /** Applies the policy to the services whose labels satisfy {@code selector}. */
    public Builder selectLabels(LabelSelector selector) {
      return select(PeerSelector.labels(selector));
    }

    /**
     * Isolates exactly {@code directions}, replacing the default (ingress, and egress when there are egress rules).
     * {@code isolate(Direction.EGRESS)} with no egress rules denies all egress of the selected services.
     */
    public Builder isolate(@Nullable Direction... directions) {
      Objects.requireNonNull(directions, "directions");
      this.isolates = new ArrayList<>(Arrays.asList(directions));
      return this;
    }

    /** Adds an ingress rule. */
    public Builder allowIngress(@Nullable IngressRule rule) {
      ingress.add(rule);
      return this;
    }

    /** Adds an egress rule; unless told otherwise ({@link #isolate}), the policy then isolates egress too. */
    public Builder allowEgress(@Nullable EgressRule rule) {
      egress.add(rule);
      return this;
    }

    /** Sets the mode (default {@link PolicyMode#ENFORCE}). */
    public Builder mode(@Nullable PolicyMode mode) {
      this.mode = mode;
      return this;
    }

    /** Puts the policy in {@link PolicyMode#AUDIT}: it denies nothing and reports what it would deny. */
    public Builder audit() {
      return mode(PolicyMode.AUDIT);
    }

    /**
     * Builds and checks the policy.
     *
     * @throws InvalidSpecException listing every violation, with paths rooted at {@code policy[<name>]}
     */
    public NetworkPolicy build() {
      PolicyViolations v = new PolicyViolations();
      Set<Direction> directions = defaultIsolation(!egress.isEmpty());
      if (isolates != null) {
        directions = EnumSet.noneOf(Direction.class);
        for (Direction d : isolates) {
          if (d != null) {
            directions.add(d);
          }
        }
      }
      check(v, name, selector, isolates, directions, ingress, egress, mode);
      v.throwIfAny();
      // Every part is non-null here: a null one was a violation.
      return new NetworkPolicy(name, selector, directions, List.copyOf(ingress), List.copyOf(egress), mode);
    }
  }
}
