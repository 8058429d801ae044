package dev.orch.core.policy;

import dev.orch.api.policy.Direction;
import dev.orch.api.spec.Protocol;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * The decision on one connection {@code from -> to:port/protocol}, as data and in words ({@link #explain()}).
 *
 * <p>The connection is {@link #allowed()} when both sides allow it: the source's {@link #egress() egress} and the
 * destination's {@link #ingress() ingress}. Each side lists the enforced and the audited policies that isolate it
 * and the first rule (in policy-name order, then rule order) that allows the connection, if any. Audit policies
 * never change {@link #allowed()}; {@link #auditWouldDeny()} says whether enforcing them would. Immutable and
 * thread-safe.
 *
 * @param from         the source service
 * @param to           the destination service
 * @param port         the destination port
 * @param protocol     TCP or UDP
 * @param fromKnown    whether the source is among the evaluator's services (an unknown one is taken as a service
 *                     of that name without labels or ports)
 * @param toKnown      whether the destination is among the evaluator's services
 * @param portDeclared whether the destination declares a container port of that number and protocol (policies do
 *                     not require it; it is reported so that a verdict on a port nothing listens on says so)
 * @param egress       the source's side
 * @param ingress      the destination's side
 * @param limits       what the runtime cannot do about this connection, in words (the evaluator gives none; the
 *                     orchestrator's {@code check} adds them: a runtime that decides by service pair rather than by
 *                     port, ports published on the host that bypass networks, replicas with no route to the
 *                     destination); they change neither {@link #allowed()} nor what Orch enforces
 */
public record Verdict(String from, String to, int port, Protocol protocol, boolean fromKnown, boolean toKnown,
                      boolean portDeclared, Side egress, Side ingress, List<String> limits) {

  /** Creates a verdict; every component is required. */
  public Verdict {
    Objects.requireNonNull(from, "from");
    Objects.requireNonNull(to, "to");
    Objects.requireNonNull(protocol, "protocol");
    Objects.requireNonNull(egress, "egress");
    Objects.requireNonNull(ingress, "ingress");
    limits = List.copyOf(Objects.requireNonNull(limits, "limits"));
  }

  /** A verdict without limits. */
  public Verdict(String from, String to, int port, Protocol protocol, boolean fromKnown, boolean toKnown,
                 boolean portDeclared, Side egress, Side ingress) {
    this(from, to, port, protocol, fromKnown, toKnown, portDeclared, egress, ingress, List.of());
  }

  /** This verdict with {@code more} limits after its own. */
  public Verdict withLimits(List<String> more) {
    if (more.isEmpty()) {
      return this;
    }
    List<String> all = new ArrayList<>(limits);
    all.addAll(more);
    return new Verdict(from, to, port, protocol, fromKnown, toKnown, portDeclared, egress, ingress, all);
  }

  /** Whether the enforced policies allow the connection: both sides allow it. */
  public boolean allowed() {
    return egress.allowed() && ingress.allowed();
  }

  /** Whether the connection would be allowed if the audit policies were enforced too. */
  public boolean allowedWithAudit() {
    return egress.allowedWithAudit() && ingress.allowedWithAudit();
  }

  /** Whether the connection is allowed but an audit policy would deny it. */
  public boolean auditWouldDeny() {
    return allowed() && !allowedWithAudit();
  }

  /**
   * The verdict in words, for example {@code orders -> inventory:8080 allowed: ingress by inventory-from-orders
   * rule 0; orders has no egress policy}: the destination's side, the source's side, what audit policies would
   * change, and what the evaluator did not know.
   */
  public String explain() {
    String target = to + ":" + portText();
    StringBuilder b = new StringBuilder(from).append(" -> ").append(target)
        .append(allowed() ? " allowed: " : " denied: ");
    b.append(words(ingress, from + " on " + portText())).append("; ").append(words(egress, target));
    List<String> notes = new ArrayList<>();
    for (Side side : List.of(ingress, egress)) {
      if (allowed() && !side.allowedWithAudit()) {
        notes.add("audit: " + String.join(", ", side.auditPolicies()) + " would deny " + side.direction().word());
      } else if (!side.allowed() && side.auditAllowedBy().isPresent()) {
        notes.add("audit: " + side.direction().word() + " would be allowed by " + side.auditAllowedBy().get());
      }
    }
    if (!fromKnown) {
      notes.add(from + " is not a known service");
    }
    if (!toKnown) {
      notes.add(to + " is not a known service");
    } else if (!portDeclared) {
      notes.add(to + " declares no port " + port + "/" + protocol);
    }
    for (String limit : limits) {
      notes.add("limit: " + limit);
    }
    for (String note : notes) {
      b.append("; ").append(note);
    }
    return b.toString();
  }

  private String portText() {
    return protocol == Protocol.TCP ? Integer.toString(port) : port + "/" + protocol;
  }

  private static String words(Side side, String peerAndPort) {
    String dir = side.direction().word();
    if (side.policies().isEmpty()) {
      return side.service() + " has no " + dir + " policy";
    }
    if (side.allowedBy().isPresent()) {
      return dir + " by " + side.allowedBy().get();
    }
    return dir + ": no rule of " + String.join(", ", side.policies()) + " allows " + peerAndPort;
  }

  /**
   * A rule of a policy, by the policy's name, the rule's direction and its index among the policy's rules of that
   * direction. Immutable and thread-safe.
   *
   * @param policy    the policy's name
   * @param direction ingress or egress
   * @param index     the rule's index in {@code policy.ingress()} or {@code policy.egress()}
   */
  public record Rule(String policy, Direction direction, int index) {
    /** Creates a reference; the names are required. */
    public Rule {
      Objects.requireNonNull(policy, "policy");
      Objects.requireNonNull(direction, "direction");
    }

    /** Reads {@code inventory-from-orders rule 0}. */
    @Override
    public String toString() {
      return policy + " rule " + index;
    }
  }

  /**
   * One side of a connection: the source's egress or the destination's ingress. The side is isolated when a policy
   * selects the service and isolates that direction; an isolated side allows the connection only if some rule of
   * some such policy does. Immutable and thread-safe.
   *
   * @param direction      egress (the source's side) or ingress (the destination's side)
   * @param service        the source for egress, the destination for ingress
   * @param policies       the enforced policies isolating this side, by name in order
   * @param allowedBy      the first rule of {@code policies} that allows the connection, if any
   * @param auditPolicies  the audit policies isolating this side, by name in order
   * @param auditAllowedBy the first rule of {@code auditPolicies} that allows the connection, if any
   */
  public record Side(Direction direction, String service, List<String> policies, Optional<Rule> allowedBy,
                     List<String> auditPolicies, Optional<Rule> auditAllowedBy) {
    /** Creates a side, copying the lists. */
    public Side {
      Objects.requireNonNull(direction, "direction");
      Objects.requireNonNull(service, "service");
      policies = List.copyOf(policies);
      Objects.requireNonNull(allowedBy, "allowedBy");
      auditPolicies = List.copyOf(auditPolicies);
      Objects.requireNonNull(auditAllowedBy, "auditAllowedBy");
    }

    /** Whether an enforced policy isolates this side. */
    public boolean isolated() {
      return !policies.isEmpty();
    }

    /** Whether this side allows the connection under the enforced policies. */
    public boolean allowed() {
      return policies.isEmpty() || allowedBy.isPresent();
    }

    /** Whether this side would allow the connection if the audit policies were enforced too. */
    public boolean allowedWithAudit() {
      return (policies.isEmpty() && auditPolicies.isEmpty()) || allowedBy.isPresent() || auditAllowedBy.isPresent();
    }
  }
}
