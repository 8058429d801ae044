package dev.orch.docker;

import static dev.orch.docker.OrchestratedDocker.WAIT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.orch.api.runtime.ContainerInfo;
import dev.orch.api.runtime.ContainerRuntime;
import dev.orch.api.spec.RolloutStrategy;
import dev.orch.core.Orchestrator;
import dev.orch.core.RolloutStatus;
import dev.orch.core.lb.LoadBalancer;
import dev.orch.core.lb.Pickers;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Failover across processes, on a real engine and the real etcd cluster: the leader runs in a process of its own
 * ({@link FailoverLeader}); this JVM is a standby of the same owner, through which the test applies (its writes go
 * to the leader through etcd) and whose balancer a client load uses. In the middle of a canary the leader's process
 * is killed with SIGKILL; the standby is elected once its lease has ended, adopts every container, resumes the
 * canary at its step and finishes it, with no duplicate replica and no failed request meanwhile. Needs one engine
 * and etcd ({@code ORCH_ETCD_ENDPOINTS}; with {@code ORCH_REQUIRE_ETCD=1} the test fails without it).
 */
class EtcdFailoverDockerTest {
  private static final RolloutStrategy CANARY = RolloutStrategy.canary().setWeight(34).pause().build();

  private Process leader;
  private final java.util.concurrent.CountDownLatch leading = new java.util.concurrent.CountDownLatch(1);
  private DockerRuntime runtime;
  private Orchestrator standby;
  private HttpLoadClient client;

  @AfterEach
  void tearDown() throws Exception {
    if (client != null) {
      client.stop();
    }
    if (leader != null) {
      leader.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    }
    OrchestratedDocker.cleanUp(standby, runtime);
    if (runtime != null) {
      runtime.close();
    }
  }

  private static void requireEtcd() {
    if (System.getenv().getOrDefault("ORCH_ETCD_ENDPOINTS", "").isBlank()) {
      String why = "no etcd cluster: ORCH_ETCD_ENDPOINTS is not set (eval \"$(scripts/test-etcd.sh start)\")";
      if ("1".equals(System.getenv("ORCH_REQUIRE_ETCD"))) {
        fail(why + ", and ORCH_REQUIRE_ETCD=1 requires one");
      }
      org.junit.jupiter.api.Assumptions.assumeTrue(false, why);
    }
  }

  /** Starts the leader's process: this JVM's class path, {@link FailoverLeader}, until it prints READY. */
  private Process startLeader(String owner) throws Exception {
    Path java = Path.of(System.getProperty("java.home"), "bin", "java");
    ProcessBuilder pb = new ProcessBuilder(java.toString(), "-cp", System.getProperty("java.class.path"),
        FailoverLeader.class.getName(), owner, "leader").redirectErrorStream(true);
    Process p = pb.start();
    BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
    Thread pump = new Thread(() -> {
      try {
        for (String line; (line = out.readLine()) != null; ) {
          System.out.println("[leader] " + line);
          if (line.equals("LEADING")) {
            leading.countDown();
          }
        }
      } catch (java.io.IOException e) {
        // the process ended
      }
    }, "leader-output");
    pump.setDaemon(true);
    pump.start();
    return p;
  }

