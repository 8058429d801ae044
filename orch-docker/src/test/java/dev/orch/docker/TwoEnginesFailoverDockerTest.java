package dev.orch.docker;

import static dev.orch.docker.OrchestratedDocker.WAIT;
import static dev.orch.docker.OrchestratedDocker.assertServes;
import static dev.orch.docker.OrchestratedDocker.owned;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.orch.api.runtime.ContainerInfo;
import dev.orch.api.runtime.ContainerState;
import dev.orch.api.runtime.PortBinding;
import dev.orch.api.spec.ContainerSpec;
import dev.orch.api.spec.Probe;
import dev.orch.api.spec.ServiceSpec;
import dev.orch.core.CrashLoopBackoff;
import dev.orch.core.Orchestrator;
import dev.orch.core.ServiceStatus;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Two engines as a two-node cluster: a service of four replicas is ready and serves HTTP; one engine stops
 * and its replicas come up on the other; it starts again and nothing of it remains. Needs two engines.
 */
class TwoEnginesFailoverDockerTest {

  @Test
  void replicasOfAStoppedEngineMoveToTheOtherAndNoDuplicateRemainsWhenItReturns() throws Exception {
    DockerTestEngines.require(2);
    String stopped = null;
    Orchestrator orch = null;
    DockerRuntime runtime = DockerTestEngines.runtime(2);
    try {
      orch = Orchestrator.builder().runtime(runtime).ownerId(OrchestratedDocker.ownerId("failover"))
          .nodeLostGrace(Duration.ofSeconds(1)).terminationGrace(Duration.ofSeconds(1))
          .resyncPeriod(Duration.ofSeconds(2))
          .crashLoopBackoff(new CrashLoopBackoff(Duration.ofMillis(500), Duration.ofSeconds(2), Duration.ofMinutes(1)))
          .build();
      orch.apply(ServiceSpec.builder("web").replicas(4)
          .container(ContainerSpec.builder(DockerTestEngines.image()).command(OrchestratedDocker.httpd(8080)
              .toArray(String[]::new)).port("http", 8080).requests("100m", "16Mi").build())
          .readiness(Probe.http("/", "http"))
          .build());
      Orchestrator o = orch;
      assertTrue(o.awaitReady("web", WAIT), () -> "web not ready: " + status(o));
      for (ContainerInfo c : running(owned(runtime, o.ownerId()))) {
        assertServes(port(c));
      }

      // Stop the engine that runs the most replicas.
      Map<String, Integer> perNode = new HashMap<>();
      status(o).replicas().forEach(r -> perNode.merge(r.node(), 1, Integer::sum));
      stopped = perNode.entrySet().stream().max(Map.Entry.comparingByValue()).orElseThrow().getKey();
      String survivor = stopped.equals("e0") ? "e1" : "e0";
      DockerTestEngines.script("stop-one", stopped.substring(1));

      String lost = stopped;
      OrchestratedDocker.awaitUntil("four ready replicas on " + survivor, () -> status(o) + "\n owned: "
          + owned(runtime, o.ownerId()), () -> {
            ServiceStatus s = status(o);
            // The lost replicas stay listed (state UNKNOWN) until their engine answers and they are removed.
            return s.ready() == 4 && s.replicas().stream().filter(r -> r.ready()).allMatch(r -> r.node().equals(survivor));
          });
      List<ContainerInfo> moved = running(owned(runtime, o.ownerId()));
      assertEquals(4, moved.size(), "running replicas on " + survivor + ": " + moved);
      for (ContainerInfo c : moved) {
        assertEquals(survivor, c.nodeId());
        assertServes(port(c));
      }
      assertFalse(runtime.nodes().toCompletableFuture().join().stream()
          .filter(n -> n.id().equals(lost)).findFirst().orElseThrow().ready(), lost + " is not ready");

      // Start it again: its leftovers are reconciled away, and no duplicate remains.
      DockerTestEngines.script("start-one", stopped.substring(1));
      stopped = null;
      OrchestratedDocker.awaitUntil("only the four replicas on " + survivor + " remain once " + lost + " is back",
          () -> status(o) + "\n owned: " + owned(runtime, o.ownerId()), () -> {
            boolean back = runtime.nodes().toCompletableFuture().join().stream().allMatch(n -> n.ready());
            List<ContainerInfo> all = owned(runtime, o.ownerId());
            return back && all.size() == 4 && all.stream().allMatch(c -> c.nodeId().equals(survivor))
                && status(o).isReady();
          });
    } finally {
      if (stopped != null) {
        DockerTestEngines.script("start-one", stopped.substring(1));
      }
      OrchestratedDocker.cleanUp(orch, runtime);
      runtime.close();
    }
  }

  private static ServiceStatus status(Orchestrator o) {
    return o.status("web").orElseThrow();
  }

  private static List<ContainerInfo> running(List<ContainerInfo> cs) {
    return cs.stream().filter(c -> c.state() == ContainerState.RUNNING).toList();
  }

  private static int port(ContainerInfo c) {
    return c.ports().stream().filter(p -> p.name().equals("http")).mapToInt(PortBinding::hostPort).findFirst()
        .orElseThrow(() -> new AssertionError("no published http port on " + c));
  }
}
