package dev.orch.docker;

import static dev.orch.docker.OrchestratedDocker.WAIT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.orch.api.runtime.ContainerInfo;
import dev.orch.api.spec.RolloutStrategy;
import dev.orch.core.Orchestrator;
import dev.orch.core.RolloutStatus;
import dev.orch.core.lb.LoadBalancer;
import dev.orch.core.lb.Pickers;
import dev.orch.core.state.FileStateStore;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An orchestrator on a file store is restarted (closed, and a new one built on a new runtime over the same
 * engine and directory, as a new JVM would) in the middle of a canary on a real engine: the new one resumes at
 * the same step, with the same weights and the same replicas, and the client, which keeps sending requests
 * through the old balancer until the new one's takes over, sees no failed request through it all, up to the
 * promotion. Needs one engine.
 */
class RestartMidCanaryDockerTest {
  private static final RolloutStrategy CANARY = RolloutStrategy.canary().setWeight(34).pause().build();

  @TempDir
  Path dir;
  private DockerRuntime runtime;
  private FileStateStore store;
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
    if (store != null) {
      store.close();
    }
  }

  private Orchestrator start(String owner) {
    runtime = DockerTestEngines.runtime(1);
    store = FileStateStore.open(dir);
    return Orchestrator.builder().runtime(runtime).ownerId(owner).stateStore(store)
        .terminationGrace(java.time.Duration.ofSeconds(2)).build();
  }

  @Test
  void aRestartMidCanaryResumesAtTheSameStepWithNoFailedRequest() throws Exception {
    String owner = OrchestratedDocker.ownerId("restart");
    orch = start(owner);
    orch.apply(ZeroDowntimeRollingUpdateDockerTest.web("v1", CANARY));
    Orchestrator first = orch;
    assertTrue(orch.awaitReady("web", WAIT), () -> "web not ready on v1: " + first.status("web"));
    LoadBalancer firstBalancer = orch.loadBalancer("web", Pickers.weightedRoundRobin());
    client = new HttpLoadClient(firstBalancer);
    HttpLoadClient c = client;
    OrchestratedDocker.awaitUntil("the client is served by v1", c::describe, () -> c.succeeded() >= 50);

    orch.apply(ZeroDowntimeRollingUpdateDockerTest.web("v2", CANARY));
    OrchestratedDocker.awaitUntil("the canary paused at its pause step", () -> first.status("web").toString(),
        () -> first.status("web").orElseThrow().rollout().phase() == RolloutStatus.Phase.PAUSED
            && allReady(first.status("web").orElseThrow()));
    RolloutStatus before = orch.status("web").orElseThrow().rollout();
    Set<String> replicas = containerIds(owner);
    int servedBefore = client.succeeded();

    orch.close(); // the client goes on through the first balancer meanwhile: the replicas keep running
    DockerRuntime firstRuntime = runtime;
    store.close();
    orch = start(owner);
    firstRuntime.close();
    Orchestrator second = orch;
    orch.started().get(WAIT.toSeconds(), java.util.concurrent.TimeUnit.SECONDS);
    OrchestratedDocker.awaitUntil("the restarted orchestrator sees the canary", () -> second.status("web").toString(),
        () -> second.status("web").map(s -> allReady(s) && s.rollout().steps().equals(before.steps()))
            .orElse(false));
    RolloutStatus after = orch.status("web").orElseThrow().rollout();
    assertEquals(before.step(), after.step(), after::toString);
    assertEquals(before.weights(), after.weights());
    assertEquals(RolloutStatus.Phase.PAUSED, after.phase(), after::toString);
    assertEquals(replicas, containerIds(owner), "the same replicas: none was replaced");

    client.use(orch.loadBalancer("web", Pickers.weightedRoundRobin()));
    firstBalancer.close();
    OrchestratedDocker.awaitUntil("the new balancer serves", c::describe, () -> c.succeeded() >= servedBefore + 100);
    orch.resume("web");
    assertTrue(orch.awaitRollout("web", WAIT).map(r -> r.phase() == RolloutStatus.Phase.COMPLETE).orElse(false),
        () -> "the canary completes: " + second.status("web"));
    int atEnd = client.succeeded();
    OrchestratedDocker.awaitUntil("100 more requests on v2", c::describe, () -> c.succeeded() >= atEnd + 100);
    client.stop();
    assertEquals(0, client.failed(), () -> "failed requests: " + c.describe() + "\n" + c.failures);
    List<String> answers = List.copyOf(client.answers);
    assertTrue(answers.subList(answers.size() - 50, answers.size()).stream().allMatch("v2"::equals),
        () -> "v2 answers at the end: " + answers.subList(answers.size() - 50, answers.size()));
  }

  private static boolean allReady(dev.orch.core.ServiceStatus s) {
    return !s.replicas().isEmpty() && s.replicas().stream().allMatch(dev.orch.core.ReplicaStatus::ready);
  }

  private Set<String> containerIds(String owner) {
    return OrchestratedDocker.owned(runtime, owner).stream().map(ContainerInfo::id)
        .collect(Collectors.toCollection(TreeSet::new));
  }
}
