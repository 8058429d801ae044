package dev.orch.inmemory;

import static dev.orch.inmemory.SimFixture.failure;
import static dev.orch.inmemory.SimFixture.join;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.orch.api.runtime.ContainerConflictException;
import dev.orch.api.runtime.ContainerCreateRequest;
import dev.orch.api.runtime.ContainerInfo;
import dev.orch.api.runtime.ContainerRuntime;
import dev.orch.api.runtime.ContainerRuntimeException;
import dev.orch.api.runtime.ContainerState;
import dev.orch.api.runtime.ExecResult;
import dev.orch.api.runtime.LabelSelector;
import dev.orch.api.runtime.NoSuchContainerException;
import dev.orch.api.runtime.NoSuchNodeException;
import dev.orch.api.runtime.NodeInfo;
import dev.orch.api.runtime.PortBinding;
import dev.orch.api.runtime.RuntimeCapability;
import dev.orch.api.runtime.RuntimeEvent;
import dev.orch.api.runtime.RuntimeProvider;
import dev.orch.api.runtime.RuntimeUnavailableException;
import dev.orch.api.runtime.Subscription;
import dev.orch.api.runtime.VolumeInfo;
import dev.orch.api.spec.ContainerSpec;
import dev.orch.api.spec.PortRef;
import dev.orch.api.spec.PortSpec;
import dev.orch.api.spec.ProbeAction;
import dev.orch.api.spec.ProbeKind;
import dev.orch.api.spec.Resources;
import dev.orch.api.spec.Taint;
import dev.orch.api.time.VirtualTimeSource;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.concurrent.CompletionStage;
import org.junit.jupiter.api.Test;

/** The runtime's SPI behaviour, its builder and its provider. */
class InMemoryRuntimeTest {

  @Test
  void builderDescribesNodesWithCapacityLabelsAndTaints() {
    VirtualTimeSource clock = new VirtualTimeSource();
    try (InMemoryRuntime rt = InMemoryRuntime.builder()
        .node("a", Resources.of("4", "8Gi"), Map.of("zone", "a"))
        .node(NodeSpec.of("b", Resources.of("2", "4Gi")).withLabel("zone", "b").withTaint(Taint.noSchedule("gpu", "")))
        .timeSource(clock).build()) {
      List<NodeInfo> nodes = join(rt.nodes());
      assertEquals(List.of("a", "b"), nodes.stream().map(NodeInfo::id).toList());
      assertEquals(Resources.of("4", "8Gi"), nodes.get(0).capacity());
      assertEquals(Map.of("zone", "b"), nodes.get(1).labels());
      assertEquals(List.of(Taint.noSchedule("gpu", "")), nodes.get(1).taints());
      assertTrue(nodes.get(0).ready());
      assertEquals("in-memory", rt.name());
      assertEquals(java.util.EnumSet.of(RuntimeCapability.EXEC, RuntimeCapability.LOGS, RuntimeCapability.LOG_STREAM, RuntimeCapability.VOLUMES,
          RuntimeCapability.VOLUME_COPY, RuntimeCapability.NETWORKS, RuntimeCapability.CONNECTION_FILTER,
          RuntimeCapability.USAGE_STATS, RuntimeCapability.RESOURCE_LIMITS, RuntimeCapability.HOST_PORTS,
          RuntimeCapability.PROBE_TRANSPORT),
          rt.capabilities());
    }
    assertEquals(0, clock.pendingTasks(), "a passed-in time source is left alone, with nothing pending");
  }

