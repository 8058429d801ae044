package dev.orch.docker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.orch.api.spec.AutoscalePolicy;
import dev.orch.api.spec.AutoscalePolicy.RatePolicy;
import dev.orch.api.spec.AutoscalePolicy.ScalingRules;
import dev.orch.api.spec.ContainerSpec;
import dev.orch.api.spec.Probe;
import dev.orch.api.spec.ServiceSpec;
import dev.orch.core.Orchestrator;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Autoscaling on a real engine, on the engine's CPU stats: load from outside the containers (requests through
 * the balancer to a busybox httpd CGI that burns about 60 ms of CPU per request, so that added replicas share it)
 * raises the CPU utilization and the service scales up; once the load stops it scales back down after the
 * (short) window, with no failed request. Needs one engine.
 */
class AutoscalingDockerTest {
  private static final int PORT = 8080;
  private DockerRuntime runtime;
  private Orchestrator orch;
  private HttpLoadClient client;

  @AfterEach
  void tearDown() throws InterruptedException {
    if (client != null) {
      client.stop();
    }
    OrchestratedDocker.cleanUp(orch, runtime);
    if (runtime != null) {
      runtime.close();
    }
  }

  private static ServiceSpec burner() {
    String burn = "i=0; while [ $i -lt 20000 ]; do i=$((i+1)); done";
    String script = "trap 'exit 0' TERM; mkdir -p /www/cgi-bin && echo ok > /www/index.html"
        + " && printf '%s\\n' '#!/bin/sh' '" + burn + "' 'echo Content-Type: text/plain' 'echo' 'echo v1'"
        + " > /www" + HttpLoadClient.SLOW_PAGE + " && chmod +x /www" + HttpLoadClient.SLOW_PAGE
        + " && httpd -f -p " + PORT + " -h /www & wait";
    return ServiceSpec.builder("burner").replicas(1)
        .container(ContainerSpec.builder(DockerTestEngines.image()).command("sh", "-c", script)
            .port("http", PORT).requests("100m", "16Mi").build())
        .readiness(Probe.http("/index.html", "http").withPeriod(Duration.ofMillis(500)))
        .build();
  }

  @Test
  void aCpuLoadFromOutsideScalesTheServiceUpAndItsEndScalesItDown() throws Exception {
    runtime = DockerTestEngines.runtime(1);
    orch = Orchestrator.builder().runtime(runtime).ownerId(OrchestratedDocker.ownerId("autoscale"))
        .terminationGrace(Duration.ofSeconds(2)).build();
    orch.apply(burner());
    assertTrue(orch.awaitReady("burner", OrchestratedDocker.WAIT), () -> "not ready: " + orch.status("burner"));
    orch.autoscaling().apply(AutoscalePolicy.builder("burner").minReplicas(1).maxReplicas(3)
        .utilization("cpu", 100).syncPeriod(Duration.ofSeconds(2))
        .scaleDown(ScalingRules.of(Duration.ofSeconds(10), RatePolicy.percent(100, Duration.ofSeconds(15))))
        .build());
    client = new HttpLoadClient(orch.loadBalancer("burner").build());
    HttpLoadClient c = client;
    OrchestratedDocker.awaitUntil("burner scaled up to 3 ready replicas under the load",
        () -> orch.status("burner") + "\n decisions: " + orch.autoscaling().decisions("burner") + "\n client: "
            + c.describe(), () -> orch.spec("burner").orElseThrow().replicas() == 3
            && orch.status("burner").orElseThrow().ready() == 3);
    int before = client.succeeded();
    OrchestratedDocker.awaitUntil("requests served by the three", c::describe, () -> c.succeeded() >= before + 50);
    client.stop();
    assertEquals(0, client.failed(), () -> "failed requests while scaling: " + c.describe() + " " + c.failures);
    client = null;
    OrchestratedDocker.awaitUntil("burner back to 1 once the load stopped and the window passed",
        () -> orch.autoscaling().decisions("burner").toString(),
        () -> orch.spec("burner").orElseThrow().replicas() == 1);
    assertTrue(orch.events().recent().stream().anyMatch(e -> e.reason().equals("Scaled")
        && e.message().contains("cpu")), "each change is a Scaled event with its numbers");
  }
}
