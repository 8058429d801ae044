package dev.orch.docker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.orch.api.runtime.NodeInfo;
import dev.orch.api.spec.ContainerSpec;
import dev.orch.api.spec.PortSpec;
import dev.orch.api.spec.ServiceSpec;
import dev.orch.core.Condition;
import dev.orch.core.Orchestrator;
import dev.orch.core.ServiceStatus;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.Optional;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

/**
 * What an engine refuses for a reason of one replica (a host port in use, an image it does not have) is that
 * replica's failure on real engines: the engine's breaker stays closed, its node stays ready, the neighbours
 * keep serving, and the replica's status and the service's {@code ReplicaFailure} condition carry the engine's
 * own words. Needs one engine.
 */
class ReplicaFaultsDockerTest {

  private static ContainerSpec.Builder sleeper() {
    return ContainerSpec.builder(DockerTestEngines.image())
        .command(OrchestratedDocker.sleeper().toArray(String[]::new)).requests("50m", "8Mi");
  }

  @Test
  void aHostPortInUseFailsThatReplicaAloneAndNeverTheEngine() throws Exception {
    DockerTestEngines.require(1);
    DockerRuntime runtime = DockerTestEngines.runtime(1);
    Orchestrator orch = null;
    // A listener Orch knows nothing of holds the port, as any process on the host may.
    try (ServerSocket holder = new ServerSocket()) {
      holder.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
      int port = holder.getLocalPort();
      orch = Orchestrator.builder().runtime(runtime).ownerId(OrchestratedDocker.ownerId("port"))
          .nodeLostGrace(Duration.ofSeconds(5)).resyncPeriod(Duration.ofSeconds(1)).build();
      Orchestrator o = orch;
      orch.apply(ServiceSpec.builder("bystander").replicas(4).container(sleeper().build()).build());
      assertTrue(orch.awaitReady("bystander", OrchestratedDocker.WAIT), () -> "not ready: " + o.status("bystander"));
      orch.apply(ServiceSpec.builder("taken").replicas(1).container(ContainerSpec.builder(DockerTestEngines.image())
          .command(OrchestratedDocker.httpd(8080).toArray(String[]::new))
          .port(PortSpec.tcp("http", 8080).withHostPort(port)).requests("50m", "8Mi").build()).build());
      OrchestratedDocker.awaitUntil("the start of taken is refused and said so", () -> o.status("taken").toString(),
          () -> o.status("taken").flatMap(s -> s.condition("ReplicaFailure")).isPresent());
      // Long past the node-lost grace and the breaker's threshold: the bystander never loses a replica.
      Awaitility.await().during(Duration.ofSeconds(12)).atMost(Duration.ofSeconds(20))
          .pollInterval(Duration.ofMillis(200)).failFast("the bystander lost a replica or the node turned NotReady",
              () -> o.status("bystander").orElseThrow().ready() < 4 || !node(runtime).ready())
          .until(() -> true);
      NodeInfo node = node(runtime); // the runtime's own view: readiness and the breaker, now
      assertTrue(orch.nodes().get(0).ready(), () -> "as the orchestrator last saw it: " + o.nodes());
      assertTrue(node.ready(), node::toString);
      assertTrue(node.message().contains("circuit closed"), node::message);
      ServiceStatus taken = orch.status("taken").orElseThrow();
      Condition failure = taken.condition("ReplicaFailure").orElseThrow();
      assertEquals("FailedStart", failure.reason(), failure::toString);
      assertTrue(failure.message().contains("address already in use")
          || failure.message().contains("port is already allocated"), failure::message);
      Optional<String> why = taken.replicas().get(0).lastStartFailure();
      assertTrue(why.isPresent() && why.get().contains("HTTP 500"), taken::toString);
      assertEquals(4, orch.status("bystander").orElseThrow().ready());
    } finally {
      OrchestratedDocker.cleanUp(orch, runtime);
      runtime.close();
    }
  }

  private static NodeInfo node(DockerRuntime runtime) {
    return OrchestratedDocker.await(runtime.nodes()).get(0);
  }

  @Test
  void aMissingImageBacksOffAndTheConditionNamesIt() throws Exception {
    DockerTestEngines.require(1);
    DockerRuntime runtime = DockerTestEngines.runtime(1);
    Orchestrator orch = null;
    try {
      orch = Orchestrator.builder().runtime(runtime).ownerId(OrchestratedDocker.ownerId("image"))
          .resyncPeriod(Duration.ofSeconds(1)).build();
      Orchestrator o = orch;
      orch.apply(ServiceSpec.builder("web").replicas(1)
          .container(ContainerSpec.builder("orch-test/does-not-exist:9").requests("50m", "8Mi").build()).build());
      OrchestratedDocker.awaitUntil("the create is refused and said so", () -> o.status("web").toString(),
          () -> o.status("web").flatMap(s -> s.condition("ReplicaFailure")).isPresent());
      long start = System.nanoTime();
      Awaitility.await().atMost(Duration.ofSeconds(20)).pollDelay(Duration.ofSeconds(12)).until(() -> true);
      long seconds = (System.nanoTime() - start) / 1_000_000_000L;
      long tries = o.events().recent().stream()
          .filter(e -> e.reason().equals("ImagePullFailed") && e.service().equals("web")).count();
      // 1, 2, 4, 8 s apart: at most 5 tries in the first 15 s, though a resync passes every second.
      assertTrue(tries >= 2 && tries <= 6, "creates tried " + tries + " times in about " + seconds + " s");
      Condition failure = o.status("web").orElseThrow().condition("ReplicaFailure").orElseThrow();
      assertEquals("ImagePullFailed", failure.reason());
      assertTrue(failure.message().startsWith("create web-0-") && failure.message().contains("No such image")
          && failure.message().contains("orch-test/does-not-exist:9"), failure::message);
      assertTrue(node(runtime).ready() && node(runtime).message().contains("circuit closed"),
          () -> node(runtime).toString());
    } finally {
      OrchestratedDocker.cleanUp(orch, runtime);
      runtime.close();
    }
  }
}
