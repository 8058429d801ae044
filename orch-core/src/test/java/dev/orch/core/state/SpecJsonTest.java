package dev.orch.core.state;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.orch.api.spec.Analysis;
import dev.orch.api.spec.AntiAffinity;
import dev.orch.api.spec.ContainerSpec;
import dev.orch.api.spec.IntOrPercent;
import dev.orch.api.spec.Placement;
import dev.orch.api.spec.Probe;
import dev.orch.api.spec.RestartPolicy;
import dev.orch.api.spec.RolloutStrategy;
import dev.orch.api.spec.ServiceSpec;
import dev.orch.api.spec.TaintEffect;
import dev.orch.api.spec.Toleration;
import dev.orch.api.spec.TopologySpread;
import dev.orch.api.spec.VolumeMount;
import java.time.Duration;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.junit.jupiter.api.Test;

class SpecJsonTest {

  @Test
  void everyPartOfASpecReadsBackEqual() {
    ServiceSpec spec = ServiceSpec.builder("orders").replicas(3)
        .container(ContainerSpec.builder("orders:1.2").command("sh", "-c").args("serve --port 8080")
            .env("MODE", "prod \"quoted\"").port("http", 8080).requests("250m", "256Mi").limits("1", "512Mi")
            .volume(new VolumeMount("data", "/var/data", true, true)).build())
        .placement(Placement.builder().nodeSelector("zone", "eu").spread(TopologySpread.hard("zone", 1))
            .antiAffinity(AntiAffinity.SOFT).tolerate(Toleration.exists("gpu"))
            .tolerate(new Toleration("dedicated", "db", false, java.util.Optional.of(TaintEffect.NO_SCHEDULE)))
            .build())
        .readiness(Probe.http("/ready", "http").withPeriod(Duration.ofMillis(500)))
        .liveness(Probe.tcp(8080)).startup(Probe.exec("true"))
        .restartPolicy(RestartPolicy.ON_FAILURE).priority(7).label("team", "shop")
        .rollout(RolloutStrategy.RollingUpdate.of(IntOrPercent.of(1), IntOrPercent.percent(0)))
        .build();
    assertEquals(spec, SpecJson.read(SpecJson.write(spec)));

    Analysis a = Analysis.builder().interval(Duration.ofSeconds(5)).count(3).failureThreshold(2).minRequests(10)
        .inconclusiveLimit(4).successRate(0.99).latency(0.95, Duration.ofMillis(300)).check("no errors").build();
    ServiceSpec canary = spec.toBuilder().container(new ContainerSpec(spec.container().image(),
            spec.container().command(), spec.container().args(), spec.container().env(), spec.container().ports(),
            spec.container().resources(), List.of()))
        .rollout(RolloutStrategy.canary().setWeight(0.5).pause(Duration.ofMinutes(1)).analyze(a).setWeight(50)
            .pause().progressDeadline(Duration.ofMinutes(3)).build()).build();
    assertEquals(canary, SpecJson.read(SpecJson.write(canary)));
    ServiceSpec blueGreen = canary.toBuilder().rollout(RolloutStrategy.blueGreen().withAutoPromote(false)
        .withPrePromotionAnalysis(a)).build();
    assertEquals(blueGreen, SpecJson.read(SpecJson.write(blueGreen)));
    ServiceSpec stateful = canary.toBuilder().rollout(RolloutStrategy.RollingUpdate.DEFAULT)
        .stateful(dev.orch.api.spec.Stateful.builder().podManagement(dev.orch.api.spec.Stateful.PodManagement.PARALLEL)
            .update(dev.orch.api.spec.Stateful.Update.rolling(2, 1)).volume("data", "/var/data")
            .volume(new dev.orch.api.spec.Stateful.VolumeTemplate("logs", "/logs", true, java.util.Map.of("size", "1Gi")))
            .whenDeleted(dev.orch.api.spec.Stateful.Retention.DELETE)
            .nodeLoss(dev.orch.api.spec.Stateful.NodeLoss.recreateEmptyAfter(Duration.ofMinutes(5))).build())
        .build();
    assertEquals(stateful, SpecJson.read(SpecJson.write(stateful)));
    ServiceSpec bounded = spec.toBuilder().container(spec.container().toBuilder().logLimits("2Mi", 4).build()).build();
    assertEquals(bounded, SpecJson.read(SpecJson.write(bounded)));
    assertEquals(dev.orch.core.util.Revisions.revision(spec.toBuilder().container(spec.container().toBuilder()
        .logLimits(null).build()).build()), dev.orch.core.util.Revisions.revision(spec),
        "a spec without log limits keeps the revision it had before they existed");
  }

