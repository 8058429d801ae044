package dev.orch.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.orch.api.spec.AutoscalePolicy;
import dev.orch.api.spec.AutoscalePolicy.RatePolicy;
import dev.orch.api.spec.AutoscalePolicy.ScalingRules;
import dev.orch.api.spec.ContainerSpec;
import dev.orch.api.spec.Resources;
import dev.orch.api.spec.ServiceSpec;
import dev.orch.api.time.VirtualTimeSource;
import dev.orch.core.autoscale.Decision;
import dev.orch.core.autoscale.MetricReading;
import dev.orch.core.autoscale.Sample;
import dev.orch.core.lb.Endpoint;
import dev.orch.core.lb.LoadBalancer;
import dev.orch.inmemory.Behaviors;
import dev.orch.inmemory.InMemoryRuntime;
import dev.orch.inmemory.RequestModel;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The orchestrator's autoscaling on virtual time, in memory: a load through the balancer whose requests cost CPU
 * raises the CPU utilization and the service scales up to share it, then, once the load stops, down after the
 * window, with no failed request; a manual scale is refused unless autoscaling is paused; an apply keeps the
 * autoscaler's count; a metric of the user's own drives it too.
 */
class AutoscalingTest {
  private final VirtualTimeSource time = new VirtualTimeSource();
  private final SimpleMeterRegistry meters = new SimpleMeterRegistry();
  private final InMemoryRuntime runtime = InMemoryRuntime.builder().timeSource(time).nodes(3, Resources.of("8",
      "16Gi")).behavior("web:1", Behaviors.serving(Behaviors.runForever(), RequestModel.builder()
      .cpuPerRequest(Duration.ofMillis(100)).build())).build();
  private final dev.orch.core.state.InMemoryStateStore store = new dev.orch.core.state.InMemoryStateStore();
  private Orchestrator orch = newOrchestrator();

  private Orchestrator newOrchestrator() {
    return Orchestrator.builder().runtime(runtime).timeSource(time).meterRegistry(meters).stateStore(store)
        .terminationGrace(Duration.ofSeconds(1)).build();
  }

  @AfterEach
  void close() {
    orch.close();
    runtime.close();
  }

  private static ServiceSpec web(int replicas) {
    return ServiceSpec.builder("web").replicas(replicas).container(ContainerSpec.builder("web:1")
        .port("http", 8080).requests("500m", "64Mi").build()).build();
  }

  /** CPU at 50% of the request, a decision every 5 s, down only after a 30 s window. */
  private static AutoscalePolicy policy() {
    return AutoscalePolicy.builder("web").minReplicas(1).maxReplicas(5).utilization("cpu", 50)
        .syncPeriod(Duration.ofSeconds(5))
        .scaleDown(ScalingRules.of(Duration.ofSeconds(30), RatePolicy.percent(100, Duration.ofSeconds(15))))
        .build();
  }

  /** {@code seconds} of virtual time, with 10 requests a second through {@code lb} when {@code lb} is not null. */
  private void run(int seconds, LoadBalancer lb, AtomicInteger failed, AtomicInteger served) {
    for (int i = 0; i < seconds * 10; i++) {
      if (lb != null) {
        Endpoint e = lb.pick();
        runtime.get(e.address(), e.port(), "/").toCompletableFuture()
            .whenComplete((r, x) -> {
              lb.report(e, x == null && r.status() == 200, Duration.ZERO);
              (x == null ? served : failed).incrementAndGet();
            });
      }
      time.advance(Duration.ofMillis(100));
    }
  }

