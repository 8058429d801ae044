package dev.orch.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.orch.api.runtime.ContainerConflictException;
import dev.orch.api.runtime.ContainerCreateRequest;
import dev.orch.api.runtime.ContainerInfo;
import dev.orch.api.runtime.ContainerState;
import dev.orch.api.runtime.LabelSelector;
import dev.orch.api.runtime.NameInUseException;
import dev.orch.api.runtime.NoSuchContainerException;
import dev.orch.api.runtime.NoSuchNodeException;
import dev.orch.api.runtime.RuntimeCapability;
import dev.orch.api.runtime.RuntimeEvent;
import dev.orch.api.runtime.Subscription;
import dev.orch.api.runtime.UnsupportedCapabilityException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

/**
 * The kit's checks of the event stream, of each failure's exception type, and of concurrent calls. Part of
 * {@link RuntimeConformanceKit}.
 */
abstract class EventAndErrorChecks extends ContainerChecks {

  // ---------------------------------------------------------------- Events
  // The event stream: what happens to a container, in order.

  @Test
  void aContainerThatExitsReportsCreatedStartedExitedRemovedInOrder() {
    try (EventRecorder rec = recordEvents()) {
      String id = run(exitsSoonWith(3));
      awaitState(id, ContainerState.EXITED);
      await(runtime.remove(id));
      awaitKinds(rec, id, List.of("ContainerCreated", "ContainerStarted", "ContainerExited", "ContainerRemoved"));
      RuntimeEvent.ContainerExited exited = (RuntimeEvent.ContainerExited) rec.of(id).get(2);
      assertEquals(3, exited.exitCode());
      assertFalse(exited.oomKilled());
      for (RuntimeEvent.ContainerEvent e : rec.of(id)) {
        assertEquals(node, e.nodeId());
        assertEquals(runId, e.labels().get(RUN_LABEL), "events carry the container's labels");
      }
      List<Instant> times = rec.of(id).stream().map(RuntimeEvent::time).toList();
      for (int i = 1; i < times.size(); i++) {
        assertFalse(times.get(i).isBefore(times.get(i - 1)), "event times in order: " + times);
      }
    }
  }

  @Test
  void aKilledContainerReportsExitCode137() {
    try (EventRecorder rec = recordEvents()) {
      String id = run(runsUntilStopped());
      awaitState(id, ContainerState.RUNNING);
      await(runtime.kill(id));
      awaitKinds(rec, id, List.of("ContainerCreated", "ContainerStarted", "ContainerExited"));
      assertEquals(137, ((RuntimeEvent.ContainerExited) rec.of(id).get(2)).exitCode());
    }
  }

  @Test
  void eventsOfManyContainersArriveInOrderPerContainer() {
    try (EventRecorder rec = recordEvents()) {
      List<String> ids = new ArrayList<>();
      for (int i = 0; i < 5; i++) {
        ids.add(run(exitsSoonWith(i)));
      }
      for (String id : ids) {
        awaitKinds(rec, id, List.of("ContainerCreated", "ContainerStarted", "ContainerExited"));
      }
      for (int i = 0; i < 5; i++) {
        assertEquals(i, ((RuntimeEvent.ContainerExited) rec.of(ids.get(i)).get(2)).exitCode());
      }
    }
  }

