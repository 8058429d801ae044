package dev.orch.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A load replayed on virtual time through the orchestrator's balancer, in memory: it rises step by step, then
 * stops. The replicas rise with it, hold through the scale-down window once it stops, then fall to the minimum,
 * and no request fails; the same from zero, where the first call wakes the service and waits for it.
 */
class AutoscalingReplayTest {
  /** Requests per second, each for 30 s: a rising load, then none. */
  private static final int[] CURVE = {10, 20, 30, 0, 0, 0};
  private static final int STEP_SECONDS = 30;
  private static final Duration WINDOW = Duration.ofSeconds(30);

  private final VirtualTimeSource time = new VirtualTimeSource();
  private final InMemoryRuntime runtime = InMemoryRuntime.builder().timeSource(time).nodes(3, Resources.of("8",
      "16Gi")).behavior("web:1", Behaviors.serving(Behaviors.runForever(), RequestModel.builder().build())).build();
  private final Orchestrator orch = Orchestrator.builder().runtime(runtime).timeSource(time)
      .terminationGrace(Duration.ofSeconds(1)).build();

  @AfterEach
  void close() {
    orch.close();
    runtime.close();
  }

  @ParameterizedTest(name = "from {0} replicas")
  @ValueSource(ints = {1, 0})
  void replicasRiseWithTheLoadThenFallAfterTheWindowAndNoRequestFails(int min) {
    orch.apply(ServiceSpec.builder("web").replicas(min).container(ContainerSpec.builder("web:1")
        .port("http", 8080).build()).build());
    orch.autoscaling().apply(AutoscalePolicy.builder("web").minReplicas(min).maxReplicas(10)
        .averageValue(AutoscaleOperations.REQUESTS_PER_SECOND, 5).syncPeriod(Duration.ofSeconds(5))
        .scaleDown(ScalingRules.of(WINDOW, RatePolicy.percent(100, Duration.ofSeconds(15)))).build());
    advance(10);
    assertEquals(min, replicas());

    AtomicInteger failed = new AtomicInteger();
    AtomicInteger served = new AtomicInteger();
    List<Integer> perSecond = new ArrayList<>();
    int sent = 0;
    try (LoadBalancer lb = orch.loadBalancer("web").build()) {
      for (int rate : CURVE) {
        for (int s = 0; s < STEP_SECONDS; s++) {
          for (int tick = 0; tick < 10; tick++) {
            for (int i = 0; i < rate / 10; i++) {
              send(lb, failed, served);
              sent++;
            }
            time.advance(Duration.ofMillis(100));
          }
          perSecond.add(replicas());
        }
      }
      advance(60);
    }
    assertEquals(0, failed.get(), "no request failed, the first ones from zero included");
    assertEquals(sent, served.get(), "every request was served");

    int rise = 3 * STEP_SECONDS;
    for (int t = 1; t < rise; t++) {
      assertTrue(perSecond.get(t) >= perSecond.get(t - 1), "rising load, never fewer replicas: " + perSecond);
    }
    // 10, 20, 30 requests a second at 5 per replica: 2, 4, 6 by the end of each step.
    assertEquals(List.of(2, 4, 6), List.of(perSecond.get(STEP_SECONDS - 1), perSecond.get(2 * STEP_SECONDS - 1),
        perSecond.get(rise - 1)), perSecond::toString);
    int held = (int) WINDOW.toSeconds() - 5; // the window, less one sync period's rounding
    for (int t = rise; t < rise + held; t++) {
      assertEquals(6, perSecond.get(t), "the load stopped; the window holds the count: " + perSecond);
    }
    assertEquals(min, replicas(), () -> "then down to the minimum: " + orch.autoscaling().decisions("web"));
  }

  /** One request through {@code lb}, waiting (bounded) for an endpoint when the service has none. */
  private void send(LoadBalancer lb, AtomicInteger failed, AtomicInteger served) {
    lb.pickAsync(Duration.ofSeconds(30)).thenCompose((Endpoint e) -> runtime
        .get(e.address(), e.port(), "/").toCompletableFuture().whenComplete((r, x) ->
            lb.report(e, x == null && r.status() == 200, Duration.ZERO)))
        .whenComplete((r, x) -> (x == null && r.status() == 200 ? served : failed).incrementAndGet());
  }

  private void advance(int seconds) {
    for (int i = 0; i < seconds * 10; i++) {
      time.advance(Duration.ofMillis(100));
    }
  }

  private int replicas() {
    return orch.spec("web").orElseThrow().replicas();
  }
}