  @Test
  void aCpuLoadScalesTheServiceUpAndItsEndScalesItDownAfterTheWindow() {
    orch.apply(web(1));
    orch.autoscaling().apply(policy());
    run(5, null, null, null);
    AtomicInteger failed = new AtomicInteger();
    AtomicInteger served = new AtomicInteger();
    try (LoadBalancer lb = orch.loadBalancer("web").build()) {
      run(60, lb, failed, served); // 1 core of load against 0.5 cores requested per replica at 50%: 4 replicas
      assertEquals(4, orch.spec("web").orElseThrow().replicas(), () -> orch.autoscaling().decisions("web")
          .toString());
      assertEquals(4, orch.status("web").orElseThrow().ready());
      run(20, lb, failed, served);
      assertEquals(4, orch.spec("web").orElseThrow().replicas(), "steady load: no change");
    }
    assertEquals(0, failed.get(), "no request failed while the service scaled");
    assertTrue(served.get() >= 700, () -> "served " + served);
    run(20, null, null, null);
    assertEquals(4, orch.spec("web").orElseThrow().replicas(), "the load stopped, the window holds the count");
    run(40, null, null, null);
    assertEquals(1, orch.spec("web").orElseThrow().replicas(), () -> orch.autoscaling().decisions("web")
        .toString());
    assertTrue(orch.events().recent().stream().anyMatch(e -> e.reason().equals("Scaled")
        && e.message().contains("cpu")));
    Condition autoscaling = orch.status("web").orElseThrow().conditions().stream()
        .filter(c -> c.type().equals("Autoscaling")).findFirst().orElseThrow();
    assertTrue(autoscaling.message().contains("cpu") && autoscaling.message().contains("target 50"),
        autoscaling::message);
    assertTrue(meters.get("orch.autoscaler.decisions").tags("service", "web", "reason", "ScaleUp").counter()
        .count() >= 1);
  }

  @Test
  void requestsPerSecondThroughTheBalancerScaleItToo() {
    orch.apply(web(1));
    orch.autoscaling().apply(AutoscalePolicy.builder("web").maxReplicas(8)
        .averageValue(dev.orch.core.engine.AutoscaleOperations.REQUESTS_PER_SECOND, 2.5)
        .syncPeriod(Duration.ofSeconds(5)).build());
    run(5, null, null, null);
    AtomicInteger failed = new AtomicInteger();
    AtomicInteger served = new AtomicInteger();
    try (LoadBalancer lb = orch.loadBalancer("web").build()) {
      run(60, lb, failed, served); // 10 requests a second at 2.5 per replica: 4
    }
    assertEquals(4, orch.spec("web").orElseThrow().replicas(), () -> orch.autoscaling().decisions("web")
        .toString());
    assertEquals(0, failed.get());
  }

  @Test
  void twoAutoscaledServicesEachKeepTheirOwnReadings() {
    orch.apply(web(1));
    orch.apply(ServiceSpec.builder("api").replicas(1).container(ContainerSpec.builder("web:1").port("http", 8080)
        .requests("500m", "64Mi").build()).build());
    for (String service : List.of("web", "api")) {
      orch.autoscaling().apply(AutoscalePolicy.builder(service).maxReplicas(8)
          .averageValue(dev.orch.core.engine.AutoscaleOperations.REQUESTS_PER_SECOND, 2.5)
          .utilization("cpu", 1000).syncPeriod(Duration.ofSeconds(5)).build());
    }
    run(5, null, null, null);
    AtomicInteger failed = new AtomicInteger();
    try (LoadBalancer web = orch.loadBalancer("web").build(); LoadBalancer api = orch.loadBalancer("api").build()) {
      for (int i = 0; i < 600; i++) { // 60 s of 10 requests a second to each
        for (LoadBalancer lb : List.of(web, api)) {
          Endpoint e = lb.pick();
          runtime.get(e.address(), e.port(), "/").toCompletableFuture().whenComplete((r, x) -> {
            lb.report(e, x == null && r.status() == 200, Duration.ZERO);
            if (x != null) {
              failed.incrementAndGet();
            }
          });
        }
        time.advance(Duration.ofMillis(100));
      }
    }
    // One service's sync must not forget the other's last readings: each needs two in a row for a rate.
    assertEquals(4, orch.spec("web").orElseThrow().replicas(), () -> orch.autoscaling().decisions("web").toString());
    assertEquals(4, orch.spec("api").orElseThrow().replicas(), () -> orch.autoscaling().decisions("api").toString());
    assertEquals(0, failed.get());
  }

