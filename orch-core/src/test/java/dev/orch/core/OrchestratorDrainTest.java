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
import dev.orch.core.lb.Pickers;
import dev.orch.inmemory.InMemoryRuntime;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A replica leaves the endpoints, its in-flight requests finish, and only then is it stopped: a client
 * load through the load balancer sees no failed request through a rolling update.
 */
class OrchestratorDrainTest {
  private final VirtualTimeSource time = new VirtualTimeSource();
  private InMemoryRuntime runtime;
  private Orchestrator orch;

  @AfterEach
  void tearDown() {
    orch.close();
    runtime.close();
  }

  private LoadClient rollOut(Duration drainTimeout) {
    runtime = InMemoryRuntime.builder().timeSource(time).nodes(3, Resources.of("4", "8Gi")).build();
    orch = Orchestrator.builder().runtime(runtime).timeSource(time).drainTimeout(drainTimeout)
        .terminationGrace(Duration.ofSeconds(1)).build();
    ServiceSpec v1 = ServiceSpec.builder("web").replicas(4)
        .container(ContainerSpec.builder("web:1").port("http", 8080).requests("250m", "128Mi").build())
        .readiness(Probe.http("/ready", "http").withPeriod(Duration.ofSeconds(1)))
        .rollout(RolloutStrategy.RollingUpdate.of(IntOrPercent.of(1), IntOrPercent.of(0)))
        .build();
    orch.apply(v1);
    time.advance(Duration.ofSeconds(5));
    assertTrue(orch.status("web").orElseThrow().isReady());
    LoadClient client = new LoadClient(time, runtime, orch.loadBalancer("web", Pickers.roundRobin()), 2);
    time.advance(Duration.ofSeconds(2));
    orch.apply(v1.toBuilder().container(ContainerSpec.builder("web:2").port("http", 8080)
        .requests("250m", "128Mi").build()).build());
    for (int s = 0; s < 60; s++) {
      time.advance(Duration.ofSeconds(1));
    }
    client.stop();
    time.advance(Duration.ofSeconds(1));
    return client;
  }

  @Test
  void noRequestFailsThroughARollingUpdateAndTheAnswersSwitchRevision() {
    LoadClient client = rollOut(Duration.ofSeconds(10));

    assertEquals(0, client.failed, "failed requests");
    assertTrue(client.succeeded > 5000, "requests served: " + client.succeeded);
    String first = client.answeredBy.get(0);
    String last = client.answeredBy.get(client.answeredBy.size() - 1);
    assertTrue(!first.equals(last), "the answers moved from the old revision to the new one");
    assertTrue(client.answeredBy.subList(client.answeredBy.size() - 500, client.answeredBy.size()).stream()
        .allMatch(last::equals), "only the new revision answers at the end");
    ServiceStatus s = orch.status("web").orElseThrow();
    assertTrue(s.isReady(), s::toString);
  }

  @Test
  void withoutTimeToDrainRequestsDoFail() {
    // The counter-test: the same update, with in-flight requests given no time, loses requests.
    LoadClient client = rollOut(Duration.ofNanos(1));
    assertTrue(client.failed > 0, "failed requests: " + client.failed);
  }
}
