package dev.orch.core.autoscale;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.orch.api.spec.AutoscalePolicy;
import dev.orch.api.spec.AutoscalePolicy.RatePolicy;
import dev.orch.api.spec.AutoscalePolicy.ScalingRules;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The HPA's rules as a table: the replicas (ready or not) and what each reports (a number, {@code -} for no
 * sample, {@code old} for a stale one) to the replica count decided, with the windows at 0 so that each row is
 * the maths alone; then the windows, the rate policies, the bounds and the history, one rule at a time.
 */
class AutoscalerTest {
  private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");
  private static final ScalingRules FREE_DOWN = ScalingRules.of(Duration.ZERO,
      RatePolicy.percent(100, Duration.ofSeconds(15)));

  /** rps at 10 per replica, tolerance 0.1, no windows, up to 50 replicas. */
  private static AutoscalePolicy.Builder rps() {
    return AutoscalePolicy.builder("web").minReplicas(1).maxReplicas(50).averageValue("rps", 10)
        .scaleDown(FREE_DOWN);
  }

  /**
   * Replicas {@code r0, r1, ...} from a row such as {@code "20 20 u -"}: a number is a ready replica reporting it,
   * {@code u} a replica not ready (reporting nothing), {@code -} a ready one with no sample, {@code old} a ready one
   * whose sample is older than the bound.
   */
  private static Map<String, Boolean> replicas(String row) {
    Map<String, Boolean> out = new LinkedHashMap<>();
    String[] cells = row.split(" ");
    for (int i = 0; i < cells.length; i++) {
      out.put("r" + i, !cells[i].equals("u"));
    }
    return out;
  }

  private static MetricReading reading(String row, Instant now) {
    Map<String, Sample> samples = new LinkedHashMap<>();
    String[] cells = row.split(" ");
    for (int i = 0; i < cells.length; i++) {
      switch (cells[i]) {
        case "u", "-" -> { }
        case "old" -> samples.put("r" + i, Sample.of(99, now.minus(Duration.ofMinutes(5))));
        default -> samples.put("r" + i, Sample.of(Double.parseDouble(cells[i]), now));
      }
    }
    return MetricReading.of(samples);
  }

  private static Decision decide(Autoscaler a, int current, String row, Instant now) {
    return a.decide(current, replicas(row), Map.of("rps", reading(row, now)), now);
  }

  static Stream<Arguments> rows() {
    return Stream.of(
        Arguments.of("at target", 3, "10 10 10", 3, "WithinTolerance"),
        Arguments.of("within tolerance (ratio 1.05)", 3, "10.5 10.5 10.5", 3, "WithinTolerance"),
        Arguments.of("ratio 2: ceil(2 x 3)", 3, "20 20 20", 6, "ScaleUp"),
        Arguments.of("ratio 0.5: ceil(0.5 x 4)", 4, "5 5 5 5", 2, "ScaleDown"),
        Arguments.of("missing, scaling down: at target", 4, "5 5 5 -", 3, "ScaleDown"),
        Arguments.of("missing, scaling up: as 0", 4, "20 20 20 -", 6, "ScaleUp"),
        Arguments.of("not ready, scaling up: as 0", 4, "20 20 20 u", 6, "ScaleUp"),
        Arguments.of("not ready, scaling down: left out", 4, "5 5 5 u", 2, "ScaleDown"),
        Arguments.of("recomputed ratio flips direction: keep", 2, "12 -", 2, "WithinTolerance"),
        Arguments.of("recomputed ratio within tolerance: keep", 3, "16 16 -", 3, "WithinTolerance"),
        Arguments.of("a stale sample counts as missing", 4, "20 20 20 old", 6, "ScaleUp"),
        Arguments.of("no load: down to the minimum", 3, "0 0 0", 1, "TooFewReplicas"),
        Arguments.of("60 over 7 at 10 each is 6: floating-point noise adds none", 7,
            "8.571428571428575 ".repeat(7).trim(), 6, "ScaleDown"));
  }