  @Test
  void aRestartedOrchestratorGoesOnWithThePolicyItsWindowAndItsPause() {
    orch.apply(web(1));
    orch.autoscaling().apply(policy());
    run(5, null, null, null);
    AtomicInteger failed = new AtomicInteger();
    try (LoadBalancer lb = orch.loadBalancer("web").build()) {
      run(60, lb, failed, new AtomicInteger());
    }
    assertEquals(4, orch.spec("web").orElseThrow().replicas());
    run(25, null, null, null); // the load stops; the 30 s window holds 4 until 30 s after it
    assertEquals(4, orch.spec("web").orElseThrow().replicas());
    orch.close();
    orch = newOrchestrator();
    assertEquals(policy(), orch.autoscaling().get("web").orElseThrow(), "the policy is kept in the store");
    run(20, null, null, null);
    // The window went on from before the restart: a fresh one would open at the restart and hold 4 for 30 s.
    assertEquals(1, orch.spec("web").orElseThrow().replicas(), () -> orch.autoscaling().decisions("web")
        .toString());
    orch.autoscaling().pause("web");
    orch.close();
    orch = newOrchestrator();
    orch.scale("web", 3); // refused unless the pause is kept
    run(30, null, null, null);
    assertEquals(3, orch.spec("web").orElseThrow().replicas(), "paused before the restart, paused after it");
    orch.autoscaling().resume("web");
    assertTrue(orch.autoscaling().delete("web"));
    orch.close();
    orch = newOrchestrator();
    assertTrue(orch.autoscaling().get("web").isEmpty(), "a deleted policy is gone from the store");
  }

  @Test
  void aServiceAtZeroWakesOnAWaitingPickAndGoesBackToZeroWhenIdle() {
    orch.apply(web(0));
    orch.autoscaling().apply(AutoscalePolicy.builder("web").minReplicas(0).maxReplicas(4)
        .averageValue(dev.orch.core.engine.AutoscaleOperations.REQUESTS_PER_SECOND, 5)
        .syncPeriod(Duration.ofSeconds(5))
        .scaleDown(ScalingRules.of(Duration.ofSeconds(30), RatePolicy.percent(100, Duration.ofSeconds(15))))
        .build());
    run(10, null, null, null);
    assertEquals(0, orch.spec("web").orElseThrow().replicas());
    try (LoadBalancer lb = orch.loadBalancer("web").build()) {
      assertThrows(dev.orch.core.lb.NoAvailableEndpointException.class, lb::pick, "a plain pick does not wait");
      CompletableFuture<Endpoint> waiting = lb.pickAsync(Duration.ofSeconds(30));
      for (int i = 0; i < 100 && !waiting.isDone(); i++) {
        time.advance(Duration.ofMillis(100));
      }
      assertTrue(waiting.isDone() && !waiting.isCompletedExceptionally(), () -> "woken within 10 s: "
          + orch.status("web"));
      Endpoint e = waiting.join();
      assertEquals(200, runtime.get(e.address(), e.port(), "/").toCompletableFuture().join().status());
      lb.report(e, true, Duration.ZERO);
      assertTrue(orch.events().recent().stream().anyMatch(x -> x.reason().equals("Woken")));
    }
    run(60, null, null, null); // idle past the window: back to zero
    assertEquals(0, orch.spec("web").orElseThrow().replicas(), () -> orch.autoscaling().decisions("web")
        .toString());
    orch.autoscaling().pause("web");
    try (LoadBalancer lb = orch.loadBalancer("web").build()) {
      CompletableFuture<Endpoint> paused = lb.pickAsync(Duration.ofSeconds(2));
      for (int i = 0; i < 30; i++) {
        time.advance(Duration.ofMillis(100));
      }
      assertTrue(paused.isCompletedExceptionally(), "paused: nothing wakes it, and the pick fails at its bound");
      assertEquals(0, orch.spec("web").orElseThrow().replicas());
    }
  }

