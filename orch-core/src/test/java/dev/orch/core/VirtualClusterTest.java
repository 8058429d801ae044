package dev.orch.core;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.orch.api.spec.ContainerSpec;
import dev.orch.api.spec.Probe;
import dev.orch.api.spec.Resources;
import dev.orch.api.spec.RolloutStrategy;
import dev.orch.api.spec.ServiceSpec;
import dev.orch.api.time.VirtualTimeSource;
import dev.orch.inmemory.InMemoryRuntime;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;

/**
 * The rollout tests' cluster: three in-memory nodes and an orchestrator on virtual time, with a meter
 * registry; after each test, no reconcile pass may have failed.
 */
abstract class VirtualClusterTest {
  final VirtualTimeSource time = new VirtualTimeSource();
  final SimpleMeterRegistry meters = new SimpleMeterRegistry();
  final InMemoryRuntime runtime = InMemoryRuntime.builder().timeSource(time).nodes(3, Resources.of("4", "8Gi"))
      .build();
  Orchestrator orch = newOrchestrator();

  /** An orchestrator over {@link #runtime}, as each test starts with. */
  Orchestrator newOrchestrator() {
    return Orchestrator.builder().runtime(runtime).timeSource(time).meterRegistry(meters)
        .terminationGrace(Duration.ofSeconds(1)).build();
  }

  @AfterEach
  void closeAndCheckNoPassFailed() {
    var failures = orch.events().recent().stream().filter(e -> e.reason().equals("ReconcileFailed")).toList();
    orch.close();
    runtime.close();
    assertEquals(List.of(), failures, "no reconcile pass may fail");
  }

  /** Service "web": 4 replicas of {@code image} with an HTTP port and a readiness probe, rolled out by {@code strategy}. */
  static ServiceSpec web(String image, RolloutStrategy strategy) {
    return ServiceSpec.builder("web").replicas(4)
        .container(ContainerSpec.builder(image).port("http", 8080).requests("250m", "128Mi").build())
        .readiness(Probe.http("/ready", "http").withPeriod(Duration.ofSeconds(1)))
        .rollout(strategy)
        .build();
  }
}
