package dev.orch.docker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.orch.api.spec.ContainerSpec;
import dev.orch.api.spec.ServiceSpec;
import dev.orch.core.OrchEvent;
import dev.orch.core.Orchestrator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/**
 * Each event once, in causal order, on real engines: an orchestrator that adopts a service's replicas and is
 * then told to apply it says "Orphaned" (if at all) before "Applied"; removing everything reports one deletion
 * per service, and "ServiceRemoved" after the last "Removed". Needs one engine.
 */
class EventOrderDockerTest {

  @Test
  void adoptionAndRemovalAreReportedOnceInCausalOrder() throws Exception {
    DockerTestEngines.require(1);
    String owner = OrchestratedDocker.ownerId("order");
    ServiceSpec spec = ServiceSpec.builder("web").replicas(2)
        .container(ContainerSpec.builder(DockerTestEngines.image())
            .command(OrchestratedDocker.sleeper().toArray(String[]::new)).requests("10m", "8Mi").build())
        .build();
    try (DockerRuntime first = DockerTestEngines.runtime(1);
         Orchestrator orch = Orchestrator.builder().runtime(first).ownerId(owner).build()) {
      orch.apply(spec);
      assertTrue(orch.awaitReady("web", OrchestratedDocker.WAIT), () -> "not ready: " + orch.status("web"));
    }
    DockerRuntime second = DockerTestEngines.runtime(1);
    Orchestrator orch = null;
    try {
      orch = Orchestrator.builder().runtime(second).ownerId(owner).build();
      orch.started().get(60, TimeUnit.SECONDS);
      orch.apply(spec);
      Orchestrator o = orch;
      assertTrue(orch.awaitReady("web", OrchestratedDocker.WAIT), () -> "not ready: " + o.status("web"));
      List<OrchEvent> adopted = events(orch);
      int orphaned = index(adopted, "Orphaned", 0);
      int applied = index(adopted, "Applied", 0);
      assertTrue(applied >= 0, adopted::toString);
      assertTrue(orphaned < applied, () -> "Orphaned after Applied: " + adopted);

      assertTrue(orch.closeAndRemoveAll(OrchestratedDocker.WAIT));
      List<OrchEvent> all = events(orch);
      assertEquals(1, all.stream().filter(e -> e.reason().equals("Deleting")).count(),
          () -> "one deletion reported for one applied service: " + all);
      int removedService = index(all, "ServiceRemoved", 0);
      int lastRemoved = IntStream.range(0, all.size()).filter(i -> all.get(i).reason().equals("Removed")).max()
          .orElse(-1);
      assertTrue(lastRemoved >= 0 && removedService > lastRemoved,
          () -> "ServiceRemoved must follow the last Removed: " + all);
      orch = null;
    } finally {
      OrchestratedDocker.cleanUp(orch, second);
      second.close();
    }
  }

  private static List<OrchEvent> events(Orchestrator orch) {
    return orch.events().recent().stream().filter(e -> e.service().equals("web")).toList();
  }

  private static int index(List<OrchEvent> events, String reason, int from) {
    for (int i = from; i < events.size(); i++) {
      if (events.get(i).reason().equals(reason)) {
        return i;
      }
    }
    return -1;
  }
}
