package dev.orch.inmemory;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.orch.api.runtime.ContainerCreateRequest;
import dev.orch.api.runtime.ContainerInfo;
import dev.orch.api.spec.ContainerSpec;
import dev.orch.api.spec.Resources;
import dev.orch.api.time.VirtualTimeSource;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The in-memory request model: a replica can be called, as over a network, and answers as its image says. */
class RequestModelTest {
  private final VirtualTimeSource time = new VirtualTimeSource();
  private final InMemoryRuntime runtime = InMemoryRuntime.builder().timeSource(time).nodes(2, Resources.of("4", "8Gi"))
      .behavior("flaky:2", Behaviors.serving(Behaviors.runForever(), RequestModel.builder().errorRate(0.25)
          .latency(Duration.ofMillis(20), Duration.ofMillis(200)).cpuPerRequest(Duration.ofMillis(5)).build()))
      .behavior("slow-stop:1", Behaviors.serving(Behaviors.slowShutdown(Duration.ofSeconds(2)),
          RequestModel.builder().latency(Duration.ofMillis(10)).build()))
      .behavior("custom:1", Behaviors.serving(Behaviors.runForever(), RequestModel.builder()
          .handler((p, r) -> {
            p.log("served " + r.path() + " to " + r.caller());
            return new SimResponse(r.path().equals("/missing") ? 404 : 200, "custom " + r.path(), Duration.ZERO);
          }).build()))
      .build();

  @AfterEach
  void tearDown() {
    runtime.close();
  }

  private ContainerInfo run(String name, String image) {
    ContainerInfo c = runtime.create(new ContainerCreateRequest(name, "node-1", ContainerSpec.builder(image)
        .port("http", 8080).build(), Map.of())).toCompletableFuture().join();
    runtime.start(c.id()).toCompletableFuture().join();
    return c;
  }

  private Throwable failure(CompletableFuture<SimResponse> f) {
    assertTrue(f.isCompletedExceptionally(), () -> "expected a failed call, got " + f.join());
    try {
      f.join();
      throw new AssertionError("unreachable");
    } catch (CompletionException e) {
      return e.getCause();
    }
  }

  @Test
  void aReplicaAnswersWithItsImageAsTheVersionByDefault() {
    run("web-0", "web:1.4");
    SimResponse r = runtime.get("web-0", 8080, "/").toCompletableFuture().join();
    assertEquals(200, r.status());
    assertEquals("web:1.4", r.body());
  }

  @Test
  void aModelGivesErrorsLatencyAndCpu() {
    ContainerInfo c = run("flaky-0", "flaky:2");
    int errors = 0;
    Duration slowest = Duration.ZERO;
    for (int i = 0; i < 1000; i++) {
      CompletableFuture<SimResponse> f = runtime.get("flaky-0", 8080, "/").toCompletableFuture();
      assertFalse(f.isDone(), "an answer with latency waits for the clock");
      time.advance(Duration.ofSeconds(2));
      SimResponse r = f.join();
      errors += r.status() == 500 ? 1 : 0;
      slowest = r.latency().compareTo(slowest) > 0 ? r.latency() : slowest;
    }
    assertTrue(errors > 200 && errors < 300, "a 25% error rate: " + errors + " of 1000");
    assertTrue(slowest.compareTo(Duration.ofMillis(100)) > 0 && slowest.compareTo(Duration.ofSeconds(2)) < 0,
        "a long tail: " + slowest);
    assertEquals(Duration.ofMillis(5000), runtime.process(c.id()).orElseThrow().cpuUsed());
  }

  @Test
  void callsFailAsARealConnectionWould() {
    ContainerInfo c = run("web-0", "web:1");
    assertInstanceOf(java.net.UnknownHostException.class, failure(runtime.get("nope", 8080, "/").toCompletableFuture()));
    assertInstanceOf(java.net.ConnectException.class, failure(runtime.get("web-0", 9999, "/").toCompletableFuture()));
    runtime.partitionNode("node-1");
    assertInstanceOf(java.net.NoRouteToHostException.class,
        failure(runtime.get("web-0", 8080, "/").toCompletableFuture()));
    runtime.healPartition("node-1");
    assertEquals(200, runtime.get("web-0", 8080, "/").toCompletableFuture().join().status());
    runtime.stop(c.id(), Duration.ofSeconds(1)).toCompletableFuture().join();
    Throwable stopped = failure(runtime.get("web-0", 8080, "/").toCompletableFuture());
    assertInstanceOf(java.net.ConnectException.class, stopped);
    assertTrue(stopped.getMessage().contains("not running"), stopped.getMessage());
  }

