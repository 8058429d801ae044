package dev.orch.core;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import dev.orch.api.runtime.ContainerCreateRequest;
import dev.orch.api.runtime.ContainerInfo;
import dev.orch.api.runtime.ContainerState;
import dev.orch.api.runtime.LabelSelector;
import dev.orch.api.runtime.PortBinding;
import dev.orch.api.runtime.RuntimeEvent;
import dev.orch.api.runtime.RuntimeListener;
import dev.orch.api.runtime.Subscription;
import dev.orch.api.spec.ContainerSpec;
import dev.orch.api.spec.Probe;
import dev.orch.api.spec.Resources;
import dev.orch.api.spec.ServiceSpec;
import dev.orch.core.probe.HealthProber;
import dev.orch.core.probe.ProbeHandle;
import dev.orch.inmemory.InMemoryRuntime;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * Probes over the network of a runtime that publishes ports as Docker does: a container's host port is
 * chosen as it starts, and anew at each start; a create tells no port; the start event is stamped a little
 * after the run began, and the start call answers later still (after its event), while an inspect or a
 * listing tells the run's own start time. Each run of a container answers HTTP on its own 127.0.0.1 port.
 */
class OrchestratorPublishedPortsTest {
  private static final Duration WAIT = Duration.ofSeconds(15);

  @Test
  void aResyncDoesNotRenewTheWatchOfAReplicaThatKeepsRunning() throws Exception {
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    try (InMemoryRuntime memory = InMemoryRuntime.builder().nodes(1, Resources.of("4", "8Gi")).build();
         DockerLikeRuntime runtime = new DockerLikeRuntime(memory);
         HealthProber prober = HealthProber.builder().build();
         Orchestrator orch = Orchestrator.builder().runtime(runtime).healthProber(prober).meterRegistry(registry)
             .resyncPeriod(Duration.ofMillis(300)).build()) {
      orch.apply(web(2, Probe.http("/ready", "http")));
      assertTrue(orch.awaitReady("web", WAIT), () -> "not ready: " + orch.status("web"));
      assertTrue(runtime.starts.values().stream().allMatch(n -> n.get() == 1),
          () -> "each replica is started once: " + runtime.starts);
      Set<ProbeHandle> watched = prober.watched();
      assertEquals(2, watched.size());

      for (int i = 0; i < 3; i++) {
        // A resync (every 300 ms) lists the containers, learning each run's start time from the runtime, then
        // reconciles.
        int listed = runtime.listings.get();
        long passes = passes(registry);
        await().atMost(WAIT).until(() -> runtime.listings.get() > listed && passes(registry) > passes);
      }

      assertEquals(watched, prober.watched(), "the same runs are watched by the same watches after resyncs");
      assertTrue(orch.status("web").orElseThrow().isReady());
    }
  }

  @Test
  void aRestartedReplicaIsProbedWhereItsNewRunIsPublished() throws Exception {
    try (InMemoryRuntime memory = InMemoryRuntime.builder().nodes(1, Resources.of("4", "8Gi")).build();
         DockerLikeRuntime runtime = new DockerLikeRuntime(memory);
         Orchestrator orch = Orchestrator.builder().runtime(runtime)
             .crashLoopBackoff(new CrashLoopBackoff(Duration.ofMillis(50), Duration.ofSeconds(1),
                 Duration.ofMinutes(1)))
             .build()) {
      orch.apply(web(1, Probe.http("/ready", "http")));
      assertTrue(orch.awaitReady("web", WAIT), () -> "not ready: " + orch.status("web"));
      ReplicaStatus replica = orch.status("web").orElseThrow().replicas().get(0);
      int firstPort = runtime.port(replica.containerId());

      memory.crashContainer(replica.containerId(), 1);

      // The resync (every 30 s by default) is not what gets it probed again.
      await().atMost(WAIT).until(() -> orch.status("web").orElseThrow().replicas().stream()
          .anyMatch(r -> r.containerId().equals(replica.containerId()) && r.restarts() == 1 && r.ready()));
      assertNotEquals(firstPort, runtime.port(replica.containerId()), "the new run is published elsewhere");
    }
  }

  @Test
  void aProbeOfAContainerPortByNumberGoesWhereThatPortIsPublished() throws Exception {
    try (InMemoryRuntime memory = InMemoryRuntime.builder().nodes(1, Resources.of("4", "8Gi")).build();
         DockerLikeRuntime runtime = new DockerLikeRuntime(memory);
         Orchestrator orch = Orchestrator.builder().runtime(runtime).build()) {
      orch.apply(web(1, Probe.http("/ready", DockerLikeRuntime.CONTAINER_PORT)));
      assertTrue(orch.awaitReady("web", WAIT), () -> "not ready: " + orch.status("web"));
    }
  }

