package dev.orch.core;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.orch.api.spec.ContainerSpec;
import dev.orch.api.spec.Probe;
import dev.orch.api.spec.Resources;
import dev.orch.api.spec.ServiceSpec;
import dev.orch.inmemory.InMemoryRuntime;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The orchestrator on real time with its worker threads, where completions and events race each other. */
class OrchestratorRealTimeTest {

  @Test
  void convergesRestartsOncePerCrashAndHealsALostNodeOnWorkerThreads() throws Exception {
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    try (InMemoryRuntime runtime = InMemoryRuntime.builder().nodes(3, Resources.of("4", "8Gi"))
             .callLatency(Duration.ofMillis(2)).build();
         Orchestrator orch = Orchestrator.builder().runtime(runtime).shards(2).meterRegistry(registry)
             .nodeLostGrace(Duration.ofMillis(300)).terminationGrace(Duration.ofMillis(100))
             .crashLoopBackoff(new CrashLoopBackoff(Duration.ofMillis(100), Duration.ofSeconds(1),
                 Duration.ofMinutes(1)))
             .build()) {
      orch.apply(ServiceSpec.builder("orders").replicas(6)
          .container(ContainerSpec.builder("orders:1").port("http", 8080).requests("250m", "256Mi").build())
          .readiness(Probe.http("/ready", "http").withPeriod(Duration.ofMillis(100)))
          .build());
      assertTrue(orch.awaitReady("orders", Duration.ofSeconds(30)));

      ReplicaStatus victim = orch.status("orders").orElseThrow().replicas().get(0);
      runtime.crashContainer(victim.containerId(), 1);
      await().atMost(Duration.ofSeconds(30)).until(() -> orch.status("orders").orElseThrow().replicas().stream()
          .anyMatch(r -> r.containerId().equals(victim.containerId()) && r.restarts() == 1 && r.ready()));
      assertEquals(1.0, registry.get("orch.restarts").counter().count(), "one start per exit");

      String lost = orch.status("orders").orElseThrow().replicas().stream()
          .filter(r -> !r.containerId().equals(victim.containerId())).findFirst().orElseThrow().node();
      runtime.failNode(lost);
      await().atMost(Duration.ofSeconds(30)).until(() -> {
        ServiceStatus s = orch.status("orders").orElseThrow();
        return s.isReady() && s.replicas().stream().noneMatch(r -> r.node().equals(lost));
      });
      assertEquals(6, orch.endpoints("orders").current().ready().size());

      assertTrue(orch.closeAndRemoveAll(Duration.ofSeconds(30)));
      assertTrue(runtime.list(dev.orch.api.runtime.LabelSelector.ALL).toCompletableFuture().join().isEmpty());
    }
  }
}
