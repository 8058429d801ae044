package dev.orch.inmemory;

import static dev.orch.inmemory.SimFixture.failure;
import static dev.orch.inmemory.SimFixture.join;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.orch.api.runtime.ContainerInfo;
import dev.orch.api.runtime.ContainerState;
import dev.orch.api.runtime.LabelSelector;
import dev.orch.api.runtime.NoSuchContainerException;
import dev.orch.api.runtime.NoSuchNodeException;
import dev.orch.api.runtime.NodeInfo;
import dev.orch.api.runtime.ProbeResult;
import dev.orch.api.runtime.RuntimeEvent;
import dev.orch.api.runtime.RuntimeUnavailableException;
import dev.orch.api.runtime.Subscription;
import dev.orch.api.spec.ContainerSpec;
import dev.orch.api.spec.PortRef;
import dev.orch.api.spec.ProbeAction;
import dev.orch.api.spec.ProbeKind;
import dev.orch.api.spec.Resources;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/** Node failure, partitions, crashes, and failing or slow calls. */
class FaultInjectionTest {

  @Test
  void aFailedNodeLosesItsContainersAndRecoversEmpty() {
    try (SimFixture f = new SimFixture(2, b -> b.behavior("job", Behaviors.exitAfter(Duration.ofSeconds(5), 0)))) {
      String lost = f.run("a", "node-1", "job");
      String kept = f.run("b", "node-2", "job");
      f.settle();
      f.events.clear();
      f.runtime.failNode("node-1");
      f.settle();
      assertEquals(1, f.events.size());
      RuntimeEvent.NodeLost nl = assertInstanceOf(RuntimeEvent.NodeLost.class, f.events.get(0));
      assertEquals("node-1", nl.nodeId());
      assertEquals("node failed", nl.reason());
      assertFalse(f.runtime.node("node-1").orElseThrow().ready());
      assertInstanceOf(NoSuchContainerException.class, failure(f.runtime.inspect(lost)));
      assertEquals(List.of(kept), join(f.runtime.list(LabelSelector.ALL)).stream().map(ContainerInfo::id).toList());
      f.advance(Duration.ofSeconds(5));
      assertTrue(f.eventsOf(lost).isEmpty(), "a lost container's timers stop");
      assertEquals(List.of("Exited(0)"), f.eventsOf(kept));

      f.runtime.failNode("node-1");
      f.runtime.recoverNode("node-1");
      f.settle();
      assertInstanceOf(RuntimeEvent.NodeReady.class, f.events.get(f.events.size() - 1));
      assertTrue(f.runtime.node("node-1").orElseThrow().ready());
      assertEquals(1, f.runtime.containerCount());
      f.run("a", "node-1", "job");
    }
  }

  @Test
  void aStopInFlightFailsWhenItsNodeIsLost() {
    try (SimFixture f = new SimFixture(1, b -> b.behavior("s", Behaviors.ignoreSigterm()))) {
      String id = f.run("a", "node-1", "s");
      CompletableFuture<Void> stop = f.runtime.stop(id, Duration.ofSeconds(30)).toCompletableFuture();
      f.runtime.failNode("node-1");
      f.settle();
      assertInstanceOf(RuntimeUnavailableException.class, failure(stop));
    }
  }

  @Test
  void aPartitionedNodeKeepsItsContainersRunningAndTheyReappearWhenHealed() {
    try (SimFixture f = new SimFixture(2, b -> b.behavior("job", Behaviors.exitAfter(Duration.ofSeconds(5), 3)))) {
      String web = f.run("web", "node-1", "web");
      String job = f.run("job", "node-1", "job");
      f.settle();
      f.events.clear();
      f.runtime.partitionNode("node-1");
      f.settle();
      assertInstanceOf(RuntimeEvent.NodeLost.class, f.events.get(0));
      assertFalse(join(f.runtime.nodes()).get(0).ready());
      assertTrue(join(f.runtime.list(LabelSelector.ALL)).isEmpty());
      dev.orch.api.runtime.ContainerListing listing = join(f.runtime.listing(LabelSelector.ALL));
      assertEquals(java.util.Set.of("node-1"), listing.unansweredNodes(), "the listing names the silent node");
      assertTrue(listing.containers().isEmpty());
      Throwable t = failure(f.runtime.inspect(web));
      assertInstanceOf(RuntimeUnavailableException.class, t);
      assertEquals("node-1: inspect web (" + web + ") failed: node is unreachable", t.getMessage());
      assertInstanceOf(RuntimeUnavailableException.class,
          failure(f.runtime.create(new dev.orch.api.runtime.ContainerCreateRequest("x", "node-1",
              ContainerSpec.builder("web").build(), java.util.Map.of()))));
      ProbeResult p = join(f.runtime.probeTransport().orElseThrow()
          .probe(web, ProbeKind.LIVENESS, new ProbeAction.TcpSocket(PortRef.number(80)), Duration.ofSeconds(1)));
      assertFalse(p.success());

      f.advance(Duration.ofSeconds(5));
      assertTrue(f.eventsOf(job).isEmpty(), "events of an unreachable node are held");
      f.runtime.healPartition("node-1");
      f.settle();
      assertInstanceOf(RuntimeEvent.NodeReady.class, f.events.get(1));
      assertEquals(List.of("Exited(3)"), f.eventsOf(job), "held events arrive after NodeReady");
      assertEquals(ContainerState.RUNNING, f.inspect(web).state());
      assertEquals(2, join(f.runtime.list(LabelSelector.ALL)).size());
    }
  }