  @Test
  void duringARolloutItDoesNotScaleDown() {
    dev.orch.api.spec.RolloutStrategy canary = dev.orch.api.spec.RolloutStrategy.canary().setWeight(25).pause()
        .build();
    orch.apply(web(4).toBuilder().rollout(canary).build());
    run(5, null, null, null);
    ServiceSpec v2 = web(4).toBuilder().rollout(canary).container(ContainerSpec.builder("web:1")
        .port("http", 8080).requests("500m", "64Mi").env("V", "2").build()).build();
    orch.apply(v2); // the canary pauses at 25%
    run(5, null, null, null);
    assertEquals(RolloutStatus.Phase.PAUSED, orch.status("web").orElseThrow().rollout().phase());
    orch.autoscaling().apply(policy()); // no load: it would go down to 1
    run(60, null, null, null);
    assertEquals(4, orch.spec("web").orElseThrow().replicas(), "held while the rollout runs");
    assertTrue(orch.status("web").orElseThrow().conditions().stream().anyMatch(c -> c.type().equals("Autoscaling")
        && c.reason().equals("RolloutInProgress")));
    orch.resume("web");
    run(60, null, null, null);
    assertEquals(RolloutStatus.Phase.COMPLETE, orch.status("web").orElseThrow().rollout().phase());
    assertEquals(1, orch.spec("web").orElseThrow().replicas(), "once it is done, down it goes");
  }

  @Test
  void duringACanaryAScaleUpSetsTheTotalAndTheCanaryKeepsItsShare() {
    dev.orch.api.spec.RolloutStrategy canary = dev.orch.api.spec.RolloutStrategy.canary().setWeight(25).pause()
        .build();
    orch.apply(web(4).toBuilder().rollout(canary).build());
    run(5, null, null, null);
    orch.apply(web(4).toBuilder().rollout(canary).container(ContainerSpec.builder("web:1").port("http", 8080)
        .requests("500m", "64Mi").env("V", "2").build()).build()); // the canary pauses at 25%: 1 of 4
    run(5, null, null, null);
    RolloutStatus before = orch.status("web").orElseThrow().rollout();
    assertEquals(RolloutStatus.Phase.PAUSED, before.phase());
    AtomicInteger backlog = new AtomicInteger(80);
    io.micrometer.core.instrument.Gauge.builder("jobs.backlog", backlog, AtomicInteger::get).tag("service", "web")
        .register(meters);
    orch.autoscaling().apply(AutoscalePolicy.builder("web").maxReplicas(8).averageValue("jobs.backlog", 10)
        .syncPeriod(Duration.ofSeconds(5)).build()); // 80 waiting, 10 per replica: 8
    run(30, null, null, null);
    ServiceStatus st = orch.status("web").orElseThrow();
    assertEquals(8, st.desired(), () -> orch.autoscaling().decisions("web").toString());
    RolloutStatus.Counts canaryCounts = st.rollout().revisions().get(st.rollout().revision());
    RolloutStatus.Counts stableCounts = st.rollout().revisions().get(st.rollout().stable());
    assertEquals(RolloutStatus.Phase.PAUSED, st.rollout().phase(), "still paused at its step");
    // Orch's canary keeps the stable revision at the service's count and adds the canary's share of it (as
    // Argo Rollouts does with traffic routing): 4 + 1 before, 8 + 2 after, and 25% of the traffic throughout.
    assertEquals(List.of(1, 4), List.of(before.revisions().get(before.revision()).desired(),
        before.revisions().get(before.stable()).desired()), before::toString);
    assertEquals(2, canaryCounts.desired(), () -> "25% of 8: " + st.rollout());
    assertEquals(8, stableCounts.desired(), () -> "the stable revision at the new total: " + st.rollout());
    assertEquals(before.weights(), st.rollout().weights(), "the traffic split stays at its step");
    assertEquals(10, st.ready(), st::toString);
  }