  @ParameterizedTest(name = "{0}: {1} replicas reporting [{2}] -> {3}")
  @MethodSource("rows")
  void theHpaMaths(String rule, int current, String row, int expected, String reason) {
    Decision d = decide(new Autoscaler(rps().build()), current, row, T0);
    assertEquals(expected, d.desired(), d::explain);
    assertEquals(reason, d.reason(), d::explain);
  }

  @Test
  void theLargestProposalWinsAndAFailedReadBlocksOnlyAScaleDown() {
    AutoscalePolicy two = rps().utilization("cpu", 50).build();
    Map<String, Boolean> ready = replicas("x x");
    MetricReading rps = reading("20 20", T0); // proposes 4
    MetricReading cpu = MetricReading.of(Map.of("r0", new Sample(0.1, 0.5, T0), "r1", new Sample(0.1, 0.5, T0)));
    Decision both = new Autoscaler(two).decide(2, ready, Map.of("rps", rps, "cpu", cpu), T0); // cpu proposes 1
    assertEquals(4, both.desired(), both::explain);
    assertEquals(List.of(4, 1), both.metrics().stream().map(Decision.MetricProposal::proposal).toList());

    Decision upWithOneFailed = new Autoscaler(two).decide(2, ready, Map.of("rps", rps,
        "cpu", MetricReading.failed("stats unavailable")), T0);
    assertEquals(4, upWithOneFailed.desired(), "a scale-up goes ahead without the failed metric");
    Decision downWithOneFailed = new Autoscaler(two).decide(2, ready, Map.of("rps", reading("2 2", T0),
        "cpu", MetricReading.failed("stats unavailable")), T0);
    assertEquals(2, downWithOneFailed.desired(), downWithOneFailed::explain);
    assertEquals("MetricsUnavailable", downWithOneFailed.reason());
    assertTrue(downWithOneFailed.explain().contains("cpu: unavailable (stats unavailable)"),
        downWithOneFailed::explain);
    Decision noneRead = new Autoscaler(two).decide(2, ready, Map.of(), T0);
    assertEquals("MetricsUnavailable", noneRead.reason());
  }

  @Test
  void utilizationIsUsageOverTheRequest() {
    AutoscalePolicy cpu = AutoscalePolicy.builder("web").maxReplicas(20).utilization("cpu", 50)
        .scaleDown(FREE_DOWN).build();
    // 0.4 of 0.5 cores each: 80% against 50%: ratio 1.6, ceil(1.6 x 2) = 4.
    Decision d = new Autoscaler(cpu).decide(2, replicas("x x"), Map.of("cpu", MetricReading.of(Map.of(
        "r0", new Sample(0.4, 0.5, T0), "r1", new Sample(0.4, 0.5, T0)))), T0);
    assertEquals(4, d.desired(), d::explain);
    assertEquals(80.0, d.metrics().get(0).average(), 1e-9);
  }

  @Test
  void theRatePoliciesAndTheBoundsLimitAChange() {
    Decision capped = decide(new Autoscaler(rps().maxReplicas(5).build()), 3, "40 40 40", T0);
    assertEquals(5, capped.desired(), capped::explain);
    assertEquals("TooManyReplicas", capped.reason());
    // ratio 10 wants 20; the default scale-up allows the larger of +100% and +4 per 15 s: 6.
    Autoscaler a = new Autoscaler(rps().build());
    Decision limited = decide(a, 2, "100 100", T0);
    assertEquals(6, limited.desired(), limited::explain);
    assertEquals("ScaleUpLimit", limited.reason());
    Decision sameWindow = decide(a, 6, "100 100 100 100 100 100", T0.plusSeconds(5));
    assertEquals(6, sameWindow.desired(), "the period's change is spent: " + sameWindow.explain());
    Decision nextPeriod = decide(a, 6, "100 100 100 100 100 100", T0.plusSeconds(16));
    assertEquals(12, nextPeriod.desired(), nextPeriod::explain);

    Autoscaler slowDown = new Autoscaler(rps().scaleDown(ScalingRules.of(Duration.ZERO,
        RatePolicy.pods(1, Duration.ofSeconds(60)))).build());
    Decision one = decide(slowDown, 6, "1 1 1 1 1 1", T0);
    assertEquals(5, one.desired(), one::explain);
    assertEquals("ScaleDownLimit", one.reason());
    assertEquals(5, decide(slowDown, 5, "1 1 1 1 1", T0.plusSeconds(30)).desired(), "one per minute");
    assertEquals(4, decide(slowDown, 5, "1 1 1 1 1", T0.plusSeconds(61)).desired());

    Autoscaler disabled = new Autoscaler(rps().scaleDown(ScalingRules.disabled()).build());
    assertEquals(6, decide(disabled, 6, "1 1 1 1 1 1", T0).desired(), "scale-down disabled");
  }