  private static ServiceSpec web(int replicas, Probe readiness) {
    return ServiceSpec.builder("web").replicas(replicas)
        .container(ContainerSpec.builder("web:1").port("http", DockerLikeRuntime.CONTAINER_PORT)
            .requests("100m", "64Mi").build())
        .readiness(readiness.withPeriod(Duration.ofMillis(50)))
        .build();
  }

  private static long passes(SimpleMeterRegistry registry) {
    return registry.get("orch.reconcile.duration").timer().count();
  }

  /**
   * An in-memory runtime seen through Docker's habits (see the class comment); each run's port is an HTTP
   * server answering 200 on 127.0.0.1, closed when the run exits. Thread-safe.
   */
  private static final class DockerLikeRuntime extends ForwardingRuntime implements AutoCloseable {
    static final int CONTAINER_PORT = 8080;
    private static final long START_ANSWER_MILLIS = 200;

    private final InMemoryRuntime memory;
    private final ConcurrentHashMap<String, HttpServer> runs = new ConcurrentHashMap<>();
    private final ExecutorService serverThreads = Executors.newFixedThreadPool(2, r -> daemon(r, "orch-test-http"));
    private final ScheduledExecutorService engine = Executors.newSingleThreadScheduledExecutor(
        r -> daemon(r, "orch-test-engine"));
    /** Listings answered. */
    final AtomicInteger listings = new AtomicInteger();
    /** Start calls per container. */
    final ConcurrentHashMap<String, AtomicInteger> starts = new ConcurrentHashMap<>();

    DockerLikeRuntime(InMemoryRuntime memory) {
      super(memory);
      this.memory = memory;
    }

    /** The host port of the current run of {@code id}. */
    int port(String id) {
      return runs.get(id).getAddress().getPort();
    }

    @Override
    public CompletionStage<ContainerInfo> create(ContainerCreateRequest request) {
      return memory.create(request).thenApply(this::published);
    }

    @Override
    public CompletionStage<Void> start(String containerId) {
      // The port is published as the run starts; the call answers a while after the start event.
      starts.computeIfAbsent(containerId, k -> new AtomicInteger()).incrementAndGet();
      return memory.start(containerId).thenCompose(v -> {
        publish(containerId);
        CompletableFuture<Void> answer = new CompletableFuture<>();
        engine.schedule(() -> answer.complete(null), START_ANSWER_MILLIS, TimeUnit.MILLISECONDS);
        return answer;
      });
    }

    @Override
    public CompletionStage<ContainerInfo> inspect(String containerId) {
      return memory.inspect(containerId).thenApply(this::published);
    }

    @Override
    public CompletionStage<List<ContainerInfo>> list(LabelSelector selector) {
      return memory.list(selector).thenApply(all -> {
        listings.incrementAndGet();
        return all.stream().map(this::published).toList();
      });
    }

    @Override
    public Subscription subscribe(RuntimeListener listener) {
      return memory.subscribe(e -> {
        if (e instanceof RuntimeEvent.ContainerExited x) {
          unpublish(x.containerId());
        }
        if (e instanceof RuntimeEvent.ContainerStarted s) {
          // Docker stamps the event when it reports the start, a little after the run began.
          e = new RuntimeEvent.ContainerStarted(s.time().plusMillis(3), s.nodeId(), s.containerId(), s.labels());
        }
        listener.onEvent(e);
      });
    }

    private void publish(String id) {
      try {
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 50);
        server.setExecutor(serverThreads);
        server.createContext("/ready", x -> {
          x.sendResponseHeaders(200, -1);
          x.close();
        });
        server.start();
        HttpServer old = runs.put(id, server);
        if (old != null) {
          old.stop(0);
        }
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }

    private void unpublish(String id) {
      HttpServer server = runs.remove(id);
      if (server != null) {
        server.stop(0);
      }
    }

    /** {@code c} with the ports its current run is published on: none unless it runs. */
    private ContainerInfo published(ContainerInfo c) {
      HttpServer server = c.state() == ContainerState.RUNNING ? runs.get(c.id()) : null;
      List<PortBinding> ports = server == null ? List.of()
          : List.of(new PortBinding("http", CONTAINER_PORT, "127.0.0.1", server.getAddress().getPort()));
      return new ContainerInfo(c.id(), c.name(), c.nodeId(), c.image(), c.labels(), c.state(), c.exitCode(),
          c.oomKilled(), c.createdAt(), c.startedAt(), c.finishedAt(), ports);
    }

    @Override
    public void close() {
      runs.keySet().forEach(this::unpublish);
      serverThreads.shutdownNow();
      engine.shutdownNow();
    }

    private static Thread daemon(Runnable r, String name) {
      Thread t = new Thread(r, name);
      t.setDaemon(true);
      return t;
    }
  }
}
