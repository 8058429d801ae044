package dev.orch.docker;

import static dev.orch.docker.OrchestratedDocker.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.orch.api.runtime.ContainerInfo;
import dev.orch.api.runtime.LabelSelector;
import dev.orch.api.runtime.NetworkInfo;
import dev.orch.api.runtime.OrchLabels;
import dev.orch.api.spec.ContainerSpec;
import dev.orch.api.spec.ServiceSpec;
import dev.orch.core.Orchestrator;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * Each owner's containers join a network of that owner's own ({@code orch-<owner>}, labelled with it), never
 * one shared by every owner, and {@code closeAndRemoveAll} removes it once nothing uses it; a test engine has
 * room for more networks than Docker's default pools give. Needs one engine.
 */
class OwnerNetworksDockerTest {

  private static ServiceSpec web() {
    return ServiceSpec.builder("web").replicas(2)
        .container(ContainerSpec.builder(DockerTestEngines.image())
            .command(OrchestratedDocker.sleeper().toArray(String[]::new)).requests("10m", "8Mi").build())
        .build();
  }

  @Test
  void ownersKeepToTheirOwnNetworksWhichGoWithTheirContainers() throws Exception {
    DockerTestEngines.require(1);
    String a = OrchestratedDocker.ownerId("neta");
    String b = OrchestratedDocker.ownerId("netb");
    DockerRuntime runtime = DockerTestEngines.runtime(1);
    Orchestrator first = null;
    Orchestrator second = null;
    try {
      first = Orchestrator.builder().runtime(runtime).ownerId(a).build();
      second = Orchestrator.builder().runtime(runtime).ownerId(b).build();
      first.apply(web());
      second.apply(web());
      Orchestrator f = first;
      Orchestrator s = second;
      assertTrue(first.awaitReady("web", OrchestratedDocker.WAIT), () -> "not ready: " + f.status("web"));
      assertTrue(second.awaitReady("web", OrchestratedDocker.WAIT), () -> "not ready: " + s.status("web"));

      for (String owner : List.of(a, b)) {
        Set<String> mine = ids(OrchestratedDocker.owned(runtime, owner));
        List<NetworkInfo> nets = await(runtime.listNetworks(LabelSelector.of(OrchLabels.OWNER, owner)));
        assertEquals(List.of("orch-" + owner), nets.stream().map(NetworkInfo::name).toList(), nets::toString);
        assertEquals(mine, nets.get(0).containers(), "the owner's network holds exactly its containers");
        // No other network holds any of them: nothing is shared across owners.
        for (NetworkInfo other : await(runtime.listNetworks(LabelSelector.ALL))) {
          if (!other.name().equals("orch-" + owner)) {
            assertTrue(other.containers().stream().noneMatch(mine::contains),
                () -> other.name() + " also holds containers of " + owner + ": " + other);
          }
        }
      }

      assertTrue(first.closeAndRemoveAll(OrchestratedDocker.WAIT));
      first = null;
      assertEquals(List.of(), await(runtime.listNetworks(LabelSelector.of(OrchLabels.OWNER, a))),
          "the owner's network goes with its last container");
      assertEquals(1, await(runtime.listNetworks(LabelSelector.of(OrchLabels.OWNER, b))).size(),
          "another owner's network stays");
      assertTrue(second.closeAndRemoveAll(OrchestratedDocker.WAIT));
      second = null;
      assertEquals(List.of(), await(runtime.listNetworks(LabelSelector.of(OrchLabels.OWNER, b))));
    } finally {
      OrchestratedDocker.cleanUp(first, runtime);
      OrchestratedDocker.cleanUp(second, runtime);
      runtime.close();
    }
  }

  @Test
  void anEngineHoldsMoreNetworksThanDockersDefaultPoolsAllow() {
    DockerTestEngines.require(1);
    String run = "nets-" + java.util.UUID.randomUUID().toString().substring(0, 8);
    LabelSelector mine = LabelSelector.of("orch.test.run", run);
    // Docker's default address pools hold about 31 networks per host; the test engines get their own pools.
    int count = 36;
    try (DockerRuntime runtime = DockerTestEngines.runtime(1)) {
      try {
        for (int i = 0; i < count; i++) {
          await(runtime.createNetwork("e0", run + "-" + i, java.util.Map.of("orch.test.run", run,
              OrchLabels.OWNER, run)));
        }
        assertEquals(count, await(runtime.listNetworks(mine)).size());
      } finally {
        for (NetworkInfo n : await(runtime.listNetworks(mine))) {
          await(runtime.removeNetwork(n.nodeId(), n.name()));
        }
      }
      assertEquals(List.of(), await(runtime.listNetworks(mine)));
    }
  }

  private static Set<String> ids(List<ContainerInfo> cs) {
    return cs.stream().map(ContainerInfo::id).collect(Collectors.toSet());
  }
}
