package dev.orch.samples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.orch.api.spec.ContainerSpec;
import dev.orch.api.spec.Probe;
import dev.orch.api.spec.Resources;
import dev.orch.api.spec.ServiceSpec;
import dev.orch.core.Orchestrator;
import dev.orch.core.ServiceStatus;
import dev.orch.inmemory.InMemoryRuntime;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The README's "Use it" example, as written there, on real time. */
class ReadmeExampleTest {

  @Test
  void theReadmeExampleRunsAsWritten() throws Exception {
    ServiceStatus status;
    try (InMemoryRuntime runtime = InMemoryRuntime.builder().nodes(3, Resources.of("4", "8Gi")).build();
         Orchestrator orch = Orchestrator.builder().runtime(runtime).build()) {
      orch.apply(ServiceSpec.builder("orders").replicas(3)
          .container(ContainerSpec.builder("orders:1.4").port("http", 8080).requests("500m", "256Mi").build())
          .readiness(Probe.http("/ready", "http").withPeriod(Duration.ofMillis(200)))
          .build());
      assertTrue(orch.awaitReady("orders", Duration.ofSeconds(30)));
      status = orch.status("orders").orElseThrow();
    }
    assertEquals(3, status.ready());
  }
}
