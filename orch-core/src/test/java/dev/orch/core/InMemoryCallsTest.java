package dev.orch.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.orch.api.spec.ContainerSpec;
import dev.orch.api.spec.IntOrPercent;
import dev.orch.api.spec.Probe;
import dev.orch.api.spec.Resources;
import dev.orch.api.spec.RolloutStrategy;
import dev.orch.api.spec.ServiceSpec;
import dev.orch.api.time.VirtualTimeSource;
import dev.orch.core.lb.Endpoint;
import dev.orch.core.lb.LoadBalancer;
import dev.orch.core.lb.Pickers;
import dev.orch.inmemory.InMemoryRuntime;
import dev.orch.inmemory.SimResponse;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/**
 * In memory, a replica can be called as a load balancer hands it out ({@code call(e.address(), e.port())}):
 * through a rolling update with drains, every request is answered, first by the old version, then the new.
 */
class InMemoryCallsTest {

  private static ServiceSpec web(String image) {
    return ServiceSpec.builder("web").replicas(3)
        .container(ContainerSpec.builder(image).port("http", 8080).requests("250m", "128Mi").build())
        .readiness(Probe.http("/ready", "http").withPeriod(Duration.ofMillis(500)))
        .rollout(new RolloutStrategy.RollingUpdate(IntOrPercent.of(1), IntOrPercent.of(0), Duration.ZERO,
            Duration.ofSeconds(60)))
        .build();
  }

  @Test
  void callsThroughALoadBalancerAreAnsweredThroughARollingUpdate() {
    VirtualTimeSource time = new VirtualTimeSource();
    try (InMemoryRuntime runtime = InMemoryRuntime.builder().timeSource(time).nodes(3, Resources.of("4", "8Gi"))
             .build();
         Orchestrator orch = Orchestrator.builder().runtime(runtime).timeSource(time)
             .terminationGrace(Duration.ofSeconds(1)).build()) {
      orch.apply(web("web:1"));
      time.advance(Duration.ofSeconds(5));
      Map<String, Integer> answeredBy = new HashMap<>();
      int failed = 0;
      try (LoadBalancer lb = orch.loadBalancer("web").picker(Pickers.roundRobin()).build()) {
        orch.apply(web("web:2"));
        for (int i = 0; i < 400; i++) {
          Endpoint e = lb.pick();
          CompletableFuture<SimResponse> f = runtime.get(e.address(), e.port(), "/").toCompletableFuture();
          boolean ok = f.isDone() && !f.isCompletedExceptionally() && f.join().isSuccess();
          lb.report(e, ok, 0);
          if (ok) {
            answeredBy.merge(f.join().body(), 1, Integer::sum);
          } else {
            failed++;
          }
          time.advance(Duration.ofMillis(50));
        }
      }
      assertEquals(0, failed, "no request fails through the update: " + answeredBy);
      assertTrue(answeredBy.getOrDefault("web:1", 0) > 0 && answeredBy.getOrDefault("web:2", 0) > 0,
          answeredBy::toString);
      assertTrue(orch.status("web").orElseThrow().isReady());
    }
  }
}
