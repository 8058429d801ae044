package dev.orch.core;

import dev.orch.api.spec.AutoscalePolicy;
import dev.orch.api.spec.AutoscalePolicy.RatePolicy;
import dev.orch.api.spec.AutoscalePolicy.ScalingRules;
import dev.orch.api.spec.ContainerSpec;
import dev.orch.api.spec.Resources;
import dev.orch.api.spec.ServiceSpec;
import dev.orch.api.time.VirtualTimeSource;
import dev.orch.core.engine.AutoscaleOperations;
import dev.orch.core.lb.Endpoint;
import dev.orch.core.lb.LoadBalancer;
import dev.orch.inmemory.Behaviors;
import dev.orch.inmemory.InMemoryRuntime;
import dev.orch.inmemory.RequestModel;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;

/**
 * Under any load curve (steps of a steady number of requests a second through the orchestrator's balancer), on
 * virtual time, the autoscaled replica count stays within its bounds, moves in one direction only within a step
 * (no oscillation), settles within a bounded time of each step on the count the target gives (or one the load is
 * within the tolerance of, which the HPA keeps), and then does not move while the load is steady; no request
 * fails.
 */
class AutoscalingLoadProperties {
  private static final int TARGET = 5;
  private static final int MAX = 10;
  /** The policy's tolerance (the default). */
  private static final double TOLERANCE = 0.1;
  private static final int STEP_SECONDS = 120;
  /**
   * Long enough for a scale-down, which may take two windows of 30 s: the first sync after a step reads a rate
   * that straddles it, and its recommendation (between the old count and the new) holds for a window of its own.
   */
  private static final int SETTLE_SECONDS = 75;

  @Property(tries = 20)
  void theCountFollowsASteadyLoadAndStaysPutWhileItIsSteady(
      @ForAll @Size(min = 2, max = 4) List<@IntRange(min = 0, max = 10) Integer> levels) {
    VirtualTimeSource time = new VirtualTimeSource();
    InMemoryRuntime runtime = InMemoryRuntime.builder().timeSource(time).nodes(3, Resources.of("8", "16Gi"))
        .behavior("web:1", Behaviors.serving(Behaviors.runForever(), RequestModel.builder().build())).build();
    Orchestrator orch = Orchestrator.builder().runtime(runtime).timeSource(time)
        .terminationGrace(Duration.ofSeconds(1)).build();
    try (runtime; orch; LoadBalancer lb = start(orch, time)) {
      AtomicInteger failed = new AtomicInteger();
      for (int level : levels) {
        int rate = level * TARGET;
        List<Integer> counts = new ArrayList<>();
        for (int s = 0; s < STEP_SECONDS; s++) {
          for (int tick = 0; tick < 10; tick++) {
            int n = (tick + 1) * rate / 10 - tick * rate / 10; // rate a second, spread over the ticks
            for (int i = 0; i < n; i++) {
              Endpoint e = lb.pick();
              runtime.get(e.address(), e.port(), "/").toCompletableFuture().whenComplete((r, x) -> {
                boolean ok = x == null && r.status() == 200;
                lb.report(e, ok, Duration.ZERO);
                if (!ok) {
                  failed.incrementAndGet();
                }
              });
            }
            time.advance(Duration.ofMillis(100));
          }
          int count = orch.spec("web").orElseThrow().replicas();
          if (count < 1 || count > MAX) {
            throw new AssertionError("count " + count + " outside 1.." + MAX + " at level " + level);
          }
          counts.add(count);
        }
        int expected = Math.max(1, Math.min(MAX, level));
        int direction = 0;
        for (int t = 1; t < counts.size(); t++) {
          int step = Integer.signum(counts.get(t) - counts.get(t - 1));
          if (step != 0 && direction != 0 && step != direction) {
            throw new AssertionError("the count turned back while the load was steady at " + rate
                + " requests a second: " + counts);
          }
          direction = step == 0 ? direction : step;
        }
        List<Integer> settled = counts.subList(SETTLE_SECONDS, STEP_SECONDS);
        int first = settled.get(0);
        if (settled.stream().anyMatch(c -> c != first) || !fits(first, rate, expected)) {
          throw new AssertionError(rate + " requests a second at " + TARGET + " per replica: " + expected
              + " replicas (or a count the load is within tolerance of), steady, from " + SETTLE_SECONDS
              + " s into the step; per second: " + counts + "; decisions: " + orch.autoscaling().decisions("web"));
        }
      }
      if (failed.get() != 0) {
        throw new AssertionError(failed.get() + " requests failed");
      }
    }
  }

  /** Whether {@code count} follows {@code rate}: the count the target gives, or one the load is within tolerance of. */
  private static boolean fits(int count, int rate, int expected) {
    return count == expected || count >= 1 && count <= MAX
        && Math.abs(1.0 - (double) rate / (count * TARGET)) <= TOLERANCE + 1e-9;
  }

  private static LoadBalancer start(Orchestrator orch, VirtualTimeSource time) {
    orch.apply(ServiceSpec.builder("web").replicas(1).container(ContainerSpec.builder("web:1").port("http", 8080)
        .build()).build());
    orch.autoscaling().apply(AutoscalePolicy.builder("web").minReplicas(1).maxReplicas(MAX)
        .averageValue(AutoscaleOperations.REQUESTS_PER_SECOND, TARGET).syncPeriod(Duration.ofSeconds(5))
        .scaleDown(ScalingRules.of(Duration.ofSeconds(30), RatePolicy.percent(100, Duration.ofSeconds(15))))
        .build());
    for (int i = 0; i < 50 && orch.status("web").map(s -> s.ready() < 1).orElse(true); i++) {
      time.advance(Duration.ofMillis(100));
    }
    return orch.loadBalancer("web").build();
  }
}
