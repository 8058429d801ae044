package dev.orch.core.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.orch.api.policy.Direction;
import dev.orch.api.policy.EgressRule;
import dev.orch.api.policy.IngressRule;
import dev.orch.api.policy.NetworkPolicy;
import dev.orch.api.policy.PeerSelector;
import dev.orch.api.policy.PolicyMode;
import dev.orch.api.policy.PolicyPort;
import dev.orch.api.policy.PolicyRule;
import dev.orch.api.runtime.LabelSelector;
import dev.orch.api.spec.PortRef;
import dev.orch.api.spec.PortSpec;
import dev.orch.api.spec.Protocol;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.statistics.Statistics;

/**
 * The evaluator against {@link Oracle}, a brute-force restatement of Kubernetes NetworkPolicy that shares no code
 * with it (it reads the policies' fields and matches labels and ports itself), on small random worlds where
 * names, labels and ports collide often.
 */
class PolicyEvaluatorProperties {
  private static final List<String> SERVICE_NAMES = List.of("a", "b", "c", "d", "e", "f");
  private static final List<String> UNKNOWN_NAMES = List.of("ghost", "nobody");
  private static final List<String> POLICY_NAMES = List.of("p-zeta", "p-alpha", "p-mid", "q", "a-first", "m2", "z");
  private static final List<String> LABEL_KEYS = List.of("app", "team", "tier");
  private static final List<String> LABEL_VALUES = List.of("x", "y");
  private static final List<String> PORT_NAMES = List.of("http", "dns", "admin");
  private static final List<Integer> PORT_NUMBERS = List.of(53, 80, 8080, 9090);
  private static final List<Integer> QUERY_PORTS = List.of(53, 80, 443, 8080, 9090);

  @Property(tries = 300)
  void everyVerdictEqualsTheOracle(@ForAll long seed) {
    Random random = new Random(seed);
    World w = World.random(random);
    PolicyEvaluator evaluator = PolicyEvaluator.of(w.policies, w.services);
    Oracle oracle = new Oracle(w.policies, w.services);
    int denied = 0;
    int auditDenies = 0;
    int unknownSelected = 0;
    for (String from : w.queryNames()) {
      for (String to : w.queryNames()) {
        for (int port : QUERY_PORTS) {
          for (Protocol protocol : Protocol.values()) {
            Verdict v = evaluator.check(from, to, port, protocol);
            Oracle.Expected x = oracle.expect(from, to, port, protocol);
            String what = from + " -> " + to + ":" + port + "/" + protocol + " under " + w;
            assertEquals(x.allowed, v.allowed(), () -> what + ": allowed? " + v.explain());
            assertEquals(x.allowed, evaluator.allows(from, to, port, protocol), what);
            assertEquals(x.allowedWithAudit, v.allowedWithAudit(), () -> what + ": with audit? " + v.explain());
            assertEquals(x.allowed && !x.allowedWithAudit, v.auditWouldDeny(), what);
            assertEquals(x.egress, Oracle.side(v.egress()), () -> what + ": egress " + v.explain());
            assertEquals(x.ingress, Oracle.side(v.ingress()), () -> what + ": ingress " + v.explain());
            assertEquals(x.fromKnown, v.fromKnown(), what);
            assertEquals(x.toKnown, v.toKnown(), what);
            assertEquals(x.portDeclared, v.portDeclared(), what);
            denied += v.allowed() ? 0 : 1;
            auditDenies += v.auditWouldDeny() ? 1 : 0;
            unknownSelected += !v.fromKnown() && v.egress().isolated() ? 1 : 0;
          }
        }
      }
    }
    Statistics.label("some denied").collect(denied > 0);
    Statistics.label("some audit would deny").collect(auditDenies > 0);
    Statistics.label("an unknown source isolated").collect(unknownSelected > 0);
  }