  @Test
  void nodeFaultMethodsRefuseUnknownNodesAndWrongStates() {
    try (SimFixture f = new SimFixture(2)) {
      assertInstanceOf(NoSuchNodeException.class, assertThrows(NoSuchNodeException.class,
          () -> f.runtime.failNode("node-9")));
      f.runtime.failNode("node-1");
      assertThrows(IllegalStateException.class, () -> f.runtime.healPartition("node-1"));
      assertThrows(IllegalStateException.class, () -> f.runtime.partitionNode("node-1"));
      f.runtime.partitionNode("node-2");
      assertThrows(IllegalStateException.class, () -> f.runtime.recoverNode("node-2"));
      f.runtime.failNode("node-2");
      f.runtime.recoverNode("node-2");
      assertTrue(f.runtime.node("node-2").orElseThrow().ready());
    }
  }

  @Test
  void nodesCanBeAddedAndRemoved() {
    try (SimFixture f = new SimFixture(1)) {
      f.runtime.addNode(NodeSpec.of("edge-1", Resources.of("1", "1Gi")).withLabel("zone", "edge"));
      assertThrows(IllegalArgumentException.class, () -> f.runtime.addNode(NodeSpec.of("edge-1", Resources.NONE)));
      String id = f.run("e", "edge-1", "web");
      assertEquals(List.of("node-1", "edge-1"), join(f.runtime.nodes()).stream().map(NodeInfo::id).toList());
      f.runtime.removeNode("edge-1");
      f.settle();
      assertEquals(0, f.runtime.containerCount());
      assertInstanceOf(NoSuchContainerException.class, failure(f.runtime.inspect(id)));
      assertEquals(List.of("NodeReady", "NodeLost"), f.events.stream()
          .filter(e -> !(e instanceof RuntimeEvent.ContainerEvent)).map(SimFixture::describe).toList());
    }
  }

  @Test
  void crashContainerEndsARunWithTheGivenCode() {
    try (SimFixture f = new SimFixture(1)) {
      String id = f.run("w", "node-1", "web");
      assertTrue(f.runtime.crashContainer(id, 139));
      assertFalse(f.runtime.crashContainer(id, 1), "not running: left alone");
      f.settle();
      assertEquals(List.of("Created", "Started", "Exited(139)"), f.eventsOf(id));
      assertThrows(NoSuchContainerException.class, () -> f.runtime.crashContainer("nope", 1));
      assertThrows(IllegalArgumentException.class, () -> f.runtime.crashContainer(id, 300));
    }
  }

  @Test
  void failNextCallsFailsThatManyMatchingCallsThenStops() {
    try (SimFixture f = new SimFixture(2)) {
      f.runtime.injectFault(CallFault.failing().operations(RuntimeOperation.CREATE).node("node-2").times(2)
          .message("engine did not answer in 5s").build());
      Throwable t = failure(f.runtime.create(req("a", "node-2")));
      assertInstanceOf(RuntimeUnavailableException.class, t);
      assertEquals("node-2: create a failed: engine did not answer in 5s", t.getMessage());
      f.create("b", "node-1", "web");
      join(f.runtime.list(LabelSelector.ALL));
      assertInstanceOf(RuntimeUnavailableException.class, failure(f.runtime.create(req("a", "node-2"))));
      f.create("a", "node-2", "web");
      f.runtime.failNextCalls(1, RuntimeOperation.LIST);
      assertEquals("in-memory: list containers failed: injected failure",
          failure(f.runtime.list(LabelSelector.ALL)).getMessage());
      assertEquals(2, join(f.runtime.list(LabelSelector.ALL)).size());
    }
  }

