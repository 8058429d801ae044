package dev.orch.core.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.orch.api.policy.Direction;
import dev.orch.api.policy.EgressRule;
import dev.orch.api.policy.IngressRule;
import dev.orch.api.policy.NetworkPolicy;
import dev.orch.api.policy.PeerSelector;
import dev.orch.api.policy.PolicyPort;
import dev.orch.api.spec.ContainerSpec;
import dev.orch.api.spec.InvalidSpecException;
import dev.orch.api.spec.PortSpec;
import dev.orch.api.spec.Protocol;
import dev.orch.api.spec.ServiceSpec;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The semantics by example: each test shows one rule of Kubernetes NetworkPolicy and the words of its verdict. */
class PolicyEvaluatorTest {
  private static final PolicySubject ORDERS = PolicySubject.of("orders", Map.of("app", "orders", "team", "shop"),
      PortSpec.tcp("http", 8080));
  private static final PolicySubject INVENTORY = PolicySubject.of("inventory",
      Map.of("app", "inventory", "team", "shop"), PortSpec.tcp("http", 8080), PortSpec.tcp("admin", 9090));
  private static final PolicySubject PAYMENTS = PolicySubject.of("payments", Map.of("app", "payments", "team",
      "money"), PortSpec.tcp("https", 8443));
  private static final PolicySubject DNS = PolicySubject.of("dns", Map.of("app", "dns"),
      new PortSpec("dns", 53, 0, Protocol.UDP));
  private static final List<PolicySubject> SERVICES = List.of(ORDERS, INVENTORY, PAYMENTS, DNS);

  private static final NetworkPolicy INVENTORY_FROM_ORDERS = NetworkPolicy.builder("inventory-from-orders")
      .selectServices("inventory")
      .allowIngress(IngressRule.from(PeerSelector.services("orders")).on(PolicyPort.tcp("http")))
      .build();

  private static PolicyEvaluator evaluator(NetworkPolicy... policies) {
    return PolicyEvaluator.of(List.of(policies), SERVICES);
  }

  @Test
  void withoutPoliciesEverythingIsAllowed() {
    Verdict v = evaluator().check("orders", "inventory", 8080);
    assertTrue(v.allowed());
    assertFalse(v.ingress().isolated());
    assertFalse(v.egress().isolated());
    assertEquals("orders -> inventory:8080 allowed: inventory has no ingress policy; orders has no egress policy",
        v.explain());
    assertTrue(PolicyEvaluator.empty().check("a", "b", 1).allowed());
  }

  @Test
  void onePolicyIsolatesWhatItSelectsAndAllowsOnlyItsRules() {
    PolicyEvaluator e = evaluator(INVENTORY_FROM_ORDERS);

    Verdict orders = e.check("orders", "inventory", 8080);
    assertTrue(orders.allowed());
    assertEquals(List.of("inventory-from-orders"), orders.ingress().policies());
    assertEquals(Optional.of(new Verdict.Rule("inventory-from-orders", Direction.INGRESS, 0)),
        orders.ingress().allowedBy());
    assertEquals(List.of(), orders.egress().policies());
    assertEquals("orders -> inventory:8080 allowed: ingress by inventory-from-orders rule 0; orders has no egress "
        + "policy", orders.explain());

    Verdict payments = e.check("payments", "inventory", 8080);
    assertFalse(payments.allowed());
    assertEquals(Optional.empty(), payments.ingress().allowedBy());
    assertEquals("payments -> inventory:8080 denied: ingress: no rule of inventory-from-orders allows payments on "
        + "8080; payments has no egress policy", payments.explain());

    assertFalse(e.check("orders", "inventory", 9090).allowed(), "the rule allows http only");
    assertTrue(e.check("payments", "orders", 8080).allowed(), "orders is not selected: open");
    assertTrue(e.check("inventory", "payments", 8443).allowed(), "ingress isolation leaves egress open");
  }

