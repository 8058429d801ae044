package dev.orch.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.orch.api.runtime.ContainerCreateRequest;
import dev.orch.api.spec.ContainerSpec;
import dev.orch.api.spec.PortSpec;
import dev.orch.api.spec.Resources;
import dev.orch.api.spec.ServiceSpec;
import dev.orch.api.time.VirtualTimeSource;
import dev.orch.inmemory.CallFault;
import dev.orch.inmemory.InMemoryRuntime;
import dev.orch.inmemory.RuntimeOperation;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A create or start the runtime refuses is that replica's failure: it backs off on its own (exponentially,
 * capped), the service's {@code ReplicaFailure} condition and the replica's status name it in the runtime's
 * words, and it never touches the node or the other services.
 */
class ReplicaFailureTest {
  private final VirtualTimeSource time = new VirtualTimeSource();
  private InMemoryRuntime runtime;
  private Orchestrator orch;

  private void start(int nodes) {
    runtime = InMemoryRuntime.builder().timeSource(time).nodes(nodes, Resources.of("4", "8Gi")).build();
    // A short resync passes over the service every second, as runtime events and probes do on a busy engine:
    // the backoff must hold against passes, not only against its own timer.
    orch = Orchestrator.builder().runtime(runtime).timeSource(time).resyncPeriod(Duration.ofSeconds(1)).build();
    time.advance(Duration.ofMillis(10));
  }

  @AfterEach
  void tearDown() {
    if (orch != null) {
      orch.close();
    }
    if (runtime != null) {
      runtime.close();
    }
  }

  private static ServiceSpec service(String name, int replicas, ContainerSpec container) {
    return ServiceSpec.builder(name).replicas(replicas).container(container).build();
  }

  private long eventsOf(String reason, String service) {
    return orch.events().recent().stream().filter(e -> e.reason().equals(reason) && e.service().equals(service))
        .count();
  }

  @Test
  void aRefusedCreateBacksOffAndItsConditionSaysWhy() {
    start(2);
    runtime.injectFault(CallFault.refusing().operations(RuntimeOperation.CREATE)
        .message("no such image orch-test/does-not-exist:9").build());
    orch.apply(service("web", 1, ContainerSpec.builder("orch-test/does-not-exist:9").build()));
    time.advance(Duration.ofSeconds(25));
    // 1, 2, 4, 8 and 16 s apart: tries at 0, 1, 3, 7 and 15 s; never one a second.
    long tries = eventsOf("CreateFailed", "web");
    assertTrue(tries >= 4 && tries <= 6, "creates tried " + tries + " times in 25 s");
    Condition failure = orch.status("web").orElseThrow().condition("ReplicaFailure").orElseThrow();
    assertTrue(failure.status());
    assertEquals("FailedCreate", failure.reason());
    assertTrue(failure.message().startsWith("create web-0-") && failure.message()
        .contains("no such image orch-test/does-not-exist:9"), failure.message());

    runtime.clearFaults();
    time.advance(Duration.ofSeconds(40)); // the next try (at 31 s) succeeds
    ServiceStatus s = orch.status("web").orElseThrow();
    assertTrue(s.isReady(), s::toString);
    assertFalse(s.condition("ReplicaFailure").isPresent(), () -> "the condition goes once creates succeed: " + s);
  }

  @Test
  void aRefusedStartBacksOffAndTheReplicaSaysWhy() {
    start(1);
    runtime.injectFault(CallFault.refusing().operations(RuntimeOperation.START)
        .message("driver failed programming external connectivity: bind: address already in use").build());
    orch.apply(service("web", 1, ContainerSpec.builder("web:1").build()));
    time.advance(Duration.ofSeconds(25));
    long tries = eventsOf("StartFailed", "web");
    assertTrue(tries >= 4 && tries <= 6, "starts tried " + tries + " times in 25 s");
    ServiceStatus s = orch.status("web").orElseThrow();
    assertEquals(1, s.replicas().size(), () -> "the created container stays and is started again: " + s);
    String why = s.replicas().get(0).lastStartFailure().orElseThrow();
    assertTrue(why.contains("address already in use"), why);
    assertEquals("FailedStart", s.condition("ReplicaFailure").orElseThrow().reason());

    runtime.clearFaults();
    time.advance(Duration.ofSeconds(40));
    ServiceStatus after = orch.status("web").orElseThrow();
    assertTrue(after.isReady(), after::toString);
    assertTrue(after.replicas().get(0).lastStartFailure().isEmpty(), after::toString);
    assertFalse(after.condition("ReplicaFailure").isPresent(), after::toString);
  }

  @Test
  void aHostPortInUseFailsThatReplicaAloneAndLeavesItsNeighboursServing() {
    start(1);
    orch.apply(service("bystander", 4, ContainerSpec.builder("web:1").build()));
    // Something Orch does not own holds host port 18080 (on Docker: any listener on 127.0.0.1:18080).
    String outsider = runtime.create(new ContainerCreateRequest("outsider", "node-1", ContainerSpec.builder("web:1")
        .port(PortSpec.tcp("http", 8080).withHostPort(18080)).build(), Map.of())).toCompletableFuture().join().id();
    runtime.start(outsider).toCompletableFuture().join();
    time.advance(Duration.ofSeconds(5));
    assertTrue(orch.status("bystander").orElseThrow().isReady());
    orch.apply(service("taken", 1, ContainerSpec.builder("web:1")
        .port(PortSpec.tcp("http", 8080).withHostPort(18080)).build()));
    for (int i = 0; i < 60; i++) {
      time.advance(Duration.ofSeconds(1));
      assertEquals(4, orch.status("bystander").orElseThrow().ready(), "the bystander keeps serving");
    }
    Condition failure = orch.status("taken").orElseThrow().condition("ReplicaFailure").orElseThrow();
    assertTrue(failure.message().contains("host port 18080 is in use"), failure.message());
  }

  @Test
  void anImageThatCannotBePulledIsAnImagePullFailureInTheEventsConditionAndStatus() {
    runtime = InMemoryRuntime.builder().timeSource(time).nodes(1, Resources.of("4", "8Gi"))
        .missingImages("orch-test/does-not-exist:9").build();
    orch = Orchestrator.builder().runtime(runtime).timeSource(time).build();
    orch.apply(service("web", 1, ContainerSpec.builder("orch-test/does-not-exist:9").build()));
    time.advance(Duration.ofSeconds(5));
    assertTrue(eventsOf("ImagePullFailed", "web") >= 2, () -> orch.events().recent().toString());
    assertEquals(0, eventsOf("CreateFailed", "web"));
    ServiceStatus s = orch.status("web").orElseThrow();
    assertEquals("ImagePullFailed", s.condition("ReplicaFailure").orElseThrow().reason(), s::toString);
    assertTrue(s.pending().get(0).reason().contains("pull access denied for orch-test/does-not-exist:9"),
        s::toString);
  }
}
