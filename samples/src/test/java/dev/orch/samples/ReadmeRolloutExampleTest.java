package dev.orch.samples;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.orch.api.spec.Analysis;
import dev.orch.api.spec.ContainerSpec;
import dev.orch.api.spec.IntOrPercent;
import dev.orch.api.spec.Resources;
import dev.orch.api.spec.RolloutStrategy;
import dev.orch.api.spec.ServiceSpec;
import dev.orch.api.time.VirtualTimeSource;
import dev.orch.core.Orchestrator;
import dev.orch.core.RolloutPlan;
import dev.orch.core.RolloutStep;
import dev.orch.inmemory.InMemoryRuntime;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The README's rollout snippets, copied here (keep them in step): they build, and the plan the README
 * prints has those steps.
 */
class ReadmeRolloutExampleTest {

  @Test
  void theReadmeStrategiesBuildAndTheCanaryPlanHasThePrintedSteps() {
    Analysis successRate = Analysis.builder().interval(Duration.ofSeconds(10)).count(5).failureThreshold(2)
        .successRate(0.99)
        .latency(0.99, Duration.ofMillis(300))
        .check("no app errors")   // registered with the orchestrator below
        .build();
    List<RolloutStrategy> strategies = List.of(
        RolloutStrategy.RollingUpdate.of(IntOrPercent.of(1), IntOrPercent.percent(0)),
        RolloutStrategy.blueGreen().withAutoPromote(false).withPrePromotionAnalysis(successRate),
        RolloutStrategy.canary().setWeight(1).pause(Duration.ofMinutes(5)).setWeight(20)
            .analyze(successRate).setWeight(50).pause().build());
    VirtualTimeSource time = new VirtualTimeSource();
    try (InMemoryRuntime runtime = InMemoryRuntime.builder().timeSource(time).nodes(3, Resources.of("4", "8Gi"))
             .build();
         Orchestrator orch = Orchestrator.builder().runtime(runtime).timeSource(time)
             .analysisCheck("no app errors", m -> m.meter("app.errors", Map.of()).orElse(0) == 0)
             .build()) {
      for (RolloutStrategy strategy : strategies) {
        orch.apply(orders("orders:1.0", strategy));
        time.advance(Duration.ofSeconds(5));
        assertEquals(false, orch.plan(orders("orders:1.1", strategy)).steps().isEmpty(), strategy::toString);
      }
      RolloutStrategy printed = RolloutStrategy.canary().setWeight(20).analyze(Analysis.builder()
          .successRate(0.95).build()).build();
      orch.apply(orders("orders:1.0", printed));
      time.advance(Duration.ofSeconds(5));
      RolloutPlan plan = orch.plan(orders("orders:1.1", printed));
      assertEquals(List.of("setWeight 20%", "analysis [success rate >= 95%]", "scale up", "promote"),
          plan.steps().stream().map(RolloutStep::action).toList());
      assertEquals(List.of(5, 5, 8, 4), plan.steps().stream().map(RolloutStep::maxTotal).toList());
    }
  }

  private static ServiceSpec orders(String image, RolloutStrategy strategy) {
    return ServiceSpec.builder("orders").replicas(4)
        .container(ContainerSpec.builder(image).port("http", 8080).requests("500m", "256Mi").build())
        .rollout(strategy).build();
  }
}
