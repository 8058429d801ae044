package dev.orch.docker;

import static dev.orch.docker.OrchestratedDocker.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.orch.api.runtime.ContainerCreateRequest;
import dev.orch.api.runtime.ContainerInfo;
import dev.orch.api.runtime.ContainerListing;
import dev.orch.api.runtime.LabelSelector;
import dev.orch.api.spec.ContainerSpec;
import dev.orch.core.Orchestrator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Listing across engines when one has just died: what the live engine holds comes back, the dead one is named,
 * and an orchestrator that starts then adopts what the live engine runs. Needs two engines; stops the second
 * with the project's script and starts it again.
 */
class PartialListingDockerTest {

  @Test
  void aDeadEngineLeavesItsContainersOutAndIsNamedAsNotAnswering() throws Exception {
    DockerTestEngines.require(2);
    String run = "partial-" + UUID.randomUUID().toString().substring(0, 8);
    LabelSelector mine = LabelSelector.of("orch.test.run", run);
    String owner = OrchestratedDocker.ownerId("partial");
    boolean stopped = false;
    try (DockerRuntime runtime = DockerTestEngines.runtime(2)) {
      ContainerSpec spec = ContainerSpec.builder(DockerTestEngines.image())
          .command(OrchestratedDocker.sleeper().toArray(String[]::new)).requests("10m", "8Mi").build();
      Map<String, String> labels = Map.of("orch.test.run", run, "orch.owner", owner, "orch.service", "kept",
          "orch.ordinal", "0");
      ContainerInfo alive = await(runtime.create(new ContainerCreateRequest(run + "-a", "e0", spec, labels)));
      await(runtime.start(alive.id()));
      await(runtime.create(new ContainerCreateRequest(run + "-b", "e1", spec, labels)));
      assertEquals(2, await(runtime.list(mine)).size());

      DockerTestEngines.script("stop-one", "1");
      stopped = true;
      // At once, before the health check has noticed: the listing still answers, with e0's part.
      ContainerListing listing = await(runtime.listing(mine));
      assertEquals(List.of(alive.id()), listing.containers().stream().map(ContainerInfo::id).toList(),
          listing::toString);
      assertEquals(Set.of("e1"), listing.unansweredNodes());
      assertEquals(1, await(runtime.list(mine)).size(), "list answers with the live engine's part");

      try (Orchestrator orch = Orchestrator.builder().runtime(runtime).ownerId(owner).build()) {
        orch.started().get(30, TimeUnit.SECONDS);
        assertTrue(orch.events().recent().stream().anyMatch(e -> e.reason().equals("Started")
            && e.message().contains("adopted 1 containers")), () -> orch.events().recent().toString());
      }
    } finally {
      if (stopped) {
        DockerTestEngines.script("start-one", "1");
      }
      try (DockerRuntime cleanup = DockerTestEngines.runtime(2)) {
        OrchestratedDocker.awaitUntil("both engines answer again", () -> "", () -> cleanup.nodes()
            .toCompletableFuture().join().stream().allMatch(n -> n.ready()));
        for (ContainerInfo c : await(cleanup.list(mine))) {
          await(cleanup.remove(c.id()));
        }
      }
    }
  }
}
