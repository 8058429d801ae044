package dev.orch.api.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.orch.api.runtime.LabelSelector;
import dev.orch.api.spec.InvalidSpecException;
import dev.orch.api.spec.PortRef;
import dev.orch.api.spec.Protocol;
import dev.orch.api.spec.Violation;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

class PolicyValidationTest {
  private static final String DNS_RULE = "must be a DNS-1123 label: 1 to 63 lowercase alphanumerics or '-', "
      + "starting and ending with an alphanumeric";
  private static final PeerSelector NOTHING = new PeerSelector(Set.of(), Optional.empty());

  private static List<String> violations(Runnable build) {
    InvalidSpecException e = assertThrows(InvalidSpecException.class, build::run);
    return e.violations().stream().map(Violation::toString).toList();
  }

  @Test
  void isolatesIngressByDefaultAndEgressWhenThereAreEgressRulesAsKubernetesDefaultsPolicyTypes() {
    NetworkPolicy ingressOnly = NetworkPolicy.builder("inventory-from-orders").selectServices("inventory")
        .allowIngress(IngressRule.from(PeerSelector.services("orders")).on(PolicyPort.tcp("http")))
        .build();
    assertEquals(Set.of(Direction.INGRESS), ingressOnly.isolates());
    assertEquals(PolicyMode.ENFORCE, ingressOnly.mode());

    NetworkPolicy withEgress = NetworkPolicy.builder("orders-out").selectServices("orders")
        .allowEgress(EgressRule.to(PeerSelector.labels("tier", "db")).on(PolicyPort.tcp(5432)))
        .build();
    assertEquals(Set.of(Direction.INGRESS, Direction.EGRESS), withEgress.isolates());
    assertTrue(withEgress.ingress().isEmpty(), "isolated for ingress with no rule: accepts nothing");

    NetworkPolicy denyEgress = NetworkPolicy.builder("no-egress").select(PeerSelector.all())
        .isolate(Direction.EGRESS).audit().build();
    assertEquals(Set.of(Direction.EGRESS), denyEgress.isolates());
    assertEquals(PolicyMode.AUDIT, denyEgress.mode());
  }

  @Test
  void toBuilderKeepsExplicitDirectionsAndLeavesDefaultedOnesToDefaulting() {
    NetworkPolicy defaulted = NetworkPolicy.builder("p").selectServices("inventory")
        .allowIngress(IngressRule.fromAny()).build();
    assertEquals(defaulted, defaulted.toBuilder().build());
    NetworkPolicy grown = defaulted.toBuilder().allowEgress(EgressRule.toAny()).build();
    assertEquals(Set.of(Direction.INGRESS, Direction.EGRESS), grown.isolates());

    NetworkPolicy denyAll = NetworkPolicy.builder("deny-all").select(PeerSelector.all())
        .isolate(Direction.INGRESS, Direction.EGRESS).build();
    assertEquals(denyAll, denyAll.toBuilder().build());
    assertEquals(Set.of(Direction.INGRESS, Direction.EGRESS), denyAll.toBuilder().build().isolates());
  }

  @Test
  void reportsEveryViolationAtOnceWithPathValueAndRule() {
    List<String> lines = violations(() -> NetworkPolicy.builder("orders-only")
        .select(NOTHING)
        .allowIngress(IngressRule.from(PeerSelector.services("Orders"), PeerSelector.labels("team", "-bad"))
            .on(PolicyPort.tcp(8080), PolicyPort.tcp(0), PolicyPort.tcp("Http_Port")))
        .allowEgress(EgressRule.to(NOTHING).on(PolicyPort.udp(70000)))
        .isolate(Direction.INGRESS)
        .build());
    assertEquals(List.of(
        "policy[orders-only].selector: nothing: must select something: service names, a label selector, or both",
        "policy[orders-only].ingress[0].from[0].services[0]: \"Orders\": " + DNS_RULE,
        "policy[orders-only].ingress[0].from[1].labels[team]: \"-bad\": must be a label value: at most 63 "
            + "alphanumerics, '-', '_' or '.', starting and ending with an alphanumeric",
        "policy[orders-only].ingress[0].ports[1].port: 0: must be between 1 and 65535",
        "policy[orders-only].ingress[0].ports[2].port: \"Http_Port\": " + DNS_RULE,
        "policy[orders-only].egress: 1 rule: must be empty when the policy does not isolate egress "
            + "(isolates [INGRESS]): the rules would never apply",
        "policy[orders-only].egress[0].to[0]: nothing: must select something: service names, a label selector, "
            + "or both",
        "policy[orders-only].egress[0].ports[0].port: 70000: must be between 1 and 65535"), lines);
  }