  @Test
  void builderReportsEveryProblemAtOnce() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> InMemoryRuntime.builder()
        .node("a", Resources.NONE).node("a", Resources.NONE).callLatency(Duration.ofMillis(-1)).build());
    assertEquals("invalid in-memory runtime: node id: \"a\": must be unique; it was added twice; "
        + "callLatency: PT-0.001S: must be >= 0", e.getMessage());
  }

  @Test
  void lifecycleMovesThroughItsStates() {
    try (SimFixture f = new SimFixture(2)) {
      ContainerInfo created = f.create("web-0", "node-2", "web");
      assertEquals(ContainerState.CREATED, created.state());
      assertEquals("node-2", created.nodeId());
      assertEquals(f.clock.now(), created.createdAt());
      assertTrue(created.startedAt().isEmpty());
      f.advance(Duration.ofSeconds(1));
      join(f.runtime.start(created.id()));
      join(f.runtime.start(created.id()));
      ContainerInfo running = f.inspect(created.id());
      assertEquals(ContainerState.RUNNING, running.state());
      assertTrue(running.exitCode().isEmpty());
      assertEquals(f.clock.now(), running.startedAt().orElseThrow());
      join(f.runtime.kill(created.id()));
      assertEquals(137, f.inspect(created.id()).exitCode().orElseThrow());
      join(f.runtime.kill(created.id()));
      join(f.runtime.stop(created.id(), Duration.ofSeconds(1)));
      join(f.runtime.remove(created.id()));
      assertInstanceOf(NoSuchContainerException.class, failure(f.runtime.inspect(created.id())));
      f.settle();
      assertEquals(List.of("Created", "Started", "Exited(137)", "Removed"), f.eventsOf(created.id()));
    }
  }

  @Test
  void removingARunningContainerKillsItFirst() {
    try (SimFixture f = new SimFixture(1)) {
      String id = f.run("w", "node-1", "web");
      join(f.runtime.remove(id));
      f.settle();
      assertEquals(List.of("Created", "Started", "Exited(137)", "Removed"), f.eventsOf(id));
      f.create("w", "node-1", "web");
    }
  }

  @Test
  void eventsAreDeliveredThroughTheTimeSourceNotOnTheCallingThread() {
    try (SimFixture f = new SimFixture(1)) {
      String id = f.run("w", "node-1", "web");
      assertTrue(f.events.isEmpty());
      f.settle();
      assertEquals(List.of("Created", "Started"), f.eventsOf(id));
      RuntimeEvent.ContainerCreated c = (RuntimeEvent.ContainerCreated) f.events.get(0);
      assertEquals(Map.of("app", "w"), c.labels());
      assertEquals("node-1", c.nodeId());
    }
  }

  @Test
  void aClosedSubscriptionReceivesNothingMore() {
    try (SimFixture f = new SimFixture(1)) {
      List<RuntimeEvent> mine = new ArrayList<>();
      Subscription s = f.runtime.subscribe(mine::add);
      f.run("a", "node-1", "web");
      f.settle();
      s.close();
      s.close();
      f.run("b", "node-1", "web");
      f.settle();
      assertEquals(2, mine.size());
      assertEquals(4, f.events.size());
    }
  }

  @Test
  void aFailingListenerDoesNotStopDelivery() {
    try (SimFixture f = new SimFixture(1)) {
      f.runtime.subscribe(e -> {
        throw new IllegalStateException("listener bug");
      });
      String id = f.run("a", "node-1", "web");
      f.settle();
      assertEquals(List.of("Created", "Started"), f.eventsOf(id));
    }
  }

  @Test
  void listFiltersByLabels() {
    try (SimFixture f = new SimFixture(2)) {
      for (int i = 0; i < 6; i++) {
        Map<String, String> labels = Map.of("svc", i % 2 == 0 ? "even" : "odd", "i", "" + i);
        join(f.runtime.create(new ContainerCreateRequest("c" + i, "node-" + (1 + i % 2),
            ContainerSpec.builder("web").build(), labels)));
      }
      assertEquals(6, join(f.runtime.list(LabelSelector.ALL)).size());
      assertEquals(List.of("c0", "c2", "c4"),
          join(f.runtime.list(LabelSelector.of("svc", "even"))).stream().map(ContainerInfo::name).toList());
      assertEquals(List.of("c3"),
          join(f.runtime.list(LabelSelector.of("svc", "odd").and("i", "3"))).stream().map(ContainerInfo::name).toList());
      assertTrue(join(f.runtime.list(LabelSelector.of("svc", "none"))).isEmpty());
    }
  }

  @Test
  void errorsNameTheNodeTheOperationAndTheContainer() {
    try (SimFixture f = new SimFixture(3)) {
      f.create("orders-1", "node-3", "web");
      Throwable dup = failure(f.runtime.create(new ContainerCreateRequest("orders-1", "node-1",
          ContainerSpec.builder("web").build(), Map.of())));
      assertInstanceOf(ContainerConflictException.class, dup);
      assertTrue(dup.getMessage().startsWith("node-1: create orders-1 failed: the name is in use by container "),
          dup.getMessage());

      Throwable noNode = failure(f.runtime.create(new ContainerCreateRequest("x", "node-9",
          ContainerSpec.builder("web").build(), Map.of())));
      assertInstanceOf(NoSuchNodeException.class, noNode);
      assertEquals("node-9: create x failed: no such node", noNode.getMessage());

      f.runtime.failNode("node-3");
      Throwable notReady = failure(f.runtime.create(new ContainerCreateRequest("orders-2", "node-3",
          ContainerSpec.builder("web").build(), Map.of())));
      assertInstanceOf(dev.orch.api.runtime.NodeNotReadyException.class, notReady);
      assertEquals("node-3: create orders-2 failed: node is not ready", notReady.getMessage());

      for (CompletionStage<?> s : List.of(f.runtime.start("nope"), f.runtime.stop("nope", Duration.ZERO),
          f.runtime.kill("nope"), f.runtime.remove("nope"), f.runtime.inspect("nope"),
          f.runtime.exec("nope", List.of("true"), Duration.ofSeconds(1)), f.runtime.logs("nope", 1))) {
        Throwable t = failure(s);
        assertInstanceOf(NoSuchContainerException.class, t);
        assertTrue(t.getMessage().matches("in-memory: \\w+ nope failed: no such container"), t.getMessage());
      }
    }
  }

  @Test
  void hostPortsClashOnOneNodeOnly() {
    try (SimFixture f = new SimFixture(2)) {
      ContainerSpec spec = ContainerSpec.builder("web").port(PortSpec.tcp("http", 80).withHostPort(8080)).build();
      ContainerInfo a = f.create("a", "node-1", spec);
      assertEquals(List.of(new PortBinding("http", 80, "127.0.0.1", 8080)), a.ports());
      Throwable t = failure(f.runtime.create(new ContainerCreateRequest("b", "node-1", spec, Map.of())));
      assertInstanceOf(ContainerConflictException.class, t);
      assertEquals("node-1: create b failed: host port 8080 is in use by container " + a.id(), t.getMessage());
      f.create("c", "node-2", spec);
      join(f.runtime.remove(a.id()));
      f.create("b", "node-1", spec);
    }
  }

  @Test
  void execRunsTheDefaultShell() {
    try (SimFixture f = new SimFixture(1)) {
      String id = f.run("w", "node-1", ContainerSpec.builder("web").volume("data", "/data").build());
      assertEquals(new ExecResult(0, "hello world\n", ""), exec(f, id, "echo", "hello", "world"));
      assertEquals(3, exec(f, id, "sh", "-c", "exit 3").exitCode());
      assertEquals(127, exec(f, id, "curl", "x").exitCode());
      assertEquals(new ExecResult(0, "a b\nc\n", ""),
          exec(f, id, "sh", "-c", "echo 'a b' > /data/f && echo c >> /data/f; cat /data/f"));
      assertEquals(1, exec(f, id, "sh", "-c", "false && echo no").exitCode());
      assertEquals(1, exec(f, id, "cat", "/data/missing").exitCode());
      assertEquals(1, exec(f, id, "sh", "-c", "echo x > /etc/f").exitCode(), "only volumes hold files");
      join(f.runtime.kill(id));
      assertInstanceOf(ContainerConflictException.class,
          failure(f.runtime.exec(id, List.of("true"), Duration.ofSeconds(1))));
    }
  }

  private static ExecResult exec(SimFixture f, String id, String... cmd) {
    return join(f.runtime.exec(id, List.of(cmd), Duration.ofSeconds(1)));
  }

  @Test
  void volumesAreNodeLocalAndOutliveTheirContainers() {
    try (SimFixture f = new SimFixture(2)) {
      ContainerSpec spec = ContainerSpec.builder("db").volume("pgdata", "/var/lib/pg").build();
      ContainerInfo a = f.create("db-0", "node-1", spec);
      join(f.runtime.start(a.id()));
      exec(f, a.id(), "sh", "-c", "echo row1 > /var/lib/pg/table");
      assertInstanceOf(ContainerConflictException.class, failure(f.runtime.removeVolume("node-1", "pgdata")));
      join(f.runtime.remove(a.id()));
      assertEquals(Map.of("table", "row1\n"), f.runtime.volumeFiles("node-1", "pgdata"));
      String b = f.run("db-0", "node-1", spec);
      assertEquals("row1\n", exec(f, b, "cat", "/var/lib/pg/table").stdout());
      String c = f.run("db-1", "node-2", spec);
      assertEquals(1, exec(f, c, "cat", "/var/lib/pg/table").exitCode(), "another node has its own volume");
      f.runtime.writeVolumeFile("node-2", "pgdata", "/seed", "s");
      assertEquals("s", exec(f, c, "cat", "/var/lib/pg/seed").stdout());
      assertEquals(2, join(f.runtime.listVolumes(LabelSelector.ALL)).size());
    }
  }

  @Test
  void aVolumeIsCopiedToAnotherNodeWithItsFilesAndLabelsAndTheSourceStays() {
    try (SimFixture f = new SimFixture(2)) {
      join(f.runtime.createVolume("node-1", "data", Map.of("team", "a")));
      f.runtime.writeVolumeFile("node-1", "data", "/db/rows", "12345");
      VolumeInfo copy = join(f.runtime.copyVolume("node-1", "data", "node-2"));
      assertEquals(new VolumeInfo("data", "node-2", Map.of("team", "a"), 5), copy);
      assertEquals(Map.of("db/rows", "12345"), f.runtime.volumeFiles("node-2", "data"));
      assertEquals(Map.of("db/rows", "12345"), f.runtime.volumeFiles("node-1", "data"), "the source stays");
      assertInstanceOf(ContainerRuntimeException.class, failure(f.runtime.copyVolume("node-1", "none", "node-2")));
      assertInstanceOf(NoSuchNodeException.class, failure(f.runtime.copyVolume("node-1", "data", "node-7")));
      f.runtime.injectFault(CallFault.failing().operations(RuntimeOperation.VOLUME).node("node-1").times(1).build());
      assertInstanceOf(RuntimeUnavailableException.class, failure(f.runtime.copyVolume("node-1", "data", "node-2")),
          "a fault on the source node fails the copy");
    }
  }

  @Test
  void explicitVolumesAreListedByLabelAndRemoved() {
    try (SimFixture f = new SimFixture(1)) {
      VolumeInfo v = join(f.runtime.createVolume("node-1", "cache", Map.of("team", "a")));
      assertEquals(new VolumeInfo("cache", "node-1", Map.of("team", "a"), 0), v, "empty: 0 bytes");
      assertEquals(v, join(f.runtime.createVolume("node-1", "cache", Map.of("other", "x"))), "exists: returned");
      assertEquals(List.of(v), join(f.runtime.listVolumes(LabelSelector.of("team", "a"))));
      join(f.runtime.removeVolume("node-1", "cache"));
      join(f.runtime.removeVolume("node-1", "cache"));
      assertTrue(join(f.runtime.listVolumes(LabelSelector.ALL)).isEmpty());
      assertInstanceOf(NoSuchNodeException.class, failure(f.runtime.createVolume("node-7", "x", Map.of())));
    }
  }

  @Test
  void probesAnswerFromTheBehaviourAndFailWhenNotRunning() {
    try (SimFixture f = new SimFixture(1)) {
      ContainerSpec spec = ContainerSpec.builder("web").port("http", 8080).build();
      String id = f.run("w", "node-1", spec);
      var t = f.runtime.probeTransport().orElseThrow();
      Duration timeout = Duration.ofSeconds(1);
      assertTrue(join(t.probe(id, ProbeKind.READINESS, new ProbeAction.HttpGet("/ready", PortRef.named("http")), timeout)).success());
      assertEquals("connection refused: no port named grpc",
          join(t.probe(id, ProbeKind.LIVENESS, new ProbeAction.TcpSocket(PortRef.named("grpc")), timeout)).message());
      assertTrue(join(t.probe(id, ProbeKind.LIVENESS, new ProbeAction.Exec(List.of("true")), timeout)).success());
      assertFalse(join(t.probe(id, ProbeKind.LIVENESS, new ProbeAction.Exec(List.of("false")), timeout)).success());
      join(f.runtime.kill(id));
      assertEquals("container is not running",
          join(t.probe(id, ProbeKind.LIVENESS, new ProbeAction.TcpSocket(PortRef.named("http")), timeout)).message());
      assertInstanceOf(NoSuchContainerException.class,
          failure(t.probe("nope", ProbeKind.LIVENESS, new ProbeAction.TcpSocket(PortRef.named("http")), timeout)));
    }
  }

  @Test
  void logsTailAndRefuseANegativeCount() {
    try (SimFixture f = new SimFixture(1)) {
      String id = f.run("w", "node-1", "web");
      assertEquals(List.of(), join(f.runtime.logs(id, 10)));
      f.runtime.crashContainer(id, 4);
      assertEquals(List.of("crashed with code 4 (injected)"), join(f.runtime.logs(id, 10)));
      assertEquals("tailLines: -1: must be >= 0",
          failure(f.runtime.logs(id, -1)).getMessage());
    }
  }

  @Test
  void aClosedRuntimeRefusesCallsAndStopsItsTimers() {
    SimFixture f = new SimFixture(1, b -> b.behavior("job", Behaviors.exitAfter(Duration.ofSeconds(5), 0)));
    String id = f.run("j", "node-1", "job");
    f.close();
    f.close();
    f.advance(Duration.ofSeconds(10));
    Throwable t = failure(f.runtime.inspect(id));
    assertInstanceOf(RuntimeUnavailableException.class, t);
    assertEquals("in-memory: inspect " + id + " failed: the runtime is closed", t.getMessage());
    assertTrue(f.events.isEmpty());
  }

  @Test
  void aClosedRuntimeOnItsOwnTimerFailsCallsInsteadOfThrowing() {
    InMemoryRuntime rt = InMemoryRuntime.builder().nodes(1, Resources.of("1", "1Gi"))
        .callLatency(Duration.ofMillis(5)).build();
    rt.close();
    assertInstanceOf(RuntimeUnavailableException.class, failure(rt.nodes()));
    assertInstanceOf(RuntimeUnavailableException.class, failure(rt.probeTransport().orElseThrow()
        .probe("x", ProbeKind.LIVENESS, new ProbeAction.Exec(List.of("true")), Duration.ofSeconds(1))));
  }

  @Test
  void theDefaultTimeSourceIsSystemTimeOwnedByTheRuntime() throws Exception {
    try (InMemoryRuntime rt = InMemoryRuntime.builder().nodes(1, Resources.of("1", "1Gi"))
        .behavior("job", Behaviors.exitAfter(Duration.ofMillis(20), 6)).build()) {
      List<RuntimeEvent> events = new java.util.concurrent.CopyOnWriteArrayList<>();
      rt.subscribe(events::add);
      ContainerInfo c = join(rt.create(new ContainerCreateRequest("j", "node-1", ContainerSpec.builder("job").build(),
          Map.of())));
      join(rt.start(c.id()));
      org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> events.size() == 3);
      assertEquals(new RuntimeEvent.ContainerExited(events.get(2).time(), "node-1", c.id(), Map.of(), 6, false),
          events.get(2));
    }
  }

  @Test
  void theProviderIsFoundByServiceLoaderAndReadsItsProperties() {
    RuntimeProvider p = ServiceLoader.load(RuntimeProvider.class).stream().map(ServiceLoader.Provider::get)
        .filter(x -> x.name().equals("in-memory")).findFirst().orElseThrow();
    try (ContainerRuntime rt = p.create(Map.of("inmemory.nodes", "5", "inmemory.node.memory", "2Gi"))) {
      List<NodeInfo> nodes = join(rt.nodes());
      assertEquals(5, nodes.size());
      assertEquals("node-5", nodes.get(4).id());
      assertEquals(Resources.of("4", "2Gi"), nodes.get(0).capacity());
    }
    ContainerRuntimeException e = assertThrows(ContainerRuntimeException.class,
        () -> p.create(Map.of("inmemory.nodes", "many")));
    assertEquals("in-memory: property inmemory.nodes: \"many\": must be a whole number >= 0", e.getMessage());
    assertTrue(assertThrows(ContainerRuntimeException.class, () -> p.create(Map.of("inmemory.node", "3")))
        .getMessage().startsWith("in-memory: property inmemory.node: unknown"));
  }

  @Test
  void refusesNullArgumentsNamingThem() {
    try (InMemoryRuntime rt = InMemoryRuntime.builder().nodes(1, Resources.of("1", "1Gi"))
        .timeSource(new VirtualTimeSource()).build()) {
      assertEquals("nodeId", assertThrows(NullPointerException.class, () -> rt.failNode(null)).getMessage());
    }
    assertEquals("labels", assertThrows(NullPointerException.class,
        () -> NodeSpec.of("a", Resources.of("1", "1Gi"), null)).getMessage());
  }
}