  @Test
  void listenersAreCalledOnTheRuntimesThreadNotTheCallers() {
    List<Thread> threads = new CopyOnWriteArrayList<>();
    try (Subscription s = runtime.subscribe(e -> threads.add(Thread.currentThread()))) {
      create(runsUntilStopped(), Map.of());
      Awaitility.await().atMost(timeout()).pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(10))
          .until(() -> !threads.isEmpty());
      assertNotEquals(Thread.currentThread(), threads.get(0));
    }
  }

  @Test
  void aClosedSubscriptionGetsNoLaterEvents() {
    EventRecorder closed = recordEvents();
    closed.close();
    closed.close();
    try (EventRecorder open = recordEvents()) {
      String id = create(runsUntilStopped(), Map.of()).id();
      awaitKinds(open, id, List.of("ContainerCreated"));
      assertTrue(closed.of(id).isEmpty());
    }
  }

  // ---------------------------------------------------------------- Errors
  // Each failure has its exception type, delivered through the stage.

  @Test
  void callsForAnUnknownIdFailWithNoSuchContainer() {
    String id = "kit-no-such-container-" + runId;
    Map<String, java.util.function.Supplier<CompletionStage<?>>> calls = new java.util.LinkedHashMap<>();
    calls.put("start", () -> runtime.start(id));
    calls.put("stop", () -> runtime.stop(id, shortGrace()));
    calls.put("kill", () -> runtime.kill(id));
    calls.put("remove", () -> runtime.remove(id));
    calls.put("inspect", () -> runtime.inspect(id));
    if (runtime.capabilities().contains(RuntimeCapability.EXEC)) {
      calls.put("exec", () -> runtime.exec(id, List.of("true"), Duration.ofSeconds(5)));
    }
    if (runtime.capabilities().contains(RuntimeCapability.LOGS)) {
      calls.put("logs", () -> runtime.logs(id, 10));
    }
    calls.forEach((what, call) -> {
      Throwable t = failureOfCall(what, call);
      assertInstanceOf(NoSuchContainerException.class, t, what + " of an unknown id");
      assertTrue(t.getMessage() != null && t.getMessage().contains(id),
          what + ": the message names the id: " + t.getMessage());
    });
  }

  @Test
  void removingTwiceFailsWithNoSuchContainer() {
    String id = create(runsUntilStopped(), Map.of()).id();
    await(runtime.remove(id));
    assertInstanceOf(NoSuchContainerException.class, failureOfCall("remove", () -> runtime.remove(id)));
  }

  @Test
  void createOnAnUnknownNodeFailsWithNoSuchNode() {
    String unknown = "kit-no-such-node-" + runId;
    Throwable t = failureOfCall("create", () -> runtime.create(new ContainerCreateRequest(uniqueName("x"),
        unknown, runsUntilStopped(), labels(Map.of()))));
    assertInstanceOf(NoSuchNodeException.class, t);
    assertTrue(t.getMessage().contains(unknown), "the message names the node: " + t.getMessage());
  }

  @Test
  void aNameInUseFailsWithConflict() {
    ContainerInfo c = create(runsUntilStopped(), Map.of());
    Throwable t = failureOfCall("create", () -> runtime.create(new ContainerCreateRequest(c.name(), node,
        runsUntilStopped(), labels(Map.of()))));
    NameInUseException conflict = assertInstanceOf(NameInUseException.class, t,
        "a name in use is a NameInUseException (a ContainerConflictException, refused, never the node's fault)");
    assertEquals(c.name(), conflict.name());
    assertTrue(t.getMessage().contains(c.name()), "the message names the container: " + t.getMessage());
  }

  @Test
  void aMissingCapabilityFailsWithUnsupportedCapability() {
    Set<RuntimeCapability> has = runtime.capabilities();
    assumeTrue(!has.containsAll(Set.of(RuntimeCapability.EXEC, RuntimeCapability.LOGS, RuntimeCapability.VOLUMES,
            RuntimeCapability.VOLUME_COPY)),
        () -> "runtime " + runtime.name() + " has every optional call; nothing to refuse");
    String id = create(runsUntilStopped(), Map.of()).id();
    if (!has.contains(RuntimeCapability.EXEC)) {
      assertInstanceOf(UnsupportedCapabilityException.class,
          failureOf(runtime.exec(id, List.of("true"), Duration.ofSeconds(1))));
    }
    if (!has.contains(RuntimeCapability.LOGS)) {
      assertInstanceOf(UnsupportedCapabilityException.class, failureOf(runtime.logs(id, 1)));
    }
    if (!has.contains(RuntimeCapability.VOLUMES)) {
      assertInstanceOf(UnsupportedCapabilityException.class, failureOf(runtime.listVolumes(LabelSelector.ALL)));
    }
    if (!has.contains(RuntimeCapability.VOLUME_COPY)) {
      assertInstanceOf(UnsupportedCapabilityException.class,
          failureOfCall("copyVolume", () -> runtime.copyVolume(node, "kit-" + runId + "-none", node)));
    }
  }

  // ---------------------------------------------------------------- Concurrency
  // Any thread may call any method at any time.

  @Test
  void twentyCreatesFromFourThreadsMakeTwentyContainers() throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(4, r -> {
      Thread t = new Thread(r, "orch-testkit-caller");
      t.setDaemon(true);
      return t;
    });
    try {
      List<Future<String>> futures = new ArrayList<>();
      for (int i = 0; i < 20; i++) {
        String name = uniqueName("p");
        futures.add(pool.submit(() -> await(runtime.create(new ContainerCreateRequest(name, node,
            runsUntilStopped(), labels(Map.of("batch", "b"))))).id()));
      }
      Set<String> ids = new HashSet<>();
      for (Future<String> f : futures) {
        ids.add(f.get(timeout().toMillis(), TimeUnit.MILLISECONDS));
      }
      assertEquals(20, ids.size(), "twenty distinct ids");
      assertEquals(20, await(runtime.list(LabelSelector.of(RUN_LABEL, runId).and("batch", "b"))).size());

      List<Future<?>> starts = new ArrayList<>();
      for (String id : ids) {
        starts.add(pool.submit(() -> await(runtime.start(id))));
      }
      for (Future<?> f : starts) {
        f.get(timeout().toMillis(), TimeUnit.MILLISECONDS);
      }
      for (String id : ids) {
        awaitState(id, ContainerState.RUNNING);
      }
      List<Future<?>> removes = new ArrayList<>();
      for (String id : ids) {
        removes.add(pool.submit(() -> await(runtime.remove(id))));
      }
      for (Future<?> f : removes) {
        f.get(timeout().toMillis(), TimeUnit.MILLISECONDS);
      }
      assertTrue(await(runtime.list(LabelSelector.of(RUN_LABEL, runId))).isEmpty());
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void concurrentStopAndKillOfOneContainerBothComplete() {
    String id = run(ignoresSigterm());
    awaitState(id, ContainerState.RUNNING);
    CompletionStage<Void> stop = runtime.stop(id, timeout().multipliedBy(4));
    CompletionStage<Void> stop2 = runtime.stop(id, timeout().multipliedBy(4));
    await(runtime.kill(id));
    await(stop);
    await(stop2);
    ContainerInfo c = await(runtime.inspect(id));
    assertEquals(ContainerState.EXITED, c.state());
    assertEquals(137, c.exitCode().orElseThrow());
  }
}
