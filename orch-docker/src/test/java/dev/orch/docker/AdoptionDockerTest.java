package dev.orch.docker;

import static dev.orch.docker.OrchestratedDocker.owned;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.orch.api.runtime.ContainerInfo;
import dev.orch.api.runtime.OrchLabels;
import dev.orch.api.runtime.RuntimeEvent;
import dev.orch.api.runtime.Subscription;
import dev.orch.api.spec.ContainerSpec;
import dev.orch.api.spec.ServiceSpec;
import dev.orch.core.Orchestrator;
import dev.orch.core.ReplicaStatus;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Collectors;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

/**
 * A second orchestrator started over the same engines adopts the running containers without creating or
 * removing any. Needs two engines.
 */
class AdoptionDockerTest {

  @Test
  void aSecondOrchestratorAdoptsTheRunningContainers() throws Exception {
    DockerTestEngines.require(2);
    String owner = OrchestratedDocker.ownerId("adopt");
    ServiceSpec spec = ServiceSpec.builder("kept").replicas(3)
        .container(ContainerSpec.builder(DockerTestEngines.image())
            .command(OrchestratedDocker.sleeper().toArray(String[]::new)).requests("50m", "8Mi").build())
        .build();
    DockerRuntime first = DockerTestEngines.runtime(2);
    Set<String> before;
    try (Orchestrator orch = Orchestrator.builder().runtime(first).ownerId(owner).build()) {
      orch.apply(spec);
      assertTrue(orch.awaitReady("kept", OrchestratedDocker.WAIT), () -> "not ready: " + orch.status("kept"));
      before = ids(owned(first, owner));
      assertEquals(3, before.size());
    } finally {
      first.close();
    }

    DockerRuntime second = DockerTestEngines.runtime(2);
    List<RuntimeEvent> events = new CopyOnWriteArrayList<>();
    Orchestrator orch = null;
    try (Subscription s = second.subscribe(events::add)) {
      orch = Orchestrator.builder().runtime(second).ownerId(owner).resyncPeriod(Duration.ofSeconds(1)).build();
      orch.apply(spec);
      Orchestrator o = orch;
      assertTrue(o.awaitReady("kept", OrchestratedDocker.WAIT), () -> "not ready: " + o.status("kept"));
      assertEquals(before, o.status("kept").orElseThrow().replicas().stream().map(ReplicaStatus::containerId)
          .collect(Collectors.toSet()), "the replicas are the adopted containers");
      // Hold for a few resyncs: nothing of this owner is created, stopped or removed meanwhile.
      Awaitility.await().during(Duration.ofSeconds(3)).atMost(Duration.ofSeconds(10))
          .until(() -> mine(events, owner).isEmpty() && ids(owned(second, owner)).equals(before));
    } finally {
      OrchestratedDocker.cleanUp(orch, second);
      second.close();
    }
  }

  private static List<RuntimeEvent> mine(List<RuntimeEvent> events, String owner) {
    return events.stream().filter(e -> e instanceof RuntimeEvent.ContainerEvent ce
        && owner.equals(ce.labels().get(OrchLabels.OWNER))).toList();
  }

  private static Set<String> ids(List<ContainerInfo> cs) {
    return cs.stream().map(ContainerInfo::id).collect(Collectors.toSet());
  }
}