  @Test
  void theMessageCountsTheViolations() {
    InvalidSpecException e = assertThrows(InvalidSpecException.class, () -> NetworkPolicy.builder("Bad")
        .select(PeerSelector.labels("bad key!", "v")).build());
    assertEquals("invalid spec, 2 violations:\n"
        + "  policy[Bad].name: \"Bad\": " + DNS_RULE + "\n"
        + "  policy[Bad].selector.labels[bad key!]: \"bad key!\": must be a label key: alphanumerics, '-', '_', '.', "
        + "optionally prefixed by a DNS subdomain and '/'", e.getMessage());
  }

  @Test
  void nullsGivenToTheBuilderAreViolationsWithTheRest() {
    assertEquals(List.of(
        "policy.name: null: is required",
        "policy.selector: null: is required",
        "policy.isolates[0]: null: is required",
        "policy.ingress[0]: null: is required",
        "policy.mode: null: is required"),
        violations(() -> NetworkPolicy.builder(null).allowIngress(null).isolate((Direction) null).mode(null)
            .build()));
  }

  @Test
  void refusesAnEmptySetOfDirectionsAndIngressRulesWhenOnlyEgressIsIsolated() {
    assertEquals(List.of("policy[p].isolates: []: must name INGRESS, EGRESS or both"),
        violations(() -> NetworkPolicy.builder("p").selectServices("a").isolate().build()));
    assertEquals(List.of("policy[p].ingress: 2 rules: must be empty when the policy does not isolate ingress "
            + "(isolates [EGRESS]): the rules would never apply"),
        violations(() -> NetworkPolicy.builder("p").selectServices("a").isolate(Direction.EGRESS)
            .allowIngress(IngressRule.fromAny()).allowIngress(IngressRule.fromAny()).build()));
  }

  @Test
  void aPortIsANameOrANumberNotBoth() {
    assertEquals(List.of("policy[p].ingress[0].ports[0].port: http and 80: must be a name or a number, not both"),
        violations(() -> NetworkPolicy.builder("p").selectServices("a")
            .allowIngress(IngressRule.fromAny().on(new PolicyPort(new PortRef("http", 80), Protocol.TCP)))
            .build()));
  }

  @Test
  void refusesPolicyNamesThatAreNotDnsLabels() {
    for (String bad : List.of("Orders", "-orders", "orders-", "or_ders", "", "a".repeat(64))) {
      List<String> lines = violations(() -> NetworkPolicy.builder(bad).selectServices("a").build());
      assertEquals(List.of("policy[" + bad + "].name: \"" + bad + "\": " + DNS_RULE), lines, bad);
    }
    assertEquals("a".repeat(63), NetworkPolicy.builder("a".repeat(63)).selectServices("a").build().name());
  }

  @Test
  void aPolicyBuiltDirectlyIsCheckedByValidateAndRequireValid() {
    NetworkPolicy bad = new NetworkPolicy("p", NOTHING, Set.of(), List.of(), List.of(), PolicyMode.ENFORCE);
    List<String> expected = List.of(
        "policy[p].selector: nothing: must select something: service names, a label selector, or both",
        "policy[p].isolates: []: must name INGRESS, EGRESS or both");
    assertEquals(expected, bad.validate().stream().map(Violation::toString).toList());
    assertEquals(expected, violations(bad::requireValid));
    NetworkPolicy good = bad.toBuilder().select(PeerSelector.all()).isolate(Direction.INGRESS).build();
    assertEquals(List.of(), good.validate());
    assertEquals(good, good.requireValid());
  }

  @Test
  void aPeerSelectorSelectsByNameOrByLabels() {
    PeerSelector s = PeerSelector.services("orders").orLabels(LabelSelector.of("team", "shop"));
    assertTrue(s.matches("orders", Map.of()));
    assertTrue(s.matches("cart", Map.of("team", "shop", "tier", "web")));
    assertFalse(s.matches("payments", Map.of("team", "money")));
    assertTrue(PeerSelector.all().matches("anything", Map.of()));
    assertFalse(NOTHING.matches("orders", Map.of()));
    assertEquals("services [orders] or labels {team=shop}", s.toString());
    assertEquals("all services", PeerSelector.all().toString());
    assertEquals("nothing", NOTHING.toString());
    assertEquals("http/TCP", PolicyPort.tcp("http").toString());
    assertEquals("53/UDP", PolicyPort.udp(53).toString());
  }

  @Test
  void recordsRefuseNullsNamingTheParameter() {
    assertEquals("ports", assertThrows(NullPointerException.class,
        () -> new IngressRule(List.of(), null)).getMessage());
    assertEquals("first", assertThrows(NullPointerException.class, () -> IngressRule.from(null)).getMessage());
    assertEquals("to[1]", assertThrows(NullPointerException.class,
        () -> new EgressRule(java.util.Arrays.asList(PeerSelector.all(), null), List.of())).getMessage());
    assertEquals("selector", assertThrows(NullPointerException.class,
        () -> new NetworkPolicy("p", null, Set.of(), List.of(), List.of(), PolicyMode.ENFORCE)).getMessage());
    assertEquals("protocol", assertThrows(NullPointerException.class,
        () -> new PolicyPort(PortRef.number(80), null)).getMessage());
  }
}
