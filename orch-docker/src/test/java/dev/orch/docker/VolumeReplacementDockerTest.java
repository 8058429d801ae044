package dev.orch.docker;

import static dev.orch.docker.OrchestratedDocker.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.orch.api.runtime.ExecResult;
import dev.orch.api.spec.ContainerSpec;
import dev.orch.api.spec.ServiceSpec;
import dev.orch.core.Orchestrator;
import dev.orch.core.ReplicaStatus;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** A named volume's data survives the replacement of its container. Needs Docker. */
class VolumeReplacementDockerTest {

  @Test
  void dataOnANamedVolumeSurvivesTheReplacementOfItsContainer() throws Exception {
    DockerRuntime runtime = DockerTestEngines.runtime(1);
    Orchestrator orch = null;
    try {
      orch = Orchestrator.builder().runtime(runtime).ownerId(OrchestratedDocker.ownerId("volume"))
          .terminationGrace(Duration.ofSeconds(1)).build();
      orch.apply(ServiceSpec.builder("store").replicas(1)
          .container(ContainerSpec.builder(DockerTestEngines.image())
              .command(OrchestratedDocker.sleeper().toArray(String[]::new))
              .requests("50m", "8Mi").volume("data", "/data").build())
          .build());
      Orchestrator o = orch;
      assertTrue(o.awaitReady("store", OrchestratedDocker.WAIT), () -> "store not ready: " + o.status("store"));
      String first = replica(o).containerId();
      ExecResult w = await(runtime.exec(first, List.of("sh", "-c", "echo kept > /data/file"), Duration.ofSeconds(10)));
      assertEquals(0, w.exitCode(), "write: " + w);

      await(runtime.remove(first)); // the container is lost; Orch replaces it

      OrchestratedDocker.awaitUntil("a new ready container", () -> o.status("store").toString(),
          () -> o.status("store").orElseThrow().isReady() && !replica(o).containerId().equals(first));
      String second = replica(o).containerId();
      assertNotEquals(first, second);
      ExecResult r = await(runtime.exec(second, List.of("cat", "/data/file"), Duration.ofSeconds(10)));
      assertEquals(0, r.exitCode(), "read: " + r);
      assertEquals("kept", r.stdout().strip());
    } finally {
      OrchestratedDocker.cleanUp(orch, runtime);
      runtime.close();
    }
  }

  private static ReplicaStatus replica(Orchestrator o) {
    return o.status("store").orElseThrow().replicas().get(0);
  }
}