  @Property(tries = 200)
  void incrementalChangesEqualAFreshBuild(@ForAll long seed) {
    Random random = new Random(seed);
    World w = World.random(random);
    PolicyEvaluator evaluator = PolicyEvaluator.of(w.policies, w.services);
    Map<String, NetworkPolicy> current = new TreeMap<>();
    w.policies.forEach(p -> current.put(p.name(), p));
    int changes = 1 + random.nextInt(8);
    for (int i = 0; i < changes; i++) {
      if (random.nextInt(3) == 0) {
        String name = POLICY_NAMES.get(random.nextInt(POLICY_NAMES.size()));
        evaluator = evaluator.withoutPolicy(name);
        current.remove(name);
      } else {
        NetworkPolicy p = World.policy(random, POLICY_NAMES.get(random.nextInt(POLICY_NAMES.size())));
        evaluator = evaluator.withPolicy(p);
        current.put(p.name(), p);
      }
      assertSameVerdicts(PolicyEvaluator.of(current.values(), w.services), evaluator, w, "after change " + i);
    }
    List<PolicySubject> others = World.services(random);
    World moved = new World(others, List.copyOf(current.values()));
    assertSameVerdicts(PolicyEvaluator.of(current.values(), others), evaluator.withServices(others), moved,
        "after withServices");
  }

  private static void assertSameVerdicts(PolicyEvaluator fresh, PolicyEvaluator changed, World w, String when) {
    assertEquals(fresh.policies(), changed.policies(), when);
    for (String from : w.queryNames()) {
      for (String to : w.queryNames()) {
        for (int port : QUERY_PORTS) {
          for (Protocol protocol : Protocol.values()) {
            Verdict expected = fresh.check(from, to, port, protocol);
            assertEquals(expected, changed.check(from, to, port, protocol), () -> when + ": " + expected.explain());
          }
        }
      }
    }
  }

  /** Random services and policies over small pools of names, labels and ports. */
  record World(List<PolicySubject> services, List<NetworkPolicy> policies) {
    static World random(Random random) {
      List<PolicySubject> services = services(random);
      Map<String, NetworkPolicy> policies = new LinkedHashMap<>();
      int count = random.nextInt(7);
      for (int i = 0; i < count; i++) {
        NetworkPolicy p = policy(random, POLICY_NAMES.get(random.nextInt(POLICY_NAMES.size())));
        policies.put(p.name(), p);
      }
      return new World(services, List.copyOf(policies.values()));
    }

    static List<PolicySubject> services(Random random) {
      List<PolicySubject> out = new ArrayList<>();
      for (String name : SERVICE_NAMES) {
        if (random.nextInt(4) == 0) {
          continue;
        }
        Map<String, String> labels = new HashMap<>();
        for (String key : LABEL_KEYS) {
          if (random.nextBoolean()) {
            labels.put(key, pick(random, LABEL_VALUES));
          }
        }
        Map<String, PortSpec> ports = new LinkedHashMap<>();
        int portCount = random.nextInt(4);
        for (int i = 0; i < portCount; i++) {
          String portName = pick(random, PORT_NAMES);
          Protocol protocol = random.nextInt(3) == 0 ? Protocol.UDP : Protocol.TCP;
          ports.put(portName, new PortSpec(portName, pick(random, PORT_NUMBERS), 0, protocol));
        }
        out.add(new PolicySubject(name, labels, List.copyOf(ports.values())));
      }
      return out;
    }

    static NetworkPolicy policy(Random random, String name) {
      NetworkPolicy.Builder b = NetworkPolicy.builder(name).select(selector(random));
      boolean explicit = random.nextInt(3) == 0;
      Set<Direction> isolate = EnumSet.noneOf(Direction.class);
      if (explicit) {
        int which = random.nextInt(3);
        if (which != 1) {
          isolate.add(Direction.INGRESS);
        }
        if (which != 0) {
          isolate.add(Direction.EGRESS);
        }
        b.isolate(isolate.toArray(new Direction[0]));
      }
      int ingress = !explicit || isolate.contains(Direction.INGRESS) ? random.nextInt(3) : 0;
      for (int i = 0; i < ingress; i++) {
        b.allowIngress(new IngressRule(peers(random), ports(random)));
      }
      int egress = !explicit || isolate.contains(Direction.EGRESS) ? random.nextInt(3) : 0;
      for (int i = 0; i < egress; i++) {
        b.allowEgress(new EgressRule(peers(random), ports(random)));
      }
      return b.mode(random.nextInt(4) == 0 ? PolicyMode.AUDIT : PolicyMode.ENFORCE).build();
    }