  @Test
  void failCallsLastsForItsDurationOrUntilClosed() {
    try (SimFixture f = new SimFixture(1)) {
      String id = f.create("a", "node-1", "web").id();
      f.runtime.failCalls(Duration.ofSeconds(10));
      assertInstanceOf(RuntimeUnavailableException.class, failure(f.runtime.start(id)));
      f.advance(Duration.ofSeconds(10));
      join(f.runtime.start(id));
      Subscription s = f.runtime.injectFault(CallFault.failing().operations(RuntimeOperation.INSPECT).build());
      assertInstanceOf(RuntimeUnavailableException.class, failure(f.runtime.inspect(id)));
      s.close();
      f.inspect(id);
      f.runtime.failCalls(Duration.ofHours(1));
      f.runtime.clearFaults();
      f.inspect(id);
    }
  }

  @Test
  void aSlowCallTakesEffectAndAnswersAfterTheLatency() {
    try (SimFixture f = new SimFixture(1)) {
      String id = f.create("a", "node-1", "web").id();
      f.runtime.injectFault(CallFault.slow(Duration.ofMillis(300)).operations(RuntimeOperation.START)
          .lasting(Duration.ofSeconds(2)).build());
      CompletableFuture<Void> start = f.runtime.start(id).toCompletableFuture();
      f.advance(Duration.ofMillis(299));
      assertFalse(start.isDone());
      assertEquals(ContainerState.CREATED, f.inspect(id).state(), "inspect is not slowed");
      f.advance(Duration.ofMillis(1));
      assertTrue(start.isDone());
      assertEquals(ContainerState.RUNNING, f.inspect(id).state());
    }
  }

  @Test
  void slowCallsSlowEveryCallForAWhile() {
    try (SimFixture f = new SimFixture(1)) {
      f.runtime.slowCalls(Duration.ofMillis(300), Duration.ofSeconds(2));
      CompletableFuture<List<NodeInfo>> nodes = f.runtime.nodes().toCompletableFuture();
      assertFalse(nodes.isDone());
      f.advance(Duration.ofMillis(300));
      assertEquals(1, nodes.join().size());
      f.advance(Duration.ofSeconds(2));
      assertTrue(f.runtime.nodes().toCompletableFuture().isDone(), "after the window calls are fast again");
    }
  }

  @Test
  void aSlowProbeTimesOut() {
    try (SimFixture f = new SimFixture(1)) {
      String id = f.run("a", "node-1", "web");
      f.runtime.injectFault(CallFault.slow(Duration.ofSeconds(5)).operations(RuntimeOperation.PROBE).build());
      CompletableFuture<ProbeResult> p = f.runtime.probeTransport().orElseThrow()
          .probe(id, ProbeKind.LIVENESS, new ProbeAction.TcpSocket(PortRef.number(80)), Duration.ofSeconds(1)).toCompletableFuture();
      f.advance(Duration.ofSeconds(1));
      assertEquals(ProbeResult.failed("timed out after PT1S"), p.join());
    }
  }

  @Test
  void aBaseLatencyDelaysEveryCall() {
    try (SimFixture f = new SimFixture(1, b -> b.callLatency(Duration.ofMillis(10)))) {
      CompletableFuture<List<NodeInfo>> nodes = f.runtime.nodes().toCompletableFuture();
      assertFalse(nodes.isDone());
      f.advance(Duration.ofMillis(10));
      assertEquals(1, nodes.join().size());
    }
  }

  @Test
  void callFaultBuilderRefusesBadValues() {
    assertEquals("times: 0: must be >= 1",
        assertThrows(IllegalArgumentException.class, () -> CallFault.failing().times(0)).getMessage());
    assertEquals("lasting: PT0S: must be > 0",
        assertThrows(IllegalArgumentException.class, () -> CallFault.failing().lasting(Duration.ZERO)).getMessage());
    assertEquals("latency: PT-1S: must be >= 0",
        assertThrows(IllegalArgumentException.class, () -> CallFault.slow(Duration.ofSeconds(-1))).getMessage());
  }

  private static dev.orch.api.runtime.ContainerCreateRequest req(String name, String node) {
    return new dev.orch.api.runtime.ContainerCreateRequest(name, node, ContainerSpec.builder("web").build(),
        java.util.Map.of());
  }
}
