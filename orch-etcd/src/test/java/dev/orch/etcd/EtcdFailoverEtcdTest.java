package dev.orch.etcd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.orch.api.runtime.ContainerInfo;
import dev.orch.api.runtime.ContainerState;
import dev.orch.api.runtime.LabelSelector;
import dev.orch.api.spec.ContainerSpec;
import dev.orch.api.spec.Resources;
import dev.orch.api.spec.RolloutStrategy;
import dev.orch.api.spec.ServiceSpec;
import dev.orch.core.Orchestrator;
import dev.orch.core.RolloutStatus;
import dev.orch.inmemory.InMemoryRuntime;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Two orchestrators of one owner on the real etcd cluster (each with a store and an election of its own, as two
 * processes would have) over one in-memory runtime: the standby's apply reaches the leader through etcd, and the
 * standby's status follows the leader's; the leader is cut off from etcd in the middle of a canary; it
 * stops acting, the standby is elected once the lease has ended, starts on what etcd holds, adopts every container,
 * resumes the canary at its step and finishes it, with no duplicate replica. And under one orchestrator: one etcd
 * member down changes nothing, two down make it stop acting (its replicas run on), and it acts again once they
 * return.
 */
class EtcdFailoverEtcdTest {
  private final String owner = EtcdTestCluster.freshOwner("failover");
  private final List<AutoCloseable> closing = new ArrayList<>();
  private final InMemoryRuntime runtime = InMemoryRuntime.builder().nodes(3, Resources.of("4", "8Gi")).build();

  @AfterEach
  void close() throws Exception {
    for (int i = closing.size() - 1; i >= 0; i--) {
      closing.get(i).close();
    }
    runtime.close();
  }

  private Orchestrator candidate(String name, String... endpoints) {
    return candidate(name, Duration.ofSeconds(3), Duration.ofSeconds(2), endpoints);
  }

  private Orchestrator candidate(String name, Duration ttl, Duration renewDeadline, String... endpoints) {
    EtcdStateStore store = EtcdStateStore.builder().endpoints(endpoints).owner(owner)
        .callTimeout(Duration.ofSeconds(2)).build();
    closing.add(store);
    EtcdLeaderElection election = EtcdLeaderElection.builder().client(store.client()).owner(owner).candidate(name)
        .leaseTtl(ttl).renewDeadline(renewDeadline).retryPeriod(Duration.ofMillis(500)).build();
    Orchestrator o = Orchestrator.builder().runtime(runtime).stateStore(store).ownerId(owner)
        .callTimeout(Duration.ofSeconds(5)).terminationGrace(Duration.ofSeconds(1)).leaderElection(election).build();
    closing.add(o);
    return o;
  }

  private static ServiceSpec web(String image) {
    return ServiceSpec.builder("web").replicas(4).container(ContainerSpec.builder(image).port("http", 8080)
        .requests("250m", "128Mi").build()).rollout(RolloutStrategy.canary().setWeight(25)
        .pause(Duration.ofSeconds(8)).build()).build();
  }

  private List<ContainerInfo> running() {
    return runtime.list(LabelSelector.of("orch.service", "web")).toCompletableFuture().join().stream()
        .filter(c -> c.state() == ContainerState.RUNNING).toList();
  }

  @Test
  void theStandbyTakesOverFromALeaderCutOffFromEtcdMidCanaryAndFinishesIt() throws Exception {
    TcpCut path = new TcpCut(EtcdTestCluster.endpoints()[0]);
    closing.add(path);
    Orchestrator a = candidate("a", path.url());
    Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> a.leadership().leading());
    Orchestrator b = candidate("b", EtcdTestCluster.endpoints());
    Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> b.leadership().leader().isPresent());
    assertFalse(b.leadership().leading());
    assertThrows(IllegalStateException.class, () -> b.rollback("web"), "a standby acts on nothing, naming a");

    b.apply(web("web:1")); // kept in etcd for a, which applies it
    Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> a.spec("web").isPresent());
    assertTrue(a.awaitReady("web", Duration.ofSeconds(20)), () -> a.status("web").toString());
    Awaitility.await("the standby follows").atMost(Duration.ofSeconds(10))
        .until(() -> b.status("web").map(st -> st.running() == 4).orElse(false));
    a.apply(web("web:2"));
    Awaitility.await().atMost(Duration.ofSeconds(10)).until(() ->
        a.status("web").orElseThrow().rollout().phase() == RolloutStatus.Phase.PAUSED);
    assertEquals(1, a.status("web").orElseThrow().rollout().step());
    assertEquals(5, running().size(), "4 of web:1 and the canary");

    path.cut(); // a reaches no member: it stops, its lease ends on etcd's side, b is elected
    Awaitility.await("a stops acting").atMost(Duration.ofSeconds(5)).until(() -> !a.leadership().leading());
    Awaitility.await("b leads and has started").atMost(Duration.ofSeconds(15))
        .until(() -> b.leadership().leading() && b.started().isDone());
    RolloutStatus resumed = b.status("web").orElseThrow().rollout();
    assertTrue(resumed.step() >= 1 && resumed.revisions().size() == 2, () -> "the canary goes on: " + resumed);
    assertEquals(5, running().size(), "every container adopted, none added");

    RolloutStatus done = b.awaitRollout("web", Duration.ofSeconds(30)).orElseThrow();
    assertEquals(RolloutStatus.Phase.COMPLETE, done.phase(), done::toString);
    Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> running().size() == 4);
    assertTrue(running().stream().allMatch(c -> c.image().equals("web:2")), () -> running().toString());
    assertFalse(a.leadership().leading(), "a stays a standby while cut off");
  }

  @Test
  void oneMemberDownChangesNothingTwoDownStopTheLeaderAndItResumesWhenTheyReturn() {
    // A longer renew deadline: losing the member that leads raft makes the others elect one, and renewals wait.
    Orchestrator a = candidate("a", Duration.ofSeconds(8), Duration.ofSeconds(5), EtcdTestCluster.endpoints());
    Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> a.leadership().leading() && a.started().isDone());
    ServiceSpec two = web("web:1").toBuilder().replicas(2).build();
    a.apply(two);
    Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> running().size() == 2);
    try {
      EtcdTestCluster.script("stop-one", "2");
      a.scale("web", 3); // kept by the two members left
      Awaitility.await("one member down: the same leader acts").during(Duration.ofSeconds(9))
          .atMost(Duration.ofSeconds(12)).until(() -> a.leadership().leading());
      assertEquals(3, running().size(), "it went on acting");

      EtcdTestCluster.script("stop-one", "1"); // no quorum
      Awaitility.await("two down: the leader stops").atMost(Duration.ofSeconds(12))
          .until(() -> !a.leadership().leading());
      assertThrows(IllegalStateException.class, () -> a.rollback("web"), "it acts on nothing meanwhile");
      assertEquals(3, running().size(), "and its replicas keep running");
    } finally {
      EtcdTestCluster.script("start-one", "1");
      EtcdTestCluster.script("start-one", "2");
    }
    Awaitility.await("it leads again once they return").atMost(Duration.ofSeconds(30))
        .until(() -> a.leadership().leading());
    a.scale("web", 1);
    Awaitility.await().atMost(Duration.ofSeconds(15)).until(() -> running().size() == 1);
    assertEquals(1, a.spec("web").orElseThrow().replicas());
  }
}