  @Test
  void policiesAddUpAndTheFirstAllowingRuleInNameOrderIsNamed() {
    NetworkPolicy fromPayments = NetworkPolicy.builder("inventory-from-payments")
        .selectLabels(dev.orch.api.runtime.LabelSelector.of("app", "inventory"))
        .allowIngress(IngressRule.from(PeerSelector.services("payments")).on(PolicyPort.tcp(8080)))
        .allowIngress(IngressRule.fromAny().on(PolicyPort.tcp("admin")))
        .build();
    PolicyEvaluator e = evaluator(INVENTORY_FROM_ORDERS, fromPayments);

    Verdict orders = e.check("orders", "inventory", 8080);
    Verdict payments = e.check("payments", "inventory", 8080);
    assertTrue(orders.allowed());
    assertTrue(payments.allowed());
    assertEquals(List.of("inventory-from-orders", "inventory-from-payments"), payments.ingress().policies());
    assertEquals("inventory-from-orders rule 0", orders.ingress().allowedBy().orElseThrow().toString());
    assertEquals("inventory-from-payments rule 0", payments.ingress().allowedBy().orElseThrow().toString());
    assertEquals("dns -> inventory:9090 allowed: ingress by inventory-from-payments rule 1; dns has no egress "
        + "policy", e.check("dns", "inventory", 9090).explain());
    assertFalse(e.check("dns", "inventory", 8080).allowed());
  }

  @Test
  void aConnectionNeedsBothTheSourcesEgressAndTheDestinationsIngress() {
    NetworkPolicy ordersOut = NetworkPolicy.builder("orders-egress").selectServices("orders")
        .allowEgress(EgressRule.to(PeerSelector.services("dns")).on(PolicyPort.udp(53)))
        .isolate(Direction.EGRESS)
        .build();
    PolicyEvaluator e = evaluator(INVENTORY_FROM_ORDERS, ordersOut);

    Verdict v = e.check("orders", "inventory", 8080);
    assertFalse(v.allowed());
    assertTrue(v.ingress().allowed());
    assertFalse(v.egress().allowed());
    assertEquals("orders -> inventory:8080 denied: ingress by inventory-from-orders rule 0; egress: no rule of "
        + "orders-egress allows inventory:8080", v.explain());
    assertEquals("orders -> dns:53/UDP allowed: dns has no ingress policy; egress by orders-egress rule 0",
        e.check("orders", "dns", 53, Protocol.UDP).explain());
    assertFalse(e.check("orders", "dns", 53, Protocol.TCP).allowed(), "the rule allows UDP only");

    PolicyEvaluator opened = e.withPolicy(ordersOut.toBuilder()
        .allowEgress(EgressRule.to(PeerSelector.labels("team", "shop")).on(PolicyPort.tcp("http"))).build());
    assertEquals("orders -> inventory:8080 allowed: ingress by inventory-from-orders rule 0; egress by "
        + "orders-egress rule 1", opened.check("orders", "inventory", 8080).explain());
  }

  @Test
  void aNamedPortResolvesOnTheDestinationAndANumberedOneIsTakenAsIs() {
    PolicySubject other = PolicySubject.of("legacy", Map.of(), PortSpec.tcp("http", 8081));
    NetworkPolicy httpOnly = NetworkPolicy.builder("http-only").select(PeerSelector.all())
        .allowIngress(IngressRule.fromAny().on(PolicyPort.tcp("http"), PolicyPort.tcp("grpc")))
        .build();
    NetworkPolicy numbered = NetworkPolicy.builder("legacy-9090").selectServices("legacy")
        .allowIngress(IngressRule.fromAny().on(PolicyPort.tcp(9090)))
        .build();
    PolicyEvaluator e = PolicyEvaluator.of(List.of(httpOnly, numbered), List.of(ORDERS, INVENTORY, other));

    assertTrue(e.check("orders", "inventory", 8080).allowed());
    assertFalse(e.check("orders", "inventory", 9090).allowed(), "admin is not http");
    assertTrue(e.check("orders", "legacy", 8081).allowed(), "legacy's http is 8081");
    assertFalse(e.check("orders", "legacy", 8080).allowed(), "8080 is not legacy's http");
    assertTrue(e.check("orders", "legacy", 9090).allowed(), "a number needs no declared port");
    assertFalse(e.check("orders", "inventory", 8080, Protocol.UDP).allowed(), "http is a TCP port");
    assertEquals("orders -> legacy:9090 allowed: ingress by legacy-9090 rule 0; orders has no egress policy; "
        + "legacy declares no port 9090/TCP", e.check("orders", "legacy", 9090).explain());
  }

  @Test
  void labelSelectorsSelectServicesAndPeers() {
    NetworkPolicy shopInternal = NetworkPolicy.builder("shop-internal").selectLabels(
            dev.orch.api.runtime.LabelSelector.of("team", "shop"))
        .allowIngress(IngressRule.from(PeerSelector.labels("team", "shop")))
        .build();
    PolicyEvaluator e = evaluator(shopInternal);

    assertTrue(e.check("orders", "inventory", 8080).allowed());
    assertTrue(e.check("inventory", "orders", 8080).allowed());
    assertFalse(e.check("payments", "inventory", 8080).allowed());
    assertFalse(e.check("payments", "orders", 1234).allowed());
    assertTrue(e.check("orders", "payments", 8443).allowed(), "payments is not labelled team=shop");
  }