    private static List<PeerSelector> peers(Random random) {
      List<PeerSelector> peers = new ArrayList<>();
      int count = random.nextInt(3);
      for (int i = 0; i < count; i++) {
        peers.add(selector(random));
      }
      return peers;
    }

    private static PeerSelector selector(Random random) {
      Set<String> names = new LinkedHashSet<>();
      Optional<LabelSelector> labels = Optional.empty();
      int kind = random.nextInt(3);
      if (kind != 1) {
        int count = 1 + random.nextInt(2);
        for (int i = 0; i < count; i++) {
          names.add(random.nextInt(6) == 0 ? pick(random, UNKNOWN_NAMES) : pick(random, SERVICE_NAMES));
        }
      }
      if (kind != 0) {
        Map<String, String> match = new HashMap<>();
        int count = random.nextInt(3);
        for (int i = 0; i < count; i++) {
          match.put(pick(random, LABEL_KEYS), pick(random, LABEL_VALUES));
        }
        labels = Optional.of(LabelSelector.of(match));
      }
      return new PeerSelector(names, labels);
    }

    private static List<PolicyPort> ports(Random random) {
      List<PolicyPort> ports = new ArrayList<>();
      int count = random.nextInt(3);
      for (int i = 0; i < count; i++) {
        Protocol protocol = random.nextInt(3) == 0 ? Protocol.UDP : Protocol.TCP;
        PortRef ref = random.nextBoolean() ? PortRef.named(pick(random, PORT_NAMES))
            : PortRef.number(pick(random, QUERY_PORTS));
        ports.add(new PolicyPort(ref, protocol));
      }
      return ports;
    }

    private static <T> T pick(Random random, List<T> from) {
      return from.get(random.nextInt(from.size()));
    }

    List<String> queryNames() {
      List<String> names = new ArrayList<>(services.stream().map(PolicySubject::name).toList());
      names.addAll(UNKNOWN_NAMES);
      return names;
    }
  }

  /**
   * Kubernetes NetworkPolicy, brute force: for each side, every policy is looked at in name order; a policy of the
   * mode asked that isolates the direction and whose selector matches the service isolates the side; the side is
   * allowed by the first rule of those policies whose peers (none: any) match the peer and whose ports (none:
   * any) match the port on the destination. A service it does not know has that name, no labels and no ports.
   */
  static final class Oracle {
    private final List<NetworkPolicy> policies;
    private final Map<String, PolicySubject> services = new HashMap<>();

    Oracle(List<NetworkPolicy> policies, List<PolicySubject> services) {
      this.policies = new ArrayList<>(policies);
      this.policies.sort(Comparator.comparing(NetworkPolicy::name));
      services.forEach(s -> this.services.put(s.name(), s));
    }

    /** What a side looked like: policies, allowing rule ("name#index" or "none"), for each mode. */
    record Side(List<String> enforced, String enforcedRule, List<String> audited, String auditedRule) {
    }

    record Expected(boolean allowed, boolean allowedWithAudit, Side egress, Side ingress, boolean fromKnown,
                    boolean toKnown, boolean portDeclared) {
    }

    static Side side(Verdict.Side s) {
      return new Side(s.policies(), rule(s.allowedBy()), s.auditPolicies(), rule(s.auditAllowedBy()));
    }

    private static String rule(Optional<Verdict.Rule> r) {
      return r.map(x -> x.policy() + "#" + x.index()).orElse("none");
    }

