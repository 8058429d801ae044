package dev.orch.docker;

import static dev.orch.docker.OrchestratedDocker.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.orch.api.runtime.ContainerCreateRequest;
import dev.orch.api.runtime.ContainerInfo;
import dev.orch.api.runtime.ContainerUsage;
import dev.orch.api.runtime.LabelSelector;
import dev.orch.api.runtime.OrchLabels;
import dev.orch.api.spec.ContainerSpec;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A container's usage from a real engine's stats: a container that burns CPU shows its CPU time growing at about
 * a core, one that sleeps barely at all, and both hold memory. Needs one engine.
 */
class UsageStatsDockerTest {
  private final String owner = OrchestratedDocker.ownerId("usage");
  private final DockerRuntime runtime = DockerTestEngines.runtime(1);

  @AfterEach
  void tearDown() {
    try {
      for (ContainerInfo c : await(runtime.list(LabelSelector.of(OrchLabels.OWNER, owner)))) {
        await(runtime.remove(c.id()));
      }
    } finally {
      runtime.close();
    }
  }

  private String run(String name, String script) {
    ContainerInfo c = await(runtime.create(new ContainerCreateRequest(owner + "-" + name, "e0",
        ContainerSpec.builder(DockerTestEngines.image()).command("sh", "-c", script).build(),
        Map.of(OrchLabels.OWNER, owner))));
    await(runtime.start(c.id()));
    return c.id();
  }

  @Test
  void aBusyContainersCpuTimeGrowsAndAnIdleOnesBarely() {
    String busy = run("busy", "while :; do :; done");
    String idle = run("idle", "trap 'exit 0' TERM; sleep 100000 & wait");
    ContainerUsage busyFirst = await(runtime.usage(busy));
    ContainerUsage idleFirst = await(runtime.usage(idle));
    assertEquals(busy, busyFirst.containerId());
    String[] last = new String[1];
    OrchestratedDocker.awaitUntil("the busy container uses half a second of CPU", () -> last[0], () -> {
      ContainerUsage now = await(runtime.usage(busy));
      last[0] = now.toString();
      return now.cpuTime().minus(busyFirst.cpuTime()).compareTo(Duration.ofMillis(500)) >= 0;
    });
    ContainerUsage busyLater = await(runtime.usage(busy));
    ContainerUsage idleLater = await(runtime.usage(idle));
    Duration wall = Duration.between(busyFirst.at(), busyLater.at());
    double cores = (double) busyLater.cpuTime().minus(busyFirst.cpuTime()).toNanos() / wall.toNanos();
    assertTrue(cores > 0.5, () -> "busy: " + cores + " cores over " + wall);
    Duration idleUsed = idleLater.cpuTime().minus(idleFirst.cpuTime());
    assertTrue(idleUsed.compareTo(Duration.ofMillis(100)) < 0, () -> "idle used " + idleUsed + " over " + wall);
    assertTrue(busyLater.memoryBytes() > 0 && idleLater.memoryBytes() > 0, () -> busyLater + ", " + idleLater);
    assertTrue(!busyLater.at().isBefore(busyFirst.at()), "the engine stamps each reading");
  }
}