  @Test
  void denyAllSelectsEveryServiceInBothDirections() {
    NetworkPolicy denyAll = NetworkPolicy.builder("deny-all").select(PeerSelector.all())
        .isolate(Direction.INGRESS, Direction.EGRESS).build();
    PolicyEvaluator e = evaluator(denyAll);
    for (PolicySubject from : SERVICES) {
      for (PolicySubject to : SERVICES) {
        assertFalse(e.allows(from.name(), to.name(), 8080, Protocol.TCP), from.name() + " -> " + to.name());
      }
    }
    assertEquals("orders -> inventory:8080 denied: ingress: no rule of deny-all allows orders on 8080; egress: no "
        + "rule of deny-all allows inventory:8080", e.check("orders", "inventory", 8080).explain());
  }

  @Test
  void anAuditPolicyDeniesNothingButSaysWhatItWouldDeny() {
    NetworkPolicy lockdown = NetworkPolicy.builder("inventory-lockdown").selectServices("inventory")
        .allowIngress(IngressRule.from(PeerSelector.services("orders")))
        .audit()
        .build();
    PolicyEvaluator e = evaluator(lockdown);

    Verdict payments = e.check("payments", "inventory", 8080);
    assertTrue(payments.allowed());
    assertFalse(payments.allowedWithAudit());
    assertTrue(payments.auditWouldDeny());
    assertEquals(List.of(), payments.ingress().policies());
    assertEquals(List.of("inventory-lockdown"), payments.ingress().auditPolicies());
    assertEquals("payments -> inventory:8080 allowed: inventory has no ingress policy; payments has no egress "
        + "policy; audit: inventory-lockdown would deny ingress", payments.explain());

    Verdict orders = e.check("orders", "inventory", 8080);
    assertTrue(orders.allowed());
    assertFalse(orders.auditWouldDeny());
    assertEquals(Optional.of(new Verdict.Rule("inventory-lockdown", Direction.INGRESS, 0)),
        orders.ingress().auditAllowedBy());

    // Enforced denies and the audit policy would allow: the verdict says so and still denies.
    PolicyEvaluator both = evaluator(INVENTORY_FROM_ORDERS, lockdown.toBuilder().selectServices("inventory")
        .allowIngress(IngressRule.from(PeerSelector.services("payments"))).build());
    Verdict denied = both.check("payments", "inventory", 8080);
    assertFalse(denied.allowed());
    assertTrue(denied.allowedWithAudit());
    assertFalse(denied.auditWouldDeny());
    assertEquals("payments -> inventory:8080 denied: ingress: no rule of inventory-from-orders allows payments on "
        + "8080; payments has no egress policy; audit: ingress would be allowed by inventory-lockdown rule 1",
        denied.explain());
  }

  @Test
  void unknownServicesAndPortsAreNamedInTheVerdictNotThrown() {
    NetworkPolicy ghostOnly = NetworkPolicy.builder("ghost-only").selectServices("ghost")
        .isolate(Direction.EGRESS).build();
    PolicyEvaluator e = evaluator(INVENTORY_FROM_ORDERS, ghostOnly);

    Verdict ghost = e.check("ghost", "inventory", 8080);
    assertFalse(ghost.fromKnown());
    assertFalse(ghost.allowed());
    assertEquals(List.of("ghost-only"), ghost.egress().policies(), "a policy naming an unknown service selects it");
    assertEquals("ghost -> inventory:8080 denied: ingress: no rule of inventory-from-orders allows ghost on 8080; "
        + "egress: no rule of ghost-only allows inventory:8080; ghost is not a known service", ghost.explain());

    Verdict toNowhere = e.check("orders", "nowhere", 80);
    assertTrue(toNowhere.allowed());
    assertFalse(toNowhere.toKnown());
    assertFalse(toNowhere.portDeclared());
    assertEquals("orders -> nowhere:80 allowed: nowhere has no ingress policy; orders has no egress policy; "
        + "nowhere is not a known service", toNowhere.explain());

    Verdict undeclared = e.check("orders", "inventory", 7000);
    assertFalse(undeclared.allowed(), "http is 8080: a named port matches only the declared number");
    assertTrue(undeclared.explain().endsWith("; inventory declares no port 7000/TCP"), undeclared.explain());
  }

