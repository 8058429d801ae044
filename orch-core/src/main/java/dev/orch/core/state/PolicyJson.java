package dev.orch.core.state;

import dev.orch.api.policy.Direction;
import dev.orch.api.policy.EgressRule;
import dev.orch.api.policy.IngressRule;
import dev.orch.api.policy.NetworkPolicy;
import dev.orch.api.policy.PeerSelector;
import dev.orch.api.policy.PolicyMode;
import dev.orch.api.policy.PolicyPort;
import dev.orch.api.runtime.LabelSelector;
import dev.orch.api.spec.PortRef;
import dev.orch.api.spec.Protocol;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * A {@link NetworkPolicy} as a JSON tree (maps, lists, strings, numbers, booleans) and back, as the state store
 * keeps it. Reading names the field of what does not fit, and the policy read is validated as one built is.
 * Stateless and thread-safe.
 */
public final class PolicyJson {
  private PolicyJson() {
  }

  /** The JSON tree of {@code policy}. */
  public static Map<String, Object> tree(NetworkPolicy policy) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("name", policy.name());
    m.put("select", peer(policy.selector()));
    m.put("isolates", policy.isolates().stream().map(Direction::name).toList());
    List<Object> ingress = new ArrayList<>();
    policy.ingress().forEach(r -> ingress.add(rule(r.from(), r.ports())));
    m.put("ingress", ingress);
    List<Object> egress = new ArrayList<>();
    policy.egress().forEach(r -> egress.add(rule(r.to(), r.ports())));
    m.put("egress", egress);
    m.put("mode", policy.mode().name());
    return m;
  }

  /**
   * The policy a JSON tree holds.
   *
   * @throws IllegalArgumentException naming the field when the tree is not one
   * @throws dev.orch.api.spec.InvalidSpecException when the policy it holds breaks a rule
   */
  public static NetworkPolicy policy(@Nullable Object tree) {
    JsonReader r = new JsonReader("policy", tree).only("name", "select", "isolates", "ingress", "egress", "mode");
    EnumSet<Direction> isolates = EnumSet.noneOf(Direction.class);
    for (String d : r.strings("isolates")) {
      isolates.add(Direction.valueOf(d));
    }
    NetworkPolicy.Builder b = NetworkPolicy.builder(r.string("name")).select(peer(r.object("select")))
        .isolate(isolates.toArray(Direction[]::new)).mode(r.enumeration("mode", PolicyMode.class));
    for (IngressRule rule : r.list("ingress", (at, v) -> {
      JsonReader x = new JsonReader(at, v).only("peers", "ports");
      return new IngressRule(x.list("peers", (p, pv) -> peer(new JsonReader(p, pv))), ports(x));
    })) {
      b.allowIngress(rule);
    }
    for (EgressRule rule : r.list("egress", (at, v) -> {
      JsonReader x = new JsonReader(at, v).only("peers", "ports");
      return new EgressRule(x.list("peers", (p, pv) -> peer(new JsonReader(p, pv))), ports(x));
    })) {
      b.allowEgress(rule);
    }
    return b.build();
  }

  private static Map<String, Object> rule(List<PeerSelector> peers, List<PolicyPort> ports) {
    List<Object> ps = new ArrayList<>();
    peers.forEach(p -> ps.add(peer(p)));
    List<Object> pts = new ArrayList<>();
    for (PolicyPort p : ports) {
      Map<String, Object> port = new LinkedHashMap<>();
      if (p.port().isNamed()) {
        port.put("name", p.port().name());
      } else {
        port.put("number", p.port().number());
      }
      port.put("protocol", p.protocol().name());
      pts.add(port);
    }
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("peers", ps);
    m.put("ports", pts);
    return m;
  }

  private static Map<String, Object> peer(PeerSelector p) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("services", List.copyOf(p.services()));
    p.labels().ifPresent(l -> m.put("labels", l.matchLabels()));
    return m;
  }

  private static PeerSelector peer(JsonReader r) {
    r.only("services", "labels");
    Optional<LabelSelector> labels = r.has("labels") ? Optional.of(LabelSelector.of(r.stringMap("labels")))
        : Optional.empty();
    return new PeerSelector(new LinkedHashSet<>(r.strings("services")), labels);
  }

  private static List<PolicyPort> ports(JsonReader rule) {
    return rule.list("ports", (at, v) -> {
      JsonReader p = new JsonReader(at, v).only("name", "number", "protocol");
      PortRef ref = p.has("name") ? PortRef.named(p.string("name")) : PortRef.number(p.integer("number"));
      return new PolicyPort(ref, p.enumeration("protocol", Protocol.class));
    });
  }
}
