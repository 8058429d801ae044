package dev.orch.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.orch.api.runtime.ContainerCreateRequest;
import dev.orch.api.runtime.ContainerInfo;
import dev.orch.api.runtime.LabelSelector;
import dev.orch.api.runtime.OrchLabels;
import dev.orch.api.runtime.RuntimeUnavailableException;
import dev.orch.api.spec.ContainerSpec;
import dev.orch.api.spec.Resources;
import dev.orch.api.spec.ServiceSpec;
import dev.orch.api.time.VirtualTimeSource;
import dev.orch.inmemory.InMemoryRuntime;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A name in use by a container this owner owns is no failure and no retry loop: an orchestrator that starts
 * again never makes the names an earlier one left; the same replica is adopted; another owned container is
 * learnt and the replica named anew.
 */
class NameConflictTest {
  private final VirtualTimeSource time = new VirtualTimeSource();
  private final InMemoryRuntime runtime = InMemoryRuntime.builder().timeSource(time).nodes(2, Resources.of("4", "8Gi"))
      .build();
  private Orchestrator orch;

  @AfterEach
  void tearDown() {
    if (orch != null) {
      orch.close();
    }
    runtime.close();
  }

  private static ServiceSpec web(int replicas, String image) {
    return ServiceSpec.builder("web").replicas(replicas)
        .container(ContainerSpec.builder(image).requests("100m", "64Mi").build()).build();
  }

  private long events(String reason) {
    return orch.events().recent().stream().filter(e -> e.reason().equals(reason)).count();
  }

  private List<ContainerInfo> owned() {
    return runtime.list(LabelSelector.of(OrchLabels.OWNER, "orch")).toCompletableFuture().join();
  }

  @Test
  void aRestartedOrchestratorWithTheSameSeedMakesNewNames() {
    Set<String> earlier = new HashSet<>();
    try (Orchestrator first = Orchestrator.builder().runtime(runtime).timeSource(time).seed(7).build()) {
      first.apply(web(4, "web:1"));
      time.advance(Duration.ofSeconds(3));
      assertTrue(first.status("web").orElseThrow().isReady());
      owned().forEach(c -> earlier.add(c.name()));
    }
    orch = Orchestrator.builder().runtime(runtime).timeSource(time).seed(7).build();
    orch.apply(web(4, "web:1"));
    orch.apply(web(4, "web:2"));
    time.advance(Duration.ofSeconds(10));
    assertTrue(orch.status("web").orElseThrow().isReady(), () -> orch.status("web").toString());
    assertEquals(0, events("CreateFailed"), () -> orch.events().recent().toString());
    assertEquals(0, events("NameInUse"), () -> "no create even tried an earlier name: " + orch.events().recent());
    List<String> made = orch.events().recent().stream().filter(e -> e.reason().equals("Created"))
        .map(OrchEvent::replica).toList();
    assertEquals(4, made.size(), made::toString);
    made.forEach(name -> assertTrue(!earlier.contains(name), name + " reuses an earlier name"));
  }

  @Test
  void aCreateWhoseAnswerWasLostAdoptsItsOwnContainerOnTheRetry() {
    AtomicBoolean lose = new AtomicBoolean(true);
    ForwardingRuntime lossy = new ForwardingRuntime(runtime) {
      @Override
      public CompletionStage<ContainerInfo> create(ContainerCreateRequest request) {
        CompletionStage<ContainerInfo> done = super.create(request);
        if (!lose.getAndSet(false)) {
          return done;
        }
        // The engine created it; the answer never came back. The retry then finds the name in use.
        return done.thenCompose(c -> CompletableFuture.failedFuture(
            new RuntimeUnavailableException(request.nodeId() + ": create " + request.name() + ": connection reset")));
      }
    };
    orch = Orchestrator.builder().runtime(lossy).timeSource(time).build();
    orch.apply(web(1, "web:1"));
    time.advance(Duration.ofSeconds(2));
    ServiceStatus s = orch.status("web").orElseThrow();
    assertTrue(s.isReady(), s::toString);
    assertEquals(1, owned().size(), () -> "one container for the replica: " + owned());
    assertEquals(1, events("Adopted"), () -> orch.events().recent().toString());
    assertEquals(0, events("CreateFailed"), () -> orch.events().recent().toString());
  }

  @Test
  void aNameTakenByAnotherOwnedContainerIsLearntAndTheReplicaNamedAnew() {
    AtomicBoolean collide = new AtomicBoolean(true);
    ForwardingRuntime colliding = new ForwardingRuntime(runtime) {
      @Override
      public CompletionStage<ContainerInfo> create(ContainerCreateRequest request) {
        List<ContainerInfo> zero = owned().stream()
            .filter(c -> "0".equals(c.labels().get(OrchLabels.ORDINAL))).toList();
        if (request.name().startsWith("web-1-") && !zero.isEmpty() && collide.getAndSet(false)) {
          // As if the generator had made replica 0's name again.
          return super.create(new ContainerCreateRequest(zero.get(0).name(), request.nodeId(), request.spec(),
              request.labels()));
        }
        return super.create(request);
      }
    };
    orch = Orchestrator.builder().runtime(colliding).timeSource(time).build();
    orch.apply(web(1, "web:1"));
    time.advance(Duration.ofSeconds(2));
    orch.apply(web(2, "web:1"));
    time.advance(Duration.ofMillis(500)); // well within the first backoff of a failure (1 s)
    ServiceStatus s = orch.status("web").orElseThrow();
    assertTrue(s.isReady(), s::toString);
    assertEquals(1, events("NameInUse"), () -> orch.events().recent().toString());
    assertEquals(0, events("CreateFailed"), () -> orch.events().recent().toString());
    assertEquals(2, owned().size());
  }
}
