package dev.orch.api.spec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class ServiceSpecTest {

  private static ContainerSpec web() {
    return ContainerSpec.builder("orders:1.0").port("http", 8080).requests("250m", "128Mi").build();
  }

  @Test
  void buildsAValidSpecWithDefaults() {
    ServiceSpec spec = ServiceSpec.builder("orders").replicas(3).container(web())
        .readiness(Probe.http("/ready", "http")).build();

    assertEquals(3, spec.replicas());
    assertEquals(RestartPolicy.ALWAYS, spec.restartPolicy());
    assertEquals(RolloutStrategy.RollingUpdate.DEFAULT, spec.rollout());
    Probe readiness = spec.probes().readiness().orElseThrow();
    assertEquals(Duration.ofSeconds(10), readiness.period());
    assertEquals(Duration.ofSeconds(1), readiness.timeout());
    assertEquals(1, readiness.successThreshold());
    assertEquals(3, readiness.failureThreshold());
    assertEquals(spec, spec.toBuilder().build());
  }

  @Test
  void reportsEveryViolationAtOnceWithPathValueAndRule() {
    ContainerSpec container = new ContainerSpec("", List.of(), List.of(), java.util.Map.of(),
        List.of(PortSpec.tcp("http", 70000)), ResourceRequirements.NONE, List.of());
    InvalidSpecException e = assertThrows(InvalidSpecException.class, () -> ServiceSpec.builder("orders")
        .replicas(-1).container(container).readiness(Probe.http("/ready", "admin")).build());

    List<String> lines = e.violations().stream().map(Violation::toString).toList();
    assertTrue(lines.contains("orders.replicas: -1: must be >= 0"), lines::toString);
    assertTrue(lines.contains("orders.container.image: \"\": must not be blank"), lines::toString);
    assertTrue(lines.contains("orders.container.ports[0].containerPort: 70000: must be between 1 and 65535"),
        lines::toString);
    assertTrue(lines.contains("orders.probes.readiness.http.port: \"admin\": must name a port of the container"),
        lines::toString);
    assertEquals(4, lines.size(), lines::toString);
    assertTrue(e.getMessage().startsWith("invalid spec, 4 violations:"), e.getMessage());
  }

  @Test
  void aContainerReportsUnparsableQuantitiesAndNullArgumentsWithTheRest() {
    InvalidSpecException e = assertThrows(InvalidSpecException.class, () -> ContainerSpec.builder("web:1")
        .requests("lots", "256Mi").limits("1", "1Qi").args("--port", null).build());
    assertEquals(List.of("container.resources.requests.cpu: \"lots\": must be millicores like \"500m\" or cores "
            + "like \"2\" or \"0.5\"",
        "container.resources.limits.memory: \"1Qi\": must be bytes with an optional suffix Ki, Mi, Gi, Ti, k, M, "
            + "G or T",
        "container.args[1]: null: is required"),
        e.violations().stream().map(Violation::toString).toList());
  }

  @Test
  void refusesNamesThatAreNotDnsLabels() {
    for (String bad : List.of("Orders", "-orders", "orders-", "or_ders", "", "a".repeat(64))) {
      InvalidSpecException e = assertThrows(InvalidSpecException.class,
          () -> ServiceSpec.builder(bad).container(web()).build(), bad);
      assertEquals(bad + ".name", e.violations().get(0).path());
    }
    assertEquals("a".repeat(63), ServiceSpec.builder("a".repeat(63)).container(web()).build().name());
  }

  @Test
  void refusesARollingUpdateThatCanNeverProgress() {
    InvalidSpecException e = assertThrows(InvalidSpecException.class, () -> ServiceSpec.builder("orders")
        .container(web())
        .rollout(RolloutStrategy.RollingUpdate.of(IntOrPercent.of(0), IntOrPercent.percent(0))).build());
    assertEquals("orders.rollout.maxUnavailable: 0%: must not be 0 when maxSurge is 0",
        e.violations().get(0).toString());
  }

  @Test
  void refusesReservedLabelsAndMissingContainer() {
    InvalidSpecException e = assertThrows(InvalidSpecException.class,
        () -> ServiceSpec.builder("orders").label("orch.owner", "me").build());
    assertEquals("orders.container: null: is required", e.violations().get(0).toString());

    e = assertThrows(InvalidSpecException.class,
        () -> ServiceSpec.builder("orders").container(web()).label("orch.owner", "me").build());
    assertEquals("orders.labels[orch.owner]: \"orch.owner\": must not use the reserved prefix 'orch.'",
        e.violations().get(0).toString());
  }

  @Test
  void nestedBuildersDeferTheirRulesSoThatAWholeSpecReportsEveryViolationUnderTheService() {
    InvalidSpecException e = assertThrows(InvalidSpecException.class, () -> ServiceSpec.builder("Bad_Name!")
        .container(ContainerSpec.builder("").build())
        .placement(Placement.builder().spread(TopologySpread.hard("zone", 0)).build())
        .rollout(RolloutStrategy.canary().setWeight(10).analyze(Analysis.builder().count(0)
            .check("ok").build()).build())
        .build());
    List<String> lines = e.violations().stream().map(Violation::toString).toList();
    assertTrue(lines.contains("Bad_Name!.container.image: \"\": must not be blank"), lines::toString);
    assertTrue(lines.stream().anyMatch(l -> l.startsWith("Bad_Name!.name: ")), lines::toString);
    assertTrue(lines.stream().anyMatch(l -> l.startsWith("Bad_Name!.placement.")), lines::toString);
    assertTrue(lines.stream().anyMatch(l -> l.startsWith("Bad_Name!.rollout.steps[1].analysis.count: 0")),
        lines::toString);
    assertTrue(lines.stream().allMatch(l -> l.startsWith("Bad_Name!.")), () -> "every path from the service: " + lines);
  }
}
