package dev.orch.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.orch.api.runtime.LogLine;
import dev.orch.api.runtime.LogOptions;
import dev.orch.api.spec.ContainerSpec;
import dev.orch.api.spec.Resources;
import dev.orch.api.spec.ServiceSpec;
import dev.orch.api.time.VirtualTimeSource;
import dev.orch.core.lb.Endpoint;
import dev.orch.core.lb.LoadBalancer;
import dev.orch.inmemory.Behaviors;
import dev.orch.inmemory.ContainerBehavior;
import dev.orch.inmemory.ContainerProcess;
import dev.orch.inmemory.InMemoryRuntime;
import dev.orch.inmemory.RequestModel;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The merged log of a service, in memory: it follows every replica (a replica added by a scale-up joins, one
 * removed by a scale-down ends), each line prefixed with its replica; a crash-looping replica's last words show
 * in its status and its {@code Exited} event, logged with the service and replica in the MDC; bad calls are
 * refused by name.
 */
class ServiceLogsTest {
  private final VirtualTimeSource time = new VirtualTimeSource();
  private final InMemoryRuntime runtime = InMemoryRuntime.builder().timeSource(time).nodes(3, Resources.of("8",
      "16Gi")).behavior("web:1", Behaviors.serving(Behaviors.runForever(), RequestModel.builder().build()))
      .behavior("dying:1", new ContainerBehavior() {
        @Override
        public void onStart(ContainerProcess p) {
          p.log("loading config");
          p.schedule(Duration.ofSeconds(2), () -> {
            p.log(LogLine.Source.STDERR, "fatal: config has no port");
            p.exit(78);
          });
        }
      }).build();
  private final Orchestrator orch = Orchestrator.builder().runtime(runtime).timeSource(time)
      .terminationGrace(Duration.ofSeconds(1)).nameDrainDelay(Duration.ZERO).lastWords(5).build();

  @AfterEach
  void close() {
    orch.close();
    runtime.close();
  }

  private static ServiceSpec web(int replicas) {
    return ServiceSpec.builder("web").replicas(replicas).container(ContainerSpec.builder("web:1").port("http", 8080)
        .build()).build();
  }

  private void advance(int seconds) {
    for (int i = 0; i < seconds * 10; i++) {
      time.advance(Duration.ofMillis(100));
    }
  }

  /** {@code n} requests through the balancer; each is a line of the replica's log. */
  private void requests(int n) {
    try (LoadBalancer lb = orch.loadBalancer("web").build()) {
      for (int i = 0; i < n; i++) {
        Endpoint e = lb.pick();
        runtime.get(e.address(), e.port(), "/orders/" + i).toCompletableFuture().join();
        lb.report(e, true, Duration.ZERO);
      }
    }
  }

  /** The lines that arrive within {@code seconds} of real time (or until {@code want} replicas were heard). */
  private static List<ServiceLogs.Line> read(ServiceLogs logs, Set<String> heard, int want) throws Exception {
    List<ServiceLogs.Line> out = new ArrayList<>();
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (System.nanoTime() < deadline && heard.size() < want) {
      ServiceLogs.Line l = logs.poll(Duration.ofMillis(200));
      if (l != null) {
        out.add(l);
        heard.add(l.replica());
      }
    }
    return out;
  }

  @Test
  void theMergedLogFollowsEveryReplicaAsTheServiceScales() throws Exception {
    orch.apply(web(2));
    advance(5);
    try (ServiceLogs logs = orch.logs("web", LogOptions.defaults().following())) {
      assertEquals(2, logs.following().size(), logs::toString);
      requests(10);
      Set<String> heard = new HashSet<>();
      List<ServiceLogs.Line> first = read(logs, heard, 2);
      assertEquals(2, heard.size(), () -> "both replicas' lines: " + first);
      ServiceLogs.Line one = first.get(0);
      assertTrue(one.toString().startsWith(one.replica() + " | ") && one.line().text().contains("GET /orders/"),
          one::toString);

      orch.scale("web", 3);
      advance(5);
      requests(30);
      Set<String> all = new HashSet<>(heard);
      read(logs, all, 3);
      Set<String> names = new HashSet<>();
      orch.status("web").orElseThrow().replicas().forEach(r -> names.add(r.name()));
      assertEquals(names, all, "the replica the scale-up added joined the merged log");

      orch.scale("web", 1);
      advance(10);
      long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
      while (logs.following().size() > 1 && System.nanoTime() < deadline) {
        logs.poll(Duration.ofMillis(100)); // reads on; removed replicas' streams end and are closed
      }
      assertEquals(1, logs.following().size(), () -> "the removed replicas' streams ended: " + logs);
      assertTrue(logs.dropped().isEmpty(), () -> "a reader that keeps up loses nothing: " + logs.dropped());
    }
  }

