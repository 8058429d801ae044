package dev.orch.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.orch.api.spec.ContainerSpec;
import dev.orch.api.spec.Probe;
import dev.orch.api.spec.Resources;
import dev.orch.api.spec.ServiceSpec;
import dev.orch.api.time.VirtualTimeSource;
import dev.orch.core.lb.Endpoint;
import dev.orch.core.lb.LoadBalancer;
import dev.orch.core.lb.Pickers;
import dev.orch.inmemory.Behaviors;
import dev.orch.inmemory.InMemoryRuntime;
import java.time.Duration;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The prober wired into the orchestrator: liveness restarts, readiness drives status and endpoints. */
class OrchestratorProbesTest {
  private final VirtualTimeSource time = new VirtualTimeSource();
  private InMemoryRuntime runtime;
  private Orchestrator orch;

  @BeforeEach
  void setUp() {
    runtime = InMemoryRuntime.builder().timeSource(time).nodes(3, Resources.of("4", "8Gi"))
        .behavior("sick", Behaviors.failLivenessAfter(Duration.ofSeconds(30)))
        .behavior("flaky", Behaviors.notReadyFor(Duration.ofSeconds(20), Duration.ofSeconds(60)))
        .build();
    orch = Orchestrator.builder().runtime(runtime).timeSource(time).build();
  }

  @AfterEach
  void tearDown() {
    orch.close();
    runtime.close();
  }

  private void run(int seconds) {
    for (int s = 0; s < seconds; s++) {
      time.advance(Duration.ofSeconds(1));
    }
  }

  private ServiceStatus status(String name) {
    return orch.status(name).orElseThrow();
  }

  private static ContainerSpec web(String image) {
    return ContainerSpec.builder(image).port("http", 8080).requests("100m", "64Mi").build();
  }

  @Test
  void aReplicaThatFailsLivenessIsRestartedWithBackoff() {
    orch.apply(ServiceSpec.builder("sick").container(web("sick"))
        .liveness(Probe.http("/healthz", "http").withPeriod(Duration.ofSeconds(5))).build());
    run(30);
    String id = status("sick").replicas().get(0).containerId();
    assertTrue(status("sick").replicas().get(0).live());
    run(20); // three failures 5 s apart, then a stop
    assertTrue(orch.events().recent().stream().anyMatch(e -> e.reason().equals("Unhealthy")),
        () -> orch.events().recent().toString());
    assertEquals(0, status("sick").running(), "stopped, waiting out the crash-loop backoff");
    run(15); // crash-loop backoff: 10 s before the first restart
    ReplicaStatus r = status("sick").replicas().get(0);
    assertEquals(1, r.restarts(), r::toString);
    assertEquals(id, r.containerId(), "restarted in place");
    assertTrue(r.live(), "a fresh run is live again");
    assertTrue(status("sick").isReady());
  }

  @Test
  void readinessDrivesStatusEndpointsAndPicks() {
    orch.apply(ServiceSpec.builder("flaky").replicas(1).container(web("flaky"))
        .readiness(Probe.http("/ready", "http").withPeriod(Duration.ofSeconds(2)).withThresholds(1, 2)).build());
    orch.apply(ServiceSpec.builder("steady").replicas(2).container(web("steady"))
        .readiness(Probe.http("/ready", "http").withPeriod(Duration.ofSeconds(2))).build());
    run(5);
    assertTrue(status("flaky").isReady(), () -> status("flaky").toString());
    assertEquals(1, orch.endpoints("flaky").current().ready().size());

    run(25); // not ready from 20 s: two failures 2 s apart
    ServiceStatus s = status("flaky");
    assertFalse(s.isReady());
    assertFalse(s.replicas().get(0).ready());
    assertTrue(s.replicas().get(0).lastProbeFailure().orElseThrow().startsWith("readiness:"), s::toString);
    assertEquals(0, orch.endpoints("flaky").current().ready().size());
    assertEquals(1, orch.endpoints("flaky").current().size(), "still a member, not ready");

    run(40); // ready again from 60 s
    assertTrue(status("flaky").isReady(), () -> status("flaky").toString());
    assertEquals(1, orch.endpoints("flaky").current().ready().size());
    assertEquals(2, orch.endpoints("steady").current().ready().size());
  }

  @Test
  void noPickReturnsAReplicaWhileItFailsReadinessAndItIsPickedOnceItRecovers() {
    runtime.close();
    orch.close();
    runtime = InMemoryRuntime.builder().timeSource(time).nodes(3, Resources.of("4", "8Gi"))
        .behavior("web", Behaviors.controlled()).build();
    orch = Orchestrator.builder().runtime(runtime).timeSource(time).build();
    orch.apply(ServiceSpec.builder("web").replicas(4).container(web("web"))
        .readiness(Probe.http("/ready", "http").withPeriod(Duration.ofSeconds(1)).withThresholds(1, 1)).build());
    run(3);
    try (LoadBalancer lb = LoadBalancer.builder(orch.endpoints("web")).picker(Pickers.roundRobin())
        .timeSource(time).panicThreshold(0).build()) {
      assertEquals(4, picked(lb, 40).size());
      ReplicaStatus sick = status("web").replicas().get(2);
      runtime.process(sick.containerId()).orElseThrow().attributes().put(Behaviors.READY, false);
      run(2);
      Set<String> whileSick = picked(lb, 400);
      assertEquals(3, whileSick.size(), whileSick::toString);
      assertFalse(whileSick.contains(sick.name()));

      runtime.process(sick.containerId()).orElseThrow().attributes().put(Behaviors.READY, true);
      run(2);
      assertTrue(picked(lb, 40).contains(sick.name()));
      assertNotEquals(0, orch.endpoints("web").current().version());
    }
  }

  private static Set<String> picked(LoadBalancer lb, int n) {
    Set<String> ids = new HashSet<>();
    for (int i = 0; i < n; i++) {
      Endpoint e = lb.pick();
      ids.add(e.id());
      lb.release(e);
    }
    return ids;
  }
}
