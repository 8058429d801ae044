package dev.orch.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.orch.api.runtime.ContainerInfo;
import dev.orch.api.runtime.OrchLabels;
import dev.orch.api.spec.ContainerSpec;
import dev.orch.api.spec.IntOrPercent;
import dev.orch.api.spec.Probe;
import dev.orch.api.spec.Resources;
import dev.orch.api.spec.RolloutStrategy;
import dev.orch.api.spec.ServiceSpec;
import dev.orch.api.time.VirtualTimeSource;
import dev.orch.core.lb.Endpoint;
import dev.orch.core.lb.LoadBalancer;
import dev.orch.core.lb.Pickers;
import dev.orch.inmemory.InMemoryRuntime;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A replica leaves the endpoints, its in-flight requests finish, and only then is it stopped: a client
 * load through the load balancer sees no failed request through a rolling update.
 */
class OrchestratorDrainTest {
  private final VirtualTimeSource time = new VirtualTimeSource();
  private InMemoryRuntime runtime;
  private Orchestrator orch;

  @AfterEach
  void tearDown() {
    orch.close();
    runtime.close();
  }

  /** A client sending 100 requests a second of 300 ms each, counting outcomes and the revisions that answer. */
  final class Client {
    final LoadBalancer lb;
    int succeeded;
    int failed;
    final List<String> answeredBy = new ArrayList<>();
    boolean running = true;

    Client(LoadBalancer lb) {
      this.lb = lb;
      tick();
    }

    void tick() {
      if (!running) {
        return;
      }
      for (int i = 0; i < 2; i++) {
        request();
      }
      time.schedule(Duration.ofMillis(20), this::tick);
    }

    void request() {
      Optional<Endpoint> picked = lb.tryPick();
      if (picked.isEmpty()) {
        failed++;
        return;
      }
      Endpoint e = picked.get();
      String id = e.labels().get(OrchLabels.CONTAINER_ID);
      if (!isRunning(id)) {
        failed++;
        lb.report(e, false, 0);
        return;
      }
      time.schedule(Duration.ofMillis(300), () -> {
        boolean ok = isRunning(id); // the replica must still serve when the answer is due
        if (ok) {
          succeeded++;
          answeredBy.add(e.labels().get(OrchLabels.REVISION));
        } else {
          failed++;
        }
        lb.report(e, ok, Duration.ofMillis(300).toNanos());
      });
    }
  }

  private boolean isRunning(String containerId) {
    try {
      ContainerInfo c = runtime.inspect(containerId).toCompletableFuture().getNow(null);
      return c != null && c.isRunning();
    } catch (RuntimeException gone) {
      return false;
    }
  }

  private Client rollOut(Duration drainTimeout) {
    runtime = InMemoryRuntime.builder().timeSource(time).nodes(3, Resources.of("4", "8Gi")).build();
    orch = Orchestrator.builder().runtime(runtime).timeSource(time).drainTimeout(drainTimeout)
        .terminationGrace(Duration.ofSeconds(1)).build();
    ServiceSpec v1 = ServiceSpec.builder("web").replicas(4)
        .container(ContainerSpec.builder("web:1").port("http", 8080).requests("250m", "128Mi").build())
        .readiness(Probe.http("/ready", "http").withPeriod(Duration.ofSeconds(1)))
        .rollout(RolloutStrategy.RollingUpdate.of(IntOrPercent.of(1), IntOrPercent.of(0)))
        .build();
    orch.apply(v1);
    time.advance(Duration.ofSeconds(5));
    assertTrue(orch.status("web").orElseThrow().isReady());
    Client client = new Client(orch.loadBalancer("web", Pickers.roundRobin()));
    time.advance(Duration.ofSeconds(2));
    orch.apply(v1.toBuilder().container(ContainerSpec.builder("web:2").port("http", 8080)
        .requests("250m", "128Mi").build()).build());
    for (int s = 0; s < 60; s++) {
      time.advance(Duration.ofSeconds(1));
    }
    client.running = false;
    time.advance(Duration.ofSeconds(1));
    return client;
  }

  @Test
  void noRequestFailsThroughARollingUpdateAndTheAnswersSwitchRevision() {
    Client client = rollOut(Duration.ofSeconds(10));

    assertEquals(0, client.failed, "failed requests");
    assertTrue(client.succeeded > 5000, "requests served: " + client.succeeded);
    String first = client.answeredBy.get(0);
    String last = client.answeredBy.get(client.answeredBy.size() - 1);
    assertTrue(!first.equals(last), "the answers moved from the old revision to the new one");
    assertTrue(client.answeredBy.subList(client.answeredBy.size() - 500, client.answeredBy.size()).stream()
        .allMatch(last::equals), "only the new revision answers at the end");
    ServiceStatus s = orch.status("web").orElseThrow();
    assertTrue(s.isReady(), s::toString);
  }

  @Test
  void withoutTimeToDrainRequestsDoFail() {
    // The counter-test: the same update, with in-flight requests given no time, loses requests.
    Client client = rollOut(Duration.ofNanos(1));
    assertTrue(client.failed > 0, "failed requests: " + client.failed);
  }
}