  @Test
  void aCrashLoopingReplicasLastWordsShowInItsStatusAndItsExitedEvent() throws Exception {
    // slf4j-simple, the tests' backend, keeps no MDC (a NOP adapter): SLF4J's basic one keeps it for this test.
    Object nop = org.slf4j.MDC.getMDCAdapter(); // initialised first, so that SLF4J does not replace ours
    java.lang.reflect.Field adapter = org.slf4j.MDC.class.getDeclaredField("MDC_ADAPTER"); // slf4j-api 2.0.x
    adapter.setAccessible(true);
    adapter.set(null, new org.slf4j.helpers.BasicMDCAdapter());
    try {
      lastWordsAndTheirContext();
    } finally {
      adapter.set(null, nop);
    }
  }

  private void lastWordsAndTheirContext() {
    List<String> context = new java.util.concurrent.CopyOnWriteArrayList<>();
    orch.events().subscribe(e -> { // told inside the event's log context: what Orch's own log line carries
      if (e.reason().equals("Exited")) {
        context.add(org.slf4j.MDC.get(dev.orch.core.util.LogContext.SERVICE) + "/"
            + org.slf4j.MDC.get(dev.orch.core.util.LogContext.REPLICA));
      }
    });
    orch.apply(ServiceSpec.builder("dying").replicas(1).container(ContainerSpec.builder("dying:1").build()).build());
    advance(5);
    ReplicaStatus r = orch.status("dying").orElseThrow().replicas().get(0);
    assertEquals(List.of("loading config", "fatal: config has no port"), r.lastWords(), r::toString);
    OrchEvent exited = orch.events().recent().stream().filter(e -> e.reason().equals("Exited")).findFirst()
        .orElseThrow();
    assertTrue(exited.message().contains("exited with code 78") && exited.message()
        .contains("last lines: loading config | fatal: config has no port"), exited::message);
    assertEquals("dying/" + exited.replica(), context.get(0), "the MDC names the service and the replica");
  }

  @Test
  void anExitWhoseLogsNeverAnswerIsToldOnceTheCallTimeoutPassesOnTheOrchestratorsClock() {
    java.util.concurrent.CompletableFuture<List<String>> never = new java.util.concurrent.CompletableFuture<>();
    ForwardingRuntime mute = new ForwardingRuntime(runtime) {
      @Override
      public java.util.concurrent.CompletionStage<List<String>> logs(String containerId, int tailLines) {
        return never;
      }
    };
    try (Orchestrator o = Orchestrator.builder().runtime(mute).timeSource(time).ownerId("mute")
        .callTimeout(Duration.ofSeconds(20)).lastWords(5).build()) {
      o.apply(ServiceSpec.builder("dying").replicas(1).container(ContainerSpec.builder("dying:1").build()).build());
      advance(10); // exited at about 2 s: its logs asked, no answer yet
      assertTrue(o.events().recent().stream().noneMatch(e -> e.reason().equals("Exited")), "waits for the logs");
      advance(20); // the call timeout passed on virtual time, whatever the wall clock did
      OrchEvent exited = o.events().recent().stream().filter(e -> e.reason().equals("Exited")).findFirst()
          .orElseThrow(() -> new AssertionError("no Exited event: " + o.events().recent()));
      assertTrue(exited.message().contains("its last lines could not be read") && exited.message()
          .contains("did not answer in 20000ms"), exited::message);
    }
  }

  @Test
  void closingTheOrchestratorEndsTheMergedLogsStillOpen() throws Exception {
    orch.apply(web(1));
    advance(5);
    ServiceLogs logs = orch.logs("web", LogOptions.defaults().following());
    assertTrue(!logs.isEnded(), "following a running service");
    orch.close();
    assertTrue(logs.isEnded(), "closed with the orchestrator");
    assertEquals(Set.of(), logs.following());
  }

  @Test
  void aServiceNotAppliedIsRefusedByName() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> orch.logs("nope",
        LogOptions.defaults()));
    assertTrue(e.getMessage().contains("\"nope\": is not applied"), e::getMessage);
  }
}
