package dev.orch.docker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.orch.api.runtime.ContainerInfo;
import dev.orch.api.runtime.OrchLabels;
import dev.orch.api.spec.ContainerSpec;
import dev.orch.api.spec.IntOrPercent;
import dev.orch.api.spec.Probe;
import dev.orch.api.spec.RolloutStrategy;
import dev.orch.api.spec.ServiceSpec;
import dev.orch.core.Orchestrator;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * An orchestrator restarted over real engines (same owner, same seed) and told at once to roll a new revision
 * keeps the floor on the replicas it adopted (it has not probed them yet) and never makes a name an earlier
 * one left. Needs two engines.
 */
class RestartDockerTest {
  private static final int REPLICAS = 4;

  private static ServiceSpec web(String answer) {
    return ServiceSpec.builder("web").replicas(REPLICAS)
        .container(ContainerSpec.builder(DockerTestEngines.image())
            .command(OrchestratedDocker.httpd(8080).toArray(String[]::new))
            .env("ANSWER", answer).port("http", 8080).requests("50m", "8Mi").build())
        .readiness(Probe.http("/", "http").withPeriod(Duration.ofSeconds(1)))
        .rollout(new RolloutStrategy.RollingUpdate(IntOrPercent.of(1), IntOrPercent.of(0), Duration.ZERO,
            Duration.ofSeconds(60)))
        .build();
  }

  @Test
  void aRolloutRightAfterARestartKeepsItsFloorAndMakesNewNames() throws Exception {
    DockerTestEngines.require(2);
    String owner = OrchestratedDocker.ownerId("restart");
    DockerRuntime first = DockerTestEngines.runtime(2);
    Set<String> earlier;
    try (Orchestrator orch = Orchestrator.builder().runtime(first).ownerId(owner).build()) {
      orch.apply(web("1"));
      assertTrue(orch.awaitReady("web", OrchestratedDocker.WAIT), () -> "not ready: " + orch.status("web"));
      earlier = names(OrchestratedDocker.owned(first, owner));
    } finally {
      first.close();
    }

    DockerRuntime second = DockerTestEngines.runtime(2);
    Orchestrator orch = null;
    try {
      orch = Orchestrator.builder().runtime(second).ownerId(owner).build();
      orch.started().get(60, TimeUnit.SECONDS);
      orch.apply(web("1"));
      orch.apply(web("2"));
      Orchestrator o = orch;
      // Sampled until the rollout is done: the old revision's replicas that run (they served before the
      // restart) and the new revision's that the probes found ready; never fewer than REPLICAS.
      AtomicInteger lowest = new AtomicInteger(Integer.MAX_VALUE);
      OrchestratedDocker.awaitUntil("the rollout after the restart completes", () -> o.status("web").toString(), () -> {
        List<ContainerInfo> owned = OrchestratedDocker.owned(second, owner);
        String target = o.status("web").orElseThrow().rollout().revision();
        Set<String> readyNew = o.status("web").orElseThrow().replicas().stream()
            .filter(r -> r.ready() && r.revision().equals(target)).map(r -> r.containerId())
            .collect(Collectors.toSet());
        int serving = (int) owned.stream().filter(c -> c.isRunning()
            && (!target.equals(c.labels().get(OrchLabels.REVISION)) || readyNew.contains(c.id()))).count();
        lowest.accumulateAndGet(serving, Math::min);
        return o.status("web").orElseThrow().isReady()
            && owned.stream().allMatch(c -> target.equals(c.labels().get(OrchLabels.REVISION)));
      });
      assertTrue(lowest.get() >= REPLICAS, "only " + lowest.get() + " replicas served at one point, below "
          + REPLICAS + " (maxUnavailable 0)");
      assertEquals(List.of(), o.events().recent().stream().filter(e -> e.reason().equals("CreateFailed")
          || e.reason().equals("NameInUse")).toList(), "no create tried a name an earlier orchestrator left");
      Set<String> made = o.events().recent().stream().filter(e -> e.reason().equals("Created"))
          .map(e -> e.replica()).collect(Collectors.toSet());
      assertEquals(REPLICAS, made.size(), made::toString);
      assertTrue(made.stream().noneMatch(earlier::contains), "reused names: " + earlier + " -> " + made);
    } finally {
      OrchestratedDocker.cleanUp(orch, second);
      second.close();
    }
  }

  private static Set<String> names(List<ContainerInfo> cs) {
    return cs.stream().map(ContainerInfo::name).collect(Collectors.toSet());
  }
}
