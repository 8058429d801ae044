package dev.orch.api.spec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class RolloutStrategyTest {
  private static ContainerSpec web() {
    return ContainerSpec.builder("web:1").port("http", 8080).build();
  }

  private static List<String> violations(RolloutStrategy strategy) {
    InvalidSpecException e = assertThrows(InvalidSpecException.class,
        () -> ServiceSpec.builder("orders").container(web()).rollout(strategy).build());
    return e.violations().stream().map(Violation::toString).toList();
  }

  private static Analysis ok() {
    return Analysis.builder().successRate(0.5).build();
  }

  @Test
  void refusesCanaryWeightsOutsideTheRangeOrFinerThanATenth() {
    assertEquals(List.of(
            "orders.rollout.steps[0].percent: -1.0: must be between 0 and 100",
            "orders.rollout.steps[1].percent: 100.5: must be between 0 and 100",
            "orders.rollout.steps[2].percent: 0.05: must be a multiple of 0.1",
            "orders.rollout.steps[3].percent: NaN: must be between 0 and 100"),
        violations(RolloutStrategy.canary().setWeight(-1).setWeight(100.5).setWeight(0.05).setWeight(Double.NaN)
            .build()));
  }

  @Test
  void refusesStepsAfterFullPromotion() {
    assertEquals(List.of(
            "orders.rollout.steps[2]: Pause[duration=Optional.empty]: must not follow full promotion (setWeight 100 "
                + "at steps[1])"),
        violations(RolloutStrategy.canary().setWeight(10).setWeight(100).pause().build()));
  }

  @Test
  void acceptsAOneTenthPercentCanaryAndFullPromotionAsTheLastStep() {
    ServiceSpec spec = ServiceSpec.builder("orders").container(web())
        .rollout(RolloutStrategy.canary().setWeight(0.1).pause(Duration.ofMinutes(1)).analyze(ok()).setWeight(100)
            .build()).build();
    assertEquals(4, ((RolloutStrategy.Canary) spec.rollout()).steps().size());
  }

  @Test
  void refusesBadPausesDeadlinesAndDelays() {
    assertEquals(List.of("orders.rollout.progressDeadline: PT0S: must be > 0",
            "orders.rollout.steps[0].duration: PT-1S: must be > 0"),
        violations(RolloutStrategy.canary().pause(Duration.ofSeconds(-1)).progressDeadline(Duration.ZERO).build()));
    assertEquals(List.of("orders.rollout.scaleDownDelay: PT-1S: must be >= 0"),
        violations(RolloutStrategy.blueGreen().withScaleDownDelay(Duration.ofSeconds(-1))));
  }

  @Test
  void refusesBlueGreenAndCanaryOverVolumes() {
    InvalidSpecException e = assertThrows(InvalidSpecException.class, () -> ServiceSpec.builder("orders")
        .container(ContainerSpec.builder("db:1").volume("data", "/data").build())
        .rollout(RolloutStrategy.blueGreen()).build());
    assertTrue(e.violations().get(0).toString().startsWith("orders.rollout: BlueGreen: needs replicas without "
        + "volumes"), e.violations().toString());
  }

  @Test
  void anAnalysisNamesEachBadSetting() {
    Analysis bad = Analysis.builder().interval(Duration.ZERO).count(0).failureThreshold(0).minRequests(-1)
        .inconclusiveLimit(0).build(); // checked with the spec that uses it, or alone by validate()
    assertEquals(List.of("analysis.interval: PT0S: must be >= 1ms", "analysis.count: 0: must be >= 1",
        "analysis.failureThreshold: 0: must be >= 1", "analysis.minRequests: -1: must be >= 0",
        "analysis.inconclusiveLimit: 0: must be >= 1", "analysis.checks: []: must hold at least one check"),
        bad.validate().stream().map(Violation::toString).toList());
  }

  @Test
  void anAnalysisInASpecIsCheckedUnderItsPath() {
    Analysis analysis = Analysis.builder().check("x").build();
    assertEquals(List.of(), ServiceSpec.builder("orders").container(web())
        .rollout(RolloutStrategy.blueGreen().withPrePromotionAnalysis(analysis)).build().validate());
    assertTrue(analysis.toString().contains("checks=[x]"), "names the checks: " + analysis);
    Analysis bad = Analysis.builder().successRate(1.5).latency(0, Duration.ofMillis(-1)).check(" ").build();
    assertEquals(List.of("orders.rollout.prePromotionAnalysis.checks[0].successRate: 1.5: must be within 0..1",
            "orders.rollout.prePromotionAnalysis.checks[1].quantile: 0.0: must be within (0, 1]",
            "orders.rollout.prePromotionAnalysis.checks[1].atMost: PT-0.001S: must not be negative",
            "orders.rollout.prePromotionAnalysis.checks[2].name: \" \": must not be blank"),
        assertThrows(InvalidSpecException.class, () -> ServiceSpec.builder("orders").container(web())
            .rollout(RolloutStrategy.blueGreen().withPrePromotionAnalysis(bad)).build()).violations().stream()
            .map(Violation::toString).toList());
  }

  @Test
  void analysesAreDataEqualWhenTheirSettingsAndChecksAre() {
    Analysis a = Analysis.builder().count(3).successRate(0.99).latency(0.99, Duration.ofMillis(300)).check("x")
        .build();
    Analysis same = Analysis.builder().count(3).successRate(0.99).latency(0.99, Duration.ofMillis(300)).check("x")
        .build();
    assertEquals(a, same);
    assertEquals(a.hashCode(), same.hashCode());
    assertEquals(List.of("success rate >= 99%", "p99 latency <= 300ms", "x"),
        a.checks().stream().map(Analysis.Check::name).toList());
    assertEquals(List.of("x"), a.namedChecks());
    assertTrue(!a.equals(Analysis.builder().count(3).successRate(0.98).latency(0.99, Duration.ofMillis(300))
        .check("x").build()));
  }
}