  @Test
  void aLeaderKilledMidCanaryIsReplacedByTheStandbyWhichFinishesWithNoFailedRequest() throws Exception {
    requireEtcd();
    String owner = OrchestratedDocker.ownerId("etcd-failover");
    runtime = DockerTestEngines.runtime(1);
    leader = startLeader(owner);
    assertTrue(leading.await(60, TimeUnit.SECONDS), "the leader's process leads");
    AtomicLong electedAt = new AtomicLong();
    AtomicLong firstCallAsLeader = new AtomicLong();
    standby = FailoverLeader.orchestrator(owner, "standby", afterElected(runtime, electedAt, firstCallAsLeader),
        () -> electedAt.compareAndSet(0, System.nanoTime()));
    Orchestrator b = standby;
    OrchestratedDocker.awaitUntil("the other process leads", () -> b.leadership().toString(),
        () -> b.leadership().leader().equals(Optional.of("leader")) && !b.leadership().leading());

    b.apply(ZeroDowntimeRollingUpdateDockerTest.web("v1", CANARY)); // through etcd, for the leader
    OrchestratedDocker.awaitUntil("web ready on v1, as the standby sees it", () -> b.status("web").toString(),
        () -> b.status("web").map(s -> s.replicas().size() == 3 && allReady(s)).orElse(false));
    LoadBalancer lb = b.loadBalancer("web", Pickers.weightedRoundRobin());
    client = new HttpLoadClient(lb);
    HttpLoadClient c = client;
    OrchestratedDocker.awaitUntil("the client is served", c::describe, () -> c.succeeded() >= 50);

    b.apply(ZeroDowntimeRollingUpdateDockerTest.web("v2", CANARY));
    // The standby sees the canary as the store holds it: paused at its 34% once 5 replicas run, 3 of v1 and 2 of v2,
    // all ready, and its balancer weighs them so.
    OrchestratedDocker.awaitUntil("the canary's replicas run and are ready, paused at step 1",
        () -> b.status("web").toString(), () -> b.status("web").map(s -> s.replicas().size() == 5 && allReady(s)
            && s.rollout().phase() == RolloutStatus.Phase.PAUSED && s.rollout().step() == 1).orElse(false));
    Set<String> before = containerIds(owner);
    int servedBefore = client.succeeded();

    long killedAt = System.nanoTime();
    leader.destroyForcibly(); // SIGKILL: no resign, no close; its lease runs out on etcd's side
    assertTrue(leader.waitFor(10, TimeUnit.SECONDS), "the leader's process ended");
    OrchestratedDocker.awaitUntil("the standby leads and has started", () -> b.leadership().toString(),
        () -> b.leadership().leading() && b.started().isDone());
    long tookMillis = (System.nanoTime() - killedAt) / 1_000_000;
    assertTrue(tookMillis < FailoverLeader.TTL.plusSeconds(10).toMillis(), () -> "took over in " + tookMillis
        + " ms");
    assertTrue(electedAt.get() > killedAt, "elected after the kill");
    assertTrue(firstCallAsLeader.get() > electedAt.get(), "the new leader has called the runtime (its adoption)");
    long firstCallMillis = (firstCallAsLeader.get() - killedAt) / 1_000_000;
    OrchestratedDocker.awaitUntil("the new leader sees the canary at its step", () -> b.status("web").toString(),
        () -> b.status("web").map(s -> s.rollout().phase() == RolloutStatus.Phase.PAUSED && s.rollout().step() == 1)
            .orElse(false));
    assertEquals(before, containerIds(owner), "every container adopted, none added or replaced");
    OrchestratedDocker.awaitUntil("served meanwhile and after", c::describe,
        () -> c.succeeded() >= servedBefore + 100);

    b.resume("web");
    assertTrue(b.awaitRollout("web", WAIT).map(r -> r.phase() == RolloutStatus.Phase.COMPLETE).orElse(false),
        () -> "the canary completes: " + b.status("web"));
    int atEnd = client.succeeded();
    OrchestratedDocker.awaitUntil("100 more requests on v2", c::describe, () -> c.succeeded() >= atEnd + 100);
    client.stop();
    assertEquals(0, client.failed(), () -> "failed requests: " + c.describe() + "\n" + c.failures);
    assertEquals(3, OrchestratedDocker.owned(runtime, owner).size(), "no duplicate replica");
    System.out.println("failover: after the kill, the standby was elected in " + (electedAt.get() - killedAt)
        / 1_000_000 + " ms, made its first runtime call as the leader in " + firstCallMillis + " ms and had started in "
        + tookMillis + " ms (lease " + FailoverLeader.TTL.toMillis() + " ms)");
  }

  /**
   * {@code runtime}, noting in {@code firstCall} the {@link System#nanoTime} of the first call to the engine (one
   * that returns a stage; not {@code name} or {@code capabilities}) once {@code electedAt} is set: the new leader's
   * first, a listing of its adoption, as its standby engine closes when the acting one has been built.
   */
  private static ContainerRuntime afterElected(DockerRuntime runtime, AtomicLong electedAt, AtomicLong firstCall) {
    return (ContainerRuntime) Proxy.newProxyInstance(EtcdFailoverDockerTest.class.getClassLoader(),
        new Class<?>[] {ContainerRuntime.class}, (proxy, method, args) -> {
          if (electedAt.get() != 0 && CompletionStage.class.isAssignableFrom(method.getReturnType())) {
            firstCall.compareAndSet(0, System.nanoTime());
          }
          try {
            return method.invoke(runtime, args);
          } catch (InvocationTargetException e) {
            throw e.getCause();
          }
        });
  }

  private static boolean allReady(dev.orch.core.ServiceStatus s) {
    return !s.replicas().isEmpty() && s.replicas().stream().allMatch(dev.orch.core.ReplicaStatus::ready);
  }

  private Set<String> containerIds(String owner) {
    return OrchestratedDocker.owned(runtime, owner).stream().map(ContainerInfo::id)
        .collect(Collectors.toCollection(TreeSet::new));
  }
}