  @Test
  void nullArgumentsThrowNamingTheParameterAndAPortOutOfRangeIsRefused() {
    PolicyEvaluator e = evaluator(INVENTORY_FROM_ORDERS);
    assertEquals("from", assertThrows(NullPointerException.class, () -> e.check(null, "b", 80)).getMessage());
    assertEquals("to", assertThrows(NullPointerException.class, () -> e.check("a", null, 80)).getMessage());
    assertEquals("protocol", assertThrows(NullPointerException.class,
        () -> e.check("a", "b", 80, null)).getMessage());
    assertEquals("from", assertThrows(NullPointerException.class,
        () -> e.allows(null, "b", 80, Protocol.TCP)).getMessage());
    assertEquals("policy", assertThrows(NullPointerException.class, () -> e.withPolicy(null)).getMessage());
    assertEquals("name", assertThrows(NullPointerException.class, () -> e.withoutPolicy(null)).getMessage());
    assertEquals("services", assertThrows(NullPointerException.class, () -> e.withServices(null)).getMessage());
    assertEquals("policies", assertThrows(NullPointerException.class,
        () -> PolicyEvaluator.of(null, SERVICES)).getMessage());
    assertEquals("port 0: must be between 1 and 65535",
        assertThrows(IllegalArgumentException.class, () -> e.check("a", "b", 0)).getMessage());
  }

  @Test
  void changesReturnANewEvaluatorAndARefusedPolicyChangesNothing() {
    PolicyEvaluator open = evaluator();
    PolicyEvaluator closed = open.withPolicy(INVENTORY_FROM_ORDERS);
    assertTrue(open.check("payments", "inventory", 8080).allowed());
    assertFalse(closed.check("payments", "inventory", 8080).allowed());
    assertEquals(List.of(INVENTORY_FROM_ORDERS), closed.policies());
    assertEquals(Optional.of(INVENTORY_FROM_ORDERS), closed.policy("inventory-from-orders"));
    assertTrue(closed.withoutPolicy("inventory-from-orders").check("payments", "inventory", 8080).allowed());
    assertSame(closed, closed.withoutPolicy("no-such-policy"));

    NetworkPolicy replaced = INVENTORY_FROM_ORDERS.toBuilder().selectServices("payments").build();
    PolicyEvaluator moved = closed.withPolicy(replaced);
    assertTrue(moved.check("payments", "inventory", 8080).allowed());
    assertFalse(moved.check("inventory", "payments", 8443).allowed());

    NetworkPolicy invalid = new NetworkPolicy("Bad", PeerSelector.all(), java.util.Set.of(), List.of(), List.of(),
        dev.orch.api.policy.PolicyMode.ENFORCE);
    assertThrows(InvalidSpecException.class, () -> closed.withPolicy(invalid));
    assertEquals(List.of(INVENTORY_FROM_ORDERS), closed.policies());

    PolicyEvaluator relabelled = closed.withServices(List.of(ORDERS, PAYMENTS));
    assertFalse(relabelled.check("payments", "inventory", 8080).toKnown());
    assertFalse(relabelled.check("payments", "inventory", 8080).allowed(), "the policy names inventory");
  }

  @Test
  void buildsFromServiceSpecsAndRefusesDuplicateNames() {
    ServiceSpec spec = ServiceSpec.builder("inventory").label("team", "shop")
        .container(ContainerSpec.builder("inventory:1").port("http", 8080).build()).build();
    PolicySubject subject = PolicySubject.of(spec);
    assertEquals(Map.of("team", "shop"), subject.labels());
    assertEquals(List.of(PortSpec.tcp("http", 8080)), subject.ports());

    assertEquals("policy inventory-from-orders is given twice", assertThrows(IllegalArgumentException.class,
        () -> PolicyEvaluator.of(List.of(INVENTORY_FROM_ORDERS, INVENTORY_FROM_ORDERS), SERVICES)).getMessage());
    assertEquals("service orders is given twice", assertThrows(IllegalArgumentException.class,
        () -> PolicyEvaluator.of(List.of(), List.of(ORDERS, ORDERS))).getMessage());
    assertEquals("web: port name http is used twice", assertThrows(IllegalArgumentException.class,
        () -> PolicySubject.of("web", Map.of(), PortSpec.tcp("http", 80), PortSpec.tcp("http", 81))).getMessage());
  }
}
