package dev.orch.core.autoscale;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.orch.api.spec.AutoscalePolicy;
import dev.orch.api.spec.AutoscalePolicy.RatePolicy;
import dev.orch.api.spec.AutoscalePolicy.ScalingRules;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.statistics.Statistics;

/**
 * The autoscaler's invariants, over random policies and random load curves decided every sync period: the count
 * never leaves [min, max]; it does not change while every replica reports within tolerance of the target; a
 * scale-down never goes below a recommendation of the scale-down window, nor removes more within a period than
 * the policy allows; the same inputs give the same decisions; and under a steady load the count settles and then
 * stays put.
 */
class AutoscalerProperties {
  private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");
  private static final Duration SYNC = Duration.ofSeconds(15);
  private static final double TARGET = 10;

  private static AutoscalePolicy policy(Random r) {
    int min = r.nextInt(4);
    int max = Math.max(1, min) + r.nextInt(20);
    int down = 1 + r.nextInt(3);
    return AutoscalePolicy.builder("web").minReplicas(min).maxReplicas(max).averageValue("rps", TARGET)
        .tolerance(r.nextInt(3) * 0.05)
        .scaleUp(ScalingRules.of(Duration.ofSeconds(r.nextInt(3) * 30L), RatePolicy.percent(100, SYNC),
            RatePolicy.pods(4, SYNC)))
        .scaleDown(ScalingRules.of(Duration.ofSeconds(r.nextInt(4) * 60L), RatePolicy.pods(down,
            Duration.ofSeconds(60))))
        .build();
  }

  /** Replicas r0..r(n-1), all ready, sharing {@code load} evenly (each reports load / n). */
  private static Decision step(Autoscaler a, int current, double load, Instant now) {
    Map<String, Boolean> replicas = new LinkedHashMap<>();
    Map<String, Sample> samples = new LinkedHashMap<>();
    for (int i = 0; i < current; i++) {
      replicas.put("r" + i, true);
      samples.put("r" + i, Sample.of(load / current, now));
    }
    return a.decide(current, replicas, Map.of("rps", MetricReading.of(samples)), now);
  }

  /** Decides every sync period for {@code steps} periods under {@code load(step)}; returns the decisions. */
  private static List<Decision> run(Autoscaler a, int start, java.util.function.IntToDoubleFunction load, int steps) {
    List<Decision> out = new ArrayList<>();
    int current = start;
    for (int i = 0; i < steps; i++) {
      Decision d = step(a, current, load.applyAsDouble(i), T0.plus(SYNC.multipliedBy(i)));
      out.add(d);
      current = d.desired();
    }
    return out;
  }

  @Property(tries = 300)
  void decisionsStayWithinBoundsRespectTheWindowAndTheRateAndRepeat(@ForAll long seed) {
    Random r = new Random(seed);
    AutoscalePolicy p = policy(r);
    int start = p.minReplicas() + r.nextInt(p.maxReplicas() - p.minReplicas() + 1);
    double[] curve = new double[80];
    for (int i = 0; i < curve.length; i++) {
      curve[i] = r.nextInt(5) == 0 ? 0 : r.nextDouble() * TARGET * p.maxReplicas() * 1.5;
    }
    List<Decision> decisions = run(new Autoscaler(p), Math.max(start, 1), i -> curve[i], curve.length);
    assertEquals(decisions, run(new Autoscaler(p), Math.max(start, 1), i -> curve[i], curve.length),
        "the same inputs give the same decisions");
    Duration window = p.scaleDown().stabilizationWindow();
    RatePolicy rate = p.scaleDown().policies().get(0);
    boolean scaledDown = false;
    for (int i = 0; i < decisions.size(); i++) {
      Decision d = decisions.get(i);
      if (d.current() >= p.minReplicas() && d.current() <= p.maxReplicas()) {
        assertTrue(d.desired() >= p.minReplicas() && d.desired() <= p.maxReplicas(), d::explain);
      }
      if (d.desired() < d.current()) {
        scaledDown = true;
        for (Decision earlier : decisions.subList(0, i + 1)) {
          if (earlier.at().isAfter(d.at().minus(window)) && earlier.current() > 0) {
            assertTrue(d.desired() >= earlier.proposal(),
                () -> "below a recommendation of the window: " + earlier.explain() + " then " + d.explain());
          }
        }
        int removed = 0;
        int added = 0;
        for (Decision earlier : decisions.subList(0, i + 1)) {
          if (earlier.at().isAfter(d.at().minus(rate.period()))) {
            removed += Math.max(0, earlier.current() - earlier.desired());
            added += Math.max(0, earlier.desired() - earlier.current());
          }
        }
        int allowed = rate.value() + added; // from the count at the period's start, as Kubernetes counts
        int was = removed;
        assertTrue(removed <= allowed, () -> was + " removed within " + rate.period() + ", at most " + allowed
            + ": " + d.explain());
      }
    }
    Statistics.label("scaled down").collect(scaledDown);
  }

  @Property(tries = 200)
  void noChangeWithinTolerance(@ForAll @IntRange(min = 1, max = 20) int current,
                               @ForAll @IntRange(min = -9, max = 9) int offPercent) {
    AutoscalePolicy p = AutoscalePolicy.builder("web").maxReplicas(40).averageValue("rps", TARGET).build();
    double perReplica = TARGET * (1 + offPercent / 100.0); // within the default 0.1
    Decision d = step(new Autoscaler(p), current, perReplica * current, T0);
    assertEquals(current, d.desired(), d::explain);
  }

  @Property(tries = 100)
  void underASteadyLoadTheCountSettlesAndStays(@ForAll long seed) {
    Random r = new Random(seed);
    AutoscalePolicy p = policy(r);
    double load = r.nextDouble() * TARGET * p.maxReplicas();
    int start = Math.max(1, p.minReplicas() + r.nextInt(p.maxReplicas() - p.minReplicas() + 1));
    // 120 periods (30 min) to settle (at most 22 replicas, one a minute down, a window of 3 min), then 40 more.
    List<Decision> decisions = run(new Autoscaler(p), start, i -> load, 160);
    int settled = decisions.get(120).current();
    for (Decision d : decisions.subList(120, 160)) {
      assertEquals(settled, d.desired(), () -> "steady load " + load + ": " + d.explain());
    }
    int ideal = Math.max(p.minReplicas(), Math.min(p.maxReplicas(), (int) Math.ceil(load / TARGET)));
    assertTrue(Math.abs(settled - ideal) <= Math.max(1, ideal * p.tolerance() + 1),
        () -> "settled at " + settled + " for an ideal " + ideal);
  }
}
