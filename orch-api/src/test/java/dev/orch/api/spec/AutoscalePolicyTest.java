package dev.orch.api.spec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.orch.api.spec.AutoscalePolicy.RatePolicy;
import dev.orch.api.spec.AutoscalePolicy.ScalingRules;
import dev.orch.api.spec.AutoscalePolicy.Select;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** An autoscale policy's defaults, and every violation at once, each naming its path, value and rule. */
class AutoscalePolicyTest {

  @Test
  void theDefaultsAreKubernetesOnesPerPolicy() {
    AutoscalePolicy p = AutoscalePolicy.builder("web").averageValue("rps", 50).build();
    assertEquals(1, p.minReplicas());
    assertEquals(10, p.maxReplicas());
    assertEquals(Duration.ofSeconds(15), p.syncPeriod());
    assertEquals(0.1, p.tolerance());
    assertEquals(Duration.ofSeconds(45), p.staleAfter(), "three sync periods");
    assertEquals(Duration.ZERO, p.scaleUp().stabilizationWindow());
    assertEquals(List.of(RatePolicy.percent(100, Duration.ofSeconds(15)), RatePolicy.pods(4,
        Duration.ofSeconds(15))), p.scaleUp().policies());
    assertEquals(Select.MAX, p.scaleUp().select());
    assertEquals(Duration.ofSeconds(300), p.scaleDown().stabilizationWindow());
    assertEquals(List.of(RatePolicy.percent(100, Duration.ofSeconds(15))), p.scaleDown().policies());
    assertEquals(Duration.ofSeconds(20), AutoscalePolicy.builder("web").averageValue("rps", 1)
        .syncPeriod(Duration.ofSeconds(5)).staleAfter(Duration.ofSeconds(20)).build().staleAfter());
  }

  @Test
  void everyViolationIsReportedAtOnce() {
    InvalidSpecException e = assertThrows(InvalidSpecException.class, () -> AutoscalePolicy.builder("Web")
        .minReplicas(5).maxReplicas(3).averageValue("rps", 0).utilization("rps", Double.POSITIVE_INFINITY)
        .syncPeriod(Duration.ofMillis(500)).tolerance(1.5).staleAfter(Duration.ofMillis(100))
        .scaleUp(new ScalingRules(Duration.ofHours(2), List.of(), Select.MAX))
        .scaleDown(ScalingRules.of(Duration.ZERO, new RatePolicy(AutoscalePolicy.RateKind.PODS, 0,
            Duration.ofHours(1))))
        .build());
    List<String> paths = e.violations().stream().map(Violation::path).toList();
    assertEquals(List.of("Web.autoscale.service", "Web.autoscale.minReplicas", "Web.autoscale.metrics[0].target",
        "Web.autoscale.metrics[1].metric", "Web.autoscale.metrics[1].target", "Web.autoscale.syncPeriod",
        "Web.autoscale.tolerance", "Web.autoscale.staleAfter", "Web.autoscale.scaleUp.stabilizationWindow",
        "Web.autoscale.scaleUp.policies", "Web.autoscale.scaleDown.policies[0].value",
        "Web.autoscale.scaleDown.policies[0].period"), paths, e::getMessage);
    assertEquals("Web.autoscale.minReplicas: 5: must be <= maxReplicas (3)", e.violations().get(1).toString());
  }

  @Test
  void aPolicyNeedsAMetricAndAService() {
    InvalidSpecException none = assertThrows(InvalidSpecException.class,
        () -> AutoscalePolicy.builder("web").build());
    assertEquals("web.autoscale.metrics", none.violations().get(0).path());
    InvalidSpecException noName = assertThrows(InvalidSpecException.class,
        () -> AutoscalePolicy.builder(null).averageValue("rps", 1).build());
    assertEquals("service.autoscale.service", noName.violations().get(0).path());
  }

  @Test
  void scaleToZeroAndADisabledDirectionAreValid() {
    AutoscalePolicy p = AutoscalePolicy.builder("web").minReplicas(0).maxReplicas(1).averageValue("rps", 1)
        .scaleDown(ScalingRules.disabled()).build();
    assertEquals(0, p.minReplicas());
    assertEquals(Select.DISABLED, p.scaleDown().select());
  }
}