  @Test
  void aHeldScaleDownStopsAtTheFloorAndSpendsNoneOfTheRatePolicies() {
    Autoscaler a = new Autoscaler(rps().scaleDown(ScalingRules.of(Duration.ZERO,
        RatePolicy.pods(1, Duration.ofSeconds(60)))).build());
    Decision held = a.decide(6, 6, replicas("1 1 1 1 1 1"), Map.of("rps", reading("1 1 1 1 1 1", T0)), T0);
    assertEquals(6, held.desired(), held::explain);
    assertEquals("Held", held.reason());
    assertTrue(held.explain().contains("wanted 5, held at 6"), held::explain);

    Decision free = decide(a, 6, "1 1 1 1 1 1", T0.plusSeconds(1));
    assertEquals(5, free.desired(), () -> "the held one spent nothing of the one-per-minute policy: " + free.explain());
    Decision up = a.decide(2, 4, replicas("20 20"), Map.of("rps", reading("20 20", T0.plusSeconds(90))),
        T0.plusSeconds(90));
    assertEquals(4, up.desired(), () -> "a floor does not limit a scale-up: " + up.explain());
  }

  @Test
  void theScaleDownWindowHoldsTheHighestRecentRecommendationAndAFreshAutoscalerStartsIt() {
    Autoscaler a = new Autoscaler(rps().scaleDown(ScalingRules.defaultScaleDown()).build()); // 300 s window
    Decision first = decide(a, 4, "2 2 2 2", T0);
    assertEquals(4, first.desired(), "the window opens at the count first seen: " + first.explain());
    assertEquals("Stabilized", first.reason());
    Decision later = decide(a, 4, "2 2 2 2", T0.plusSeconds(200));
    assertEquals(4, later.desired(), later::explain);
    Decision after = decide(a, 4, "2 2 2 2", T0.plusSeconds(301));
    assertEquals(1, after.desired(), "300 s after the last higher recommendation: " + after.explain());

  }

  @Test
  void aRestartedAutoscalerGoesOnFromItsHistory() {
    AutoscalePolicy p = rps().scaleDown(ScalingRules.defaultScaleDown()).build();
    Autoscaler a = new Autoscaler(p);
    decide(a, 8, "10 10 10 10 10 10 10 10", T0); // recommends 8
    Autoscaler restarted = new Autoscaler(p, a.history());
    Decision d = decide(restarted, 8, "2 2 2 2 2 2 2 2", T0.plusSeconds(60));
    assertEquals(8, d.desired(), "the recommendation of 8 is still in the window: " + d.explain());
    Decision fresh = decide(new Autoscaler(p), 8, "2 2 2 2 2 2 2 2", T0.plusSeconds(60));
    assertEquals(8, fresh.desired(), "a fresh one opens the window at the current count");
    assertEquals(2, decide(restarted, 8, "2 2 2 2 2 2 2 2", T0.plusSeconds(301)).desired());
  }

  @Test
  void outOfBoundsIsBroughtBackAndZeroWaitsForACall() {
    assertEquals(10, decide(new Autoscaler(rps().maxReplicas(10).build()), 14, "10", T0).desired());
    assertEquals(2, decide(new Autoscaler(rps().minReplicas(2).build()), 1, "10", T0).desired());
    Decision zero = new Autoscaler(rps().minReplicas(0).build()).decide(0, Map.of(), Map.of(), T0);
    assertEquals(0, zero.desired());
    assertEquals("AtZero", zero.reason());
    Decision toZero = decide(new Autoscaler(rps().minReplicas(0).build()), 3, "0 0 0", T0);
    assertEquals(0, toZero.desired(), "no load and min 0: down to zero " + toZero.explain());
  }
}
