package dev.orch.api.spec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.function.UnaryOperator;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/** Invariants of spec validation: valid specs round-trip, each kind of invalid field is named exactly. */
class SpecProperties {

  /** One way to break a valid spec, with the path (after the service name) it must be reported at. */
  record Breakage(String pathSuffix, UnaryOperator<ServiceSpec.Builder> apply) {
    @Override
    public String toString() {
      return pathSuffix;
    }
  }

  /** A container like {@code c} with another image and resources, built without validation. */
  static ContainerSpec copy(ContainerSpec c, String image, ResourceRequirements resources) {
    return new ContainerSpec(image, c.command(), c.args(), c.env(), c.ports(), resources, c.volumeMounts());
  }

  @Provide
  Arbitrary<String> names() {
    Arbitrary<Character> edge = Arbitraries.chars().with("abcdefghijklmnopqrstuvwxyz0123456789");
    Arbitrary<String> middle = Arbitraries.strings().withCharRange('a', 'z').withChars('-', '0', '7').ofMaxLength(61);
    return Combinators.combine(edge, middle, edge).as((a, m, b) -> a + m + b);
  }

  @Provide
  Arbitrary<ServiceSpec.Builder> validBuilders() {
    Arbitrary<Integer> replicas = Arbitraries.integers().between(0, 500);
    Arbitrary<Integer> port = Arbitraries.integers().between(1, 65535);
    Arbitrary<Long> cpu = Arbitraries.longs().between(0, 64_000);
    Arbitrary<Long> mem = Arbitraries.longs().between(0, 1L << 40);
    Arbitrary<Integer> period = Arbitraries.integers().between(1, 60_000);
    Arbitrary<Integer> threshold = Arbitraries.integers().between(1, 10);
    return Combinators.combine(names(), replicas, port, cpu, mem, period, threshold, Arbitraries.of(RestartPolicy.class))
        .as((name, n, p, c, m, per, th, restart) -> {
          ContainerSpec container = ContainerSpec.builder("img:" + n).port("http", p)
              .resources(new ResourceRequirements(new Resources(c, m), new Resources(c, m)))
              .env("N", String.valueOf(n)).volume("data", "/data").build();
          return ServiceSpec.builder(name).replicas(n).container(container).restartPolicy(restart)
              .readiness(Probe.http("/ready", "http").withPeriod(Duration.ofMillis(per)).withThresholds(th, th))
              .liveness(Probe.tcp(p)).label("team", "t" + th)
              .placement(Placement.builder().nodeSelector("zone", "z" + th)
                  .spread(TopologySpread.hard("zone", th)).antiAffinity(AntiAffinity.SOFT).build());
        });
  }

  @Provide
  Arbitrary<Breakage> breakages() {
    return Arbitraries.of(
        new Breakage("replicas", b -> b.replicas(-1)),
        new Breakage("container.image", b -> b.container(copy(b.build().container(), " ", ResourceRequirements.NONE))),
        new Breakage("container.ports[0].containerPort",
            b -> b.container(new ContainerSpec("x", List.of(), List.of(), java.util.Map.of(),
                List.of(PortSpec.tcp("http", 0)), ResourceRequirements.NONE, List.of()))),
        new Breakage("container.resources.requests.cpu", b -> b.container(copy(b.build().container(), "x",
            new ResourceRequirements(new Resources(-5, 0), Resources.NONE)))),
        new Breakage("probes.readiness.period", b -> b.readiness(Probe.http("/ready", "http").withPeriod(Duration.ZERO))),
        new Breakage("probes.liveness.failureThreshold", b -> b.liveness(Probe.tcp("http").withThresholds(1, 0))),
        new Breakage("probes.readiness.http.port", b -> b.readiness(Probe.http("/ready", "nope"))),
        new Breakage("placement.spread[0].maxSkew",
            b -> b.placement(new Placement(java.util.Map.of(), List.of(TopologySpread.hard("zone", 0)),
                AntiAffinity.NONE, List.of()))),
        new Breakage("labels[bad key!]", b -> b.label("bad key!", "v")),
        new Breakage("rollout.maxSurge", b -> b.rollout(RolloutStrategy.RollingUpdate.of(
            IntOrPercent.percent(101), IntOrPercent.of(1)))));
  }

  @Property(tries = 200)
  void everyValidSpecIsAcceptedAndEqualsItselfRebuilt(@ForAll("validBuilders") ServiceSpec.Builder builder) {
    ServiceSpec spec = builder.build();
    assertTrue(spec.validate().isEmpty());
    assertEquals(spec, spec.toBuilder().build());
    assertEquals(spec.hashCode(), spec.toBuilder().build().hashCode());
  }

  @Property(tries = 300)
  void everyInvalidSpecIsRefusedWithTheRightPathAndNothingElse(
      @ForAll("validBuilders") ServiceSpec.Builder builder, @ForAll("breakages") Breakage breakage) {
    ServiceSpec valid = builder.build();
    ServiceSpec.Builder broken = breakage.apply().apply(valid.toBuilder());

    InvalidSpecException e = assertThrows(InvalidSpecException.class, broken::build);

    String expected = valid.name() + "." + breakage.pathSuffix();
    assertEquals(List.of(expected), e.violations().stream().map(Violation::path).toList(),
        () -> "violations: " + e.violations());
    assertTrue(e.getMessage().contains(expected + ": "), e.getMessage());
    // The refusal is whole and repeatable: building again reports exactly the same violations.
    assertEquals(e.violations(), assertThrows(InvalidSpecException.class, broken::build).violations());
  }
}