    Expected expect(String from, String to, int port, Protocol protocol) {
      PolicySubject source = subject(from);
      PolicySubject destination = subject(to);
      Side egress = side(Direction.EGRESS, source, destination, destination, port, protocol);
      Side ingress = side(Direction.INGRESS, destination, source, destination, port, protocol);
      boolean egressAllowed = egress.enforced.isEmpty() || !egress.enforcedRule.equals("none");
      boolean ingressAllowed = ingress.enforced.isEmpty() || !ingress.enforcedRule.equals("none");
      boolean egressWithAudit = (egress.enforced.isEmpty() && egress.audited.isEmpty())
          || !egress.enforcedRule.equals("none") || !egress.auditedRule.equals("none");
      boolean ingressWithAudit = (ingress.enforced.isEmpty() && ingress.audited.isEmpty())
          || !ingress.enforcedRule.equals("none") || !ingress.auditedRule.equals("none");
      boolean declared = false;
      for (PortSpec p : destination.ports()) {
        declared |= p.containerPort() == port && p.protocol() == protocol;
      }
      return new Expected(egressAllowed && ingressAllowed, egressWithAudit && ingressWithAudit, egress, ingress,
          services.containsKey(from), services.containsKey(to), declared);
    }

    private PolicySubject subject(String name) {
      PolicySubject known = services.get(name);
      return known != null ? known : new PolicySubject(name, Map.of(), List.of());
    }

    private Side side(Direction direction, PolicySubject selected, PolicySubject peer, PolicySubject destination,
                      int port, Protocol protocol) {
      List<String> enforced = new ArrayList<>();
      List<String> audited = new ArrayList<>();
      String enforcedRule = "none";
      String auditedRule = "none";
      for (NetworkPolicy p : policies) {
        if (!p.isolates().contains(direction) || !selects(p.selector(), selected)) {
          continue;
        }
        boolean audit = p.mode() == PolicyMode.AUDIT;
        (audit ? audited : enforced).add(p.name());
        List<? extends PolicyRule> rules = direction == Direction.INGRESS ? p.ingress() : p.egress();
        for (int i = 0; i < rules.size(); i++) {
          PolicyRule r = rules.get(i);
          List<PeerSelector> peers = r instanceof IngressRule in ? in.from() : ((EgressRule) r).to();
          if (anyPeerMatches(peers, peer) && anyPortMatches(r.ports(), destination, port, protocol)) {
            if (audit && auditedRule.equals("none")) {
              auditedRule = p.name() + "#" + i;
            } else if (!audit && enforcedRule.equals("none")) {
              enforcedRule = p.name() + "#" + i;
            }
            break;
          }
        }
      }
      return new Side(enforced, enforcedRule, audited, auditedRule);
    }

    private static boolean selects(PeerSelector s, PolicySubject service) {
      if (s.services().contains(service.name())) {
        return true;
      }
      if (s.labels().isEmpty()) {
        return false;
      }
      for (Map.Entry<String, String> want : s.labels().get().matchLabels().entrySet()) {
        if (!want.getValue().equals(service.labels().get(want.getKey()))) {
          return false;
        }
      }
      return true;
    }

    private static boolean anyPeerMatches(List<PeerSelector> peers, PolicySubject peer) {
      if (peers.isEmpty()) {
        return true;
      }
      for (PeerSelector s : peers) {
        if (selects(s, peer)) {
          return true;
        }
      }
      return false;
    }

    private static boolean anyPortMatches(List<PolicyPort> ports, PolicySubject destination, int port,
                                          Protocol protocol) {
      if (ports.isEmpty()) {
        return true;
      }
      for (PolicyPort p : ports) {
        if (p.protocol() != protocol) {
          continue;
        }
        if (!p.port().isNamed() && p.port().number() == port) {
          return true;
        }
        if (p.port().isNamed()) {
          for (PortSpec declared : destination.ports()) {
            if (declared.name().equals(p.port().name()) && declared.containerPort() == port
                && declared.protocol() == protocol) {
              return true;
            }
          }
        }
      }
      return false;
    }
  }
}