  @Test
  void aManualScaleIsRefusedUnlessPausedAndAnApplyKeepsTheAutoscalersCount() {
    orch.apply(web(2));
    orch.autoscaling().apply(policy());
    IllegalStateException refused = assertThrows(IllegalStateException.class, () -> orch.scale("web", 3));
    assertTrue(refused.getMessage().contains("autoscaled"), refused::getMessage);
    orch.apply(web(5));
    assertEquals(2, orch.spec("web").orElseThrow().replicas(), "an apply keeps the count the autoscaler set");
    orch.autoscaling().pause("web");
    orch.scale("web", 3);
    assertEquals(3, orch.spec("web").orElseThrow().replicas());
    orch.autoscaling().resume("web");
    assertTrue(orch.autoscaling().delete("web"));
    orch.scale("web", 1);
    assertEquals(1, orch.spec("web").orElseThrow().replicas());
  }

  @Test
  void aMetricOfTheUsersOwnDrivesIt() {
    orch.apply(web(2));
    Map<String, Double> queue = new HashMap<>();
    orch.autoscaling().metricSource("queue-depth", (service, metric, replicas) -> {
      Map<String, Sample> samples = new HashMap<>();
      replicas.forEach(r -> samples.put(r, Sample.of(queue.getOrDefault("depth", 0.0) / replicas.size(),
          time.now())));
      return CompletableFuture.completedFuture(MetricReading.of(samples));
    });
    orch.autoscaling().apply(AutoscalePolicy.builder("web").maxReplicas(8).averageValue("queue-depth", 10)
        .syncPeriod(Duration.ofSeconds(5)).build());
    queue.put("depth", 60.0); // 60 waiting, 10 per replica: 6
    run(15, null, null, null);
    assertEquals(6, orch.spec("web").orElseThrow().replicas(), () -> orch.autoscaling().decisions("web")
        .toString());
    List<Decision> decisions = orch.autoscaling().decisions("web");
    assertTrue(decisions.get(decisions.size() - 1).explain().contains("queue-depth"));
  }

  @Test
  void aMicrometerMeterInTheOrchestratorsRegistryDrivesItWithNoSourceRegistered() {
    orch.apply(web(1));
    AtomicInteger backlog = new AtomicInteger(50);
    io.micrometer.core.instrument.Gauge.builder("jobs.backlog", backlog, AtomicInteger::get).tag("service", "web")
        .register(meters);
    orch.autoscaling().apply(AutoscalePolicy.builder("web").maxReplicas(8).averageValue("jobs.backlog", 10)
        .syncPeriod(Duration.ofSeconds(5)).build());
    run(30, null, null, null); // 50 waiting, 10 per replica: 5
    assertEquals(5, orch.spec("web").orElseThrow().replicas(), () -> orch.autoscaling().decisions("web")
        .toString());
    List<Decision> decisions = orch.status("web").orElseThrow().autoscaling();
    assertTrue(decisions.get(decisions.size() - 1).explain().contains("jobs.backlog 10.0 per replica, target 10.0"),
        () -> "the status lists the decisions with their numbers: " + decisions);
  }

  @Test
  void theLatencyQuantileOfTheTrafficThroughTheBalancerDrivesIt() {
    orch.apply(web(1));
    orch.autoscaling().apply(AutoscalePolicy.builder("web").maxReplicas(8)
        .averageValue(dev.orch.core.engine.AutoscaleOperations.LATENCY_P99, 0.2).syncPeriod(Duration.ofSeconds(5))
        .build());
    run(5, null, null, null);
    try (LoadBalancer lb = orch.loadBalancer("web").build()) {
      for (int i = 0; i < 600; i++) { // 60 s; the latency clients see falls as replicas share the load
        Endpoint e = lb.pick();
        lb.report(e, true, Duration.ofMillis(800 / lb.members().ready().size()));
        time.advance(Duration.ofMillis(100));
      }
    }
    // 1 replica: 0.8 s at p99 against 0.2: 4 replicas, where it is 0.2 s.
    assertEquals(4, orch.spec("web").orElseThrow().replicas(), () -> orch.autoscaling().decisions("web")
        .toString());
    assertTrue(orch.autoscaling().decisions("web").stream().anyMatch(d -> d.reason().equals("ScaleUp")
        && Math.abs(d.metrics().get(0).average() - 0.8) < 0.8 * 0.02), // the histogram's error is under 2%
        () -> orch.autoscaling().decisions("web").toString());
  }
}