  @Test
  void aDrainingReplicaAnswersUntilItStopsAndAnAnswerDueAfterThatIsReset() {
    ContainerInfo c = run("slow-0", "slow-stop:1");
    runtime.stop(c.id(), Duration.ofSeconds(30)); // it takes 2 s to shut down
    time.advance(Duration.ofSeconds(1));
    CompletableFuture<SimResponse> during = runtime.get("slow-0", 8080, "/").toCompletableFuture();
    time.advance(Duration.ofMillis(20));
    assertEquals(200, during.join().status(), "still running while it drains");
    time.advance(Duration.ofMillis(975)); // 5 ms before it stops: its 10 ms answer is due after that
    CompletableFuture<SimResponse> cut = runtime.get("slow-0", 8080, "/").toCompletableFuture();
    time.advance(Duration.ofMillis(20));
    Throwable reset = failure(cut);
    assertInstanceOf(java.net.SocketException.class, reset);
    assertTrue(reset.getMessage().contains("connection reset"), reset.getMessage());
    assertInstanceOf(java.net.ConnectException.class, failure(runtime.get("slow-0", 8080, "/").toCompletableFuture()));
  }

  @Test
  void anInterceptorRefusesAndAHandlerOfOneOwnAnswersAndLogs() {
    ContainerInfo c = run("custom-0", "custom:1");
    try (var s = runtime.interceptRequests((r, target) -> r.caller().equals("billing")
        ? Optional.of("billing may not call " + target.name()) : Optional.empty())) {
      Throwable refused = failure(runtime.call("custom-0", 8080, SimRequest.get("/x").from("billing"))
          .toCompletableFuture());
      assertTrue(refused.getMessage().contains("billing may not call custom-0"), refused.getMessage());
      SimResponse ok = runtime.call("custom-0", 8080, SimRequest.get("/x").from("orders")).toCompletableFuture()
          .join();
      assertEquals("custom /x", ok.body());
    }
    assertEquals(404, runtime.get("custom-0", 8080, "/missing").toCompletableFuture().join().status());
    assertTrue(runtime.logs(c.id(), 10).toCompletableFuture().join().stream()
        .anyMatch(l -> l.contains("served /x to orders")));
  }

  @Test
  void aCallerNamesAServiceAndAResolverSaysWhichReplicasAnswerInTurn() {
    run("inv-0", "inventory:1");
    run("inv-1", "inventory:2");
    assertInstanceOf(java.net.UnknownHostException.class, failure(runtime.get("inventory", 8080, "/")
        .toCompletableFuture()), "no resolver: no such host");
    try (var s = runtime.resolveNames(name -> name.equals("inventory") ? java.util.List.of("inv-0", "inv-1")
        : java.util.List.of())) {
      java.util.List<String> bodies = new java.util.ArrayList<>();
      for (int i = 0; i < 4; i++) {
        bodies.add(runtime.get("inventory", 8080, "/").toCompletableFuture().join().body());
      }
      assertEquals(java.util.List.of("inventory:1", "inventory:2", "inventory:1", "inventory:2"), bodies,
          "in turn");
      assertEquals("inventory:2", runtime.get("inv-1", 8080, "/").toCompletableFuture().join().body(),
          "a container's own name is never resolved");
      assertInstanceOf(java.net.UnknownHostException.class, failure(runtime.get("billing", 8080, "/")
          .toCompletableFuture()), "a name no resolver knows");
    }
    assertInstanceOf(java.net.UnknownHostException.class, failure(runtime.get("inventory", 8080, "/")
        .toCompletableFuture()), "the resolver is gone");
  }
}