  @Test
  void aStoredSpecIsReadableJson() {
    String json = SpecJson.write(ServiceSpec.builder("web").container(ContainerSpec.builder("web:1").build())
        .build());
    assertEquals("web", dev.orch.core.util.Json.parseObject(json).get("name"));
    assertEquals(true, json.contains("\n  \"replicas\": 1,\n"), json);
    assertEquals(true, json.contains("\"progressDeadline\": \"PT10M\""), json);
  }

  @Test
  void aBadStoredSpecIsRefusedWithThePathOfTheProblem() {
    String good = SpecJson.write(ServiceSpec.builder("web").container(ContainerSpec.builder("web:1")
        .port("http", 80).build()).build());
    assertEquals("web.container.ports[0].containerPort: \"x\": must be a whole number",
        assertThrows(IllegalArgumentException.class, () -> SpecJson.read(good.replace("\"containerPort\": 80",
            "\"containerPort\": \"x\""))).getMessage());
    assertEquals("web.sidecar: true: is not a field this version reads (it reads [name, replicas, container, "
            + "placement, probes, restartPolicy, rollout, priority, labels, stateful, dependencies])",
        assertThrows(IllegalArgumentException.class, () -> SpecJson.read(good.replaceFirst("\\{",
            "{\"sidecar\": true,"))).getMessage());
    assertEquals("web.restartPolicy: \"SOMETIMES\": must be one of [ALWAYS, ON_FAILURE, NEVER]",
        assertThrows(IllegalArgumentException.class, () -> SpecJson.read(good.replace("\"ALWAYS\"",
            "\"SOMETIMES\""))).getMessage());
    assertEquals("web.replicas: null: is required",
        assertThrows(IllegalArgumentException.class, () -> SpecJson.read(good.replace("\"replicas\": 1,", "")))
            .getMessage());
  }

  @Property(tries = 300)
  void anySpecReadsBackEqual(@ForAll("specs") ServiceSpec spec) {
    assertEquals(spec, SpecJson.read(SpecJson.write(spec)));
  }

  @Provide
  Arbitrary<ServiceSpec> specs() {
    Arbitrary<String> words = Arbitraries.strings().withCharRange('a', 'z').ofMinLength(1).ofMaxLength(8);
    Arbitrary<String> text = Arbitraries.strings().ofMaxLength(10);
    Arbitrary<ContainerSpec> containers = Combinators.combine(words, text.list().ofMaxSize(3),
        Arbitraries.maps(words, text).ofMaxSize(3), Arbitraries.integers().between(1, 65535),
        Arbitraries.longs().between(0, 4000), Arbitraries.longs().between(0, 1L << 34))
        .as((image, args, env, port, cpu, mem) -> {
          ContainerSpec.Builder b = ContainerSpec.builder(image).args(args.toArray(String[]::new))
              .port("p" + port, port).requests(cpu + "m", Long.toString(mem));
          env.forEach(b::env);
          return b.build();
        });
    Arbitrary<RolloutStrategy> rollouts = Arbitraries.oneOf(
        Combinators.combine(Arbitraries.integers().between(0, 10), Arbitraries.integers().between(0, 100))
            .as((surge, pct) -> RolloutStrategy.RollingUpdate.of(IntOrPercent.of(surge), IntOrPercent.percent(pct))),
        Arbitraries.of(true, false).map(auto -> RolloutStrategy.blueGreen().withAutoPromote(auto)),
        Arbitraries.integers().between(0, 1000).list().ofMinSize(1).ofMaxSize(4).map(ws -> {
          var c = RolloutStrategy.canary();
          for (int w : ws) {
            c.setWeight(w / 10.0).pause(Duration.ofMillis(w + 1)).analyze(Analysis.builder().successRate(w / 1000.0)
                .check("c" + w).build());
          }
          return c.build();
        }));
    return Combinators.combine(words, Arbitraries.integers().between(0, 100), containers, rollouts,
            Arbitraries.integers().between(-5, 5), Arbitraries.maps(words, words).ofMaxSize(3))
        .as((name, replicas, container, rollout, priority, labels) -> {
          // Dependencies from the labels' keys: none, or some, in the order the map gives them.
          return new ServiceSpec(name, replicas, container, Placement.ANYWHERE, dev.orch.api.spec.Probes.NONE,
              RestartPolicy.ALWAYS, rollout, priority, labels, java.util.Optional.empty(),
              List.copyOf(labels.keySet()));
        });
  }
}
