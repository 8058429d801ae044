package dev.orch.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.orch.api.runtime.ContainerConflictException;
import dev.orch.api.runtime.ContainerCreateRequest;
import dev.orch.api.runtime.ContainerInfo;
import dev.orch.api.runtime.ContainerListing;
import dev.orch.api.runtime.ContainerRuntime;
import dev.orch.api.runtime.ContainerRuntimeException;
import dev.orch.api.runtime.ContainerState;
import dev.orch.api.runtime.ExecResult;
import dev.orch.api.runtime.LabelSelector;
import dev.orch.api.runtime.NameInUseException;
import dev.orch.api.runtime.NetworkInfo;
import dev.orch.api.runtime.NoSuchContainerException;
import dev.orch.api.runtime.NoSuchNetworkException;
import dev.orch.api.runtime.NoSuchNodeException;
import dev.orch.api.runtime.OrchLabels;
import dev.orch.api.runtime.ProbeResult;
import dev.orch.api.runtime.ProbeTransport;
import dev.orch.api.runtime.RuntimeCapability;
import dev.orch.api.runtime.RuntimeEvent;
import dev.orch.api.runtime.Subscription;
import dev.orch.api.runtime.UnsupportedCapabilityException;
import dev.orch.api.runtime.VolumeInfo;
import dev.orch.api.spec.ContainerSpec;
import dev.orch.api.spec.Probe;
import dev.orch.api.spec.ProbeAction;
import dev.orch.api.spec.ProbeKind;
import dev.orch.api.spec.ServiceSpec;
import dev.orch.core.CrashLoopBackoff;
import dev.orch.core.Orchestrator;
import dev.orch.core.ReplicaStatus;
import dev.orch.core.ServiceStatus;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/**
 * The runtime conformance kit: JUnit 5 tests every {@link ContainerRuntime} must pass, grouped in nested
 * classes (lifecycle, labels and listing, events, stop grace, exit codes, errors, concurrent calls, exec and
 * logs, volumes, probes). Tests of an optional part are skipped, with the reason, when the runtime lacks
 * its {@link RuntimeCapability}.
 *
 * <p>Extend it and supply the fixture: how to make the runtime, and three container specs, since images
 * differ per runtime (see {@link RuntimeKitFixture}). Every test makes a fresh runtime and removes what it
 * created afterwards. Tests run on real time; each wait is bounded by
 * {@link #timeout()} (30 s unless overridden), and a conforming runtime passes each test in well under that.
 *
 * <pre>{@code
 * class MyRuntimeConformanceTest extends RuntimeConformanceKit {
 *   protected ContainerRuntime createRuntime() { return new MyRuntime(...); }
 *   protected ContainerSpec runsUntilStopped() { return ContainerSpec.builder("busybox-sleep").build(); }
 *   protected ContainerSpec exitsSoonWith(int code) { ... }
 *   protected ContainerSpec ignoresSigterm() { ... }
 * }
 * }</pre>
 *
 * <p>Not thread-safe: JUnit makes one instance per test.
 */
public abstract class RuntimeConformanceKit extends RuntimeKitFixture {

  /** Creates the kit; subclasses are made by JUnit. */
  protected RuntimeConformanceKit() {
  }

  /** Create, start, stop, kill, remove and inspect. */
  @Nested
  class Lifecycle {
    @Test
    void createMakesAContainerThatIsNotStarted() {
      Instant before = Instant.now().minus(clockTolerance());
      ContainerInfo c = create(runsUntilStopped(), Map.of("role", "web"));
      assertEquals(ContainerState.CREATED, c.state());
      assertEquals(node, c.nodeId());
      assertEquals(runsUntilStopped().image(), c.image());
      assertEquals("web", c.labels().get("role"));
      assertTrue(c.startedAt().isEmpty());
      assertTrue(c.exitCode().isEmpty());
      assertFalse(c.createdAt().isBefore(before), "createdAt " + c.createdAt() + " is before the call");
      assertEquals(c.id(), await(runtime.inspect(c.id())).id());
      assertEquals(c.name(), await(runtime.inspect(c.id())).name());
    }

    @Test
    void startRunsItAndStartingAgainDoesNothing() {
      String id = run(runsUntilStopped());
      ContainerInfo c = awaitState(id, ContainerState.RUNNING);
      assertTrue(c.isRunning());
      assertTrue(c.startedAt().isPresent());
      await(runtime.start(id));
      assertEquals(ContainerState.RUNNING, await(runtime.inspect(id)).state());
    }

    @Test
    void stopEndsItAndRecordsTheEnd() {
      String id = run(runsUntilStopped());
      awaitState(id, ContainerState.RUNNING);
      await(runtime.stop(id, Duration.ofSeconds(10)));
      ContainerInfo c = await(runtime.inspect(id));
      assertEquals(ContainerState.EXITED, c.state(), "stop completes when the process has ended");
      assertTrue(c.exitCode().isPresent());
      assertTrue(c.finishedAt().isPresent());
    }

    @Test
    void killEndsItWithCode137() {
      String id = run(runsUntilStopped());
      awaitState(id, ContainerState.RUNNING);
      await(runtime.kill(id));
      ContainerInfo c = awaitState(id, ContainerState.EXITED);
      assertEquals(137, c.exitCode().orElseThrow());
      assertFalse(c.oomKilled());
    }

    @Test
    void stopAndKillOfAContainerThatDoesNotRunDoNothing() {
      String id = create(runsUntilStopped(), Map.of()).id();
      await(runtime.stop(id, shortGrace()));
      await(runtime.kill(id));
      assertEquals(ContainerState.CREATED, await(runtime.inspect(id)).state());
    }

    @Test
    void anExitedContainerStartsAgain() {
      String id = run(runsUntilStopped());
      awaitState(id, ContainerState.RUNNING);
      await(runtime.kill(id));
      awaitState(id, ContainerState.EXITED);
      await(runtime.start(id));
      ContainerInfo c = awaitState(id, ContainerState.RUNNING);
      assertTrue(c.exitCode().isEmpty(), "a running container has no exit code");
    }

    @Test
    void removeDeletesItAndFreesItsName() {
      ContainerInfo c = create(runsUntilStopped(), Map.of());
      await(runtime.remove(c.id()));
      assertInstanceOf(NoSuchContainerException.class, failureOf(runtime.inspect(c.id())));
      assertTrue(await(runtime.list(LabelSelector.of(RUN_LABEL, runId))).isEmpty());
      ContainerInfo again = await(runtime.create(new ContainerCreateRequest(c.name(), node, runsUntilStopped(),
          labels(Map.of()))));
      assertNotEquals(c.id(), again.id());
    }

    @Test
    void removeKillsARunningContainerFirst() {
      String id = run(runsUntilStopped());
      awaitState(id, ContainerState.RUNNING);
      await(runtime.remove(id));
      assertInstanceOf(NoSuchContainerException.class, failureOf(runtime.inspect(id)));
    }
  }

  /** Labels are kept, and listing selects by them. */
  @Nested
  class LabelsAndListing {
    @Test
    void listSelectsByEveryGivenLabel() {
      String a = create(runsUntilStopped(), Map.of("svc", "orders", "rev", "1")).id();
      String b = create(runsUntilStopped(), Map.of("svc", "orders", "rev", "2")).id();
      String c = create(runsUntilStopped(), Map.of("svc", "billing", "rev", "1")).id();
      LabelSelector mine = LabelSelector.of(RUN_LABEL, runId);
      assertEquals(Set.of(a, b, c), ids(await(runtime.list(mine))));
      assertEquals(Set.of(a, b), ids(await(runtime.list(mine.and("svc", "orders")))));
      assertEquals(Set.of(a), ids(await(runtime.list(mine.and("svc", "orders").and("rev", "1")))));
      assertEquals(Set.of(), ids(await(runtime.list(mine.and("svc", "nothing")))));
      assertTrue(ids(await(runtime.list(LabelSelector.ALL))).containsAll(Set.of(a, b, c)));
    }

    @Test
    void aListingOfHealthyNodesIsCompleteAndListsWhatListDoes() {
      String a = create(runsUntilStopped(), Map.of("svc", "orders")).id();
      LabelSelector mine = LabelSelector.of(RUN_LABEL, runId);
      ContainerListing listing = await(runtime.listing(mine));
      assertTrue(listing.isComplete(), () -> "every node answers, yet the listing says these did not: "
          + listing.unansweredNodes() + " (a node that does not answer is named there; its containers are "
          + "unknown, not gone)");
      assertEquals(ids(await(runtime.list(mine))), ids(listing.containers()));
      assertTrue(ids(listing.containers()).contains(a));
    }

    @Test
    void labelsAreReportedAsGiven() {
      Map<String, String> extra = Map.of("orch.service", "orders", "orch.ordinal", "2", "with-dash", "x.y");
      ContainerInfo c = create(runsUntilStopped(), extra);
      assertEquals(labels(extra), onlyKeys(await(runtime.inspect(c.id())).labels(), labels(extra).keySet()));
      ContainerInfo listed = await(runtime.list(LabelSelector.of(RUN_LABEL, runId))).get(0);
      assertEquals("2", listed.label("orch.ordinal").orElseThrow());
    }

    @Test
    void listReportsStates() {
      String created = create(runsUntilStopped(), Map.of("k", "created")).id();
      String running = run(runsUntilStopped());
      awaitState(running, ContainerState.RUNNING);
      Map<String, ContainerState> states = new HashMap<>();
      for (ContainerInfo c : await(runtime.list(LabelSelector.of(RUN_LABEL, runId)))) {
        states.put(c.id(), c.state());
      }
      assertEquals(Map.of(created, ContainerState.CREATED, running, ContainerState.RUNNING), states);
    }

    private Set<String> ids(List<ContainerInfo> list) {
      Set<String> out = new HashSet<>();
      list.forEach(c -> out.add(c.id()));
      return out;
    }

    private Map<String, String> onlyKeys(Map<String, String> m, Set<String> keys) {
      Map<String, String> out = new HashMap<>(m);
      out.keySet().retainAll(keys);
      return out;
    }
  }

  /** The event stream: what happens to a container, in order. */
  @Nested
  class Events {
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
  }

  /** Stop asks first, then kills when the grace period ends. */
  @Nested
  class StopGrace {
    @Test
    void aContainerIgnoringSigtermIsKilledWhenTheGraceEnds() {
      String id = run(ignoresSigterm());
      awaitState(id, ContainerState.RUNNING);
      Instant asked = Instant.now();
      await(runtime.stop(id, shortGrace()));
      ContainerInfo c = await(runtime.inspect(id));
      assertEquals(ContainerState.EXITED, c.state(), "stop completes when the process has ended");
      assertEquals(137, c.exitCode().orElseThrow(), "killed");
      Instant earliest = asked.plus(shortGrace()).minus(clockTolerance());
      assertFalse(c.finishedAt().orElseThrow().isBefore(earliest),
          "killed at " + c.finishedAt().orElseThrow() + ", before the grace of " + shortGrace() + " ended");
    }

    @Test
    void aWellBehavedContainerExitsOnSigtermWithoutWaitingForTheGrace() {
      String id = run(runsUntilStopped());
      awaitState(id, ContainerState.RUNNING);
      // A grace far longer than the wait: completing at all shows it did not wait for the kill.
      Duration longGrace = timeout().multipliedBy(4);
      await(runtime.stop(id, longGrace));
      ContainerInfo c = await(runtime.inspect(id));
      assertEquals(ContainerState.EXITED, c.state());
      assertNotEquals(137, c.exitCode().orElseThrow(), "it ended on SIGTERM, it was not killed");
    }
  }

  /** Exit codes are reported as the process returned them. */
  @Nested
  class ExitCodes {
    @Test
    void exitCodesAreReportedByInspectAndList() {
      int[] codes = {0, 1, 3, 42, 255};
      Map<String, Integer> expected = new HashMap<>();
      for (int code : codes) {
        expected.put(run(exitsSoonWith(code)), code);
      }
      for (Map.Entry<String, Integer> e : expected.entrySet()) {
        ContainerInfo c = awaitState(e.getKey(), ContainerState.EXITED);
        assertEquals(e.getValue(), c.exitCode().orElseThrow());
        assertFalse(c.oomKilled());
        assertTrue(c.finishedAt().isPresent());
      }
      for (ContainerInfo c : await(runtime.list(LabelSelector.of(RUN_LABEL, runId)))) {
        assertEquals(expected.get(c.id()), c.exitCode().orElseThrow());
      }
    }
  }

  /** Each failure has its exception type, delivered through the stage. */
  @Nested
  class Errors {
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
      assumeTrue(!has.containsAll(Set.of(RuntimeCapability.EXEC, RuntimeCapability.LOGS, RuntimeCapability.VOLUMES)),
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
    }
  }

  /** Any thread may call any method at any time. */
  @Nested
  class Concurrency {
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

  /** Exec and logs, where the runtime has them. */
  @Nested
  class ExecAndLogs {
    @Test
    void execRunsACommandAndReportsItsOutputAndCode() {
      assumeCapabilities(RuntimeCapability.EXEC);
      String id = run(runsUntilStopped());
      awaitState(id, ContainerState.RUNNING);
      ExecResult ok = await(runtime.exec(id, List.of("echo", "hello"), Duration.ofSeconds(10)));
      assertEquals(0, ok.exitCode());
      assertEquals("hello", ok.stdout().trim());
      ExecResult three = await(runtime.exec(id, List.of("sh", "-c", "exit 3"), Duration.ofSeconds(10)));
      assertEquals(3, three.exitCode());
    }

    @Test
    void theSpecsEnvReachesTheContainer() {
      assumeCapabilities(RuntimeCapability.EXEC);
      String value = "kit-" + runId;
      String id = run(runsUntilStopped().toBuilder().env("KIT_VALUE", value).build());
      awaitState(id, ContainerState.RUNNING);
      ExecResult r = await(runtime.exec(id, printEnvCommand("KIT_VALUE"), Duration.ofSeconds(10)));
      assertEquals(0, r.exitCode(), () -> "print env: " + r);
      assertEquals(value, r.stdout().trim(), "the spec's env is the container's");
    }

    @Test
    void execInAContainerThatDoesNotRunFails() {
      assumeCapabilities(RuntimeCapability.EXEC);
      String id = create(runsUntilStopped(), Map.of()).id();
      assertInstanceOf(ContainerRuntimeException.class,
          failureOf(runtime.exec(id, List.of("true"), Duration.ofSeconds(5))));
    }

    @Test
    void logsOfAContainerAreReadable() {
      assumeCapabilities(RuntimeCapability.LOGS);
      String id = run(exitsSoonWith(0));
      awaitState(id, ContainerState.EXITED);
      List<String> lines = await(runtime.logs(id, 100));
      assertTrue(lines.size() <= 100, "at most the lines asked for");
    }
  }

  /** Named volumes, where the runtime has them. */
  @Nested
  class Volumes {
    @Test
    void aVolumeIsCreatedOnceListedByLabelAndRemoved() {
      assumeCapabilities(RuntimeCapability.VOLUMES);
      String name = "kit-" + runId + "-vol";
      VolumeInfo v = await(runtime.createVolume(node, name, labels(Map.of("purpose", "kit"))));
      removeAfterTest(node, name);
      assertEquals(name, v.name());
      assertEquals(node, v.nodeId());
      VolumeInfo again = await(runtime.createVolume(node, name, labels(Map.of("purpose", "kit"))));
      assertEquals(name, again.name(), "creating an existing volume returns it");
      List<VolumeInfo> listed = await(runtime.listVolumes(LabelSelector.of(RUN_LABEL, runId)));
      assertEquals(List.of(name), listed.stream().map(VolumeInfo::name).toList());
      await(runtime.removeVolume(node, name));
      assertTrue(await(runtime.listVolumes(LabelSelector.of(RUN_LABEL, runId))).isEmpty());
    }

    @Test
    void dataOnAVolumeOutlivesTheContainerThatWroteIt() {
      assumeCapabilities(RuntimeCapability.VOLUMES, RuntimeCapability.EXEC);
      String name = "kit-" + runId + "-data";
      await(runtime.createVolume(node, name, labels(Map.of())));
      removeAfterTest(node, name);
      ContainerSpec withVolume = runsUntilStopped().toBuilder().volume(name, "/kitdata").build();
      String writer = run(withVolume);
      awaitState(writer, ContainerState.RUNNING);
      ExecResult w = await(runtime.exec(writer, writeFileCommand("/kitdata/greeting", "hello-" + runId),
          Duration.ofSeconds(10)));
      assertEquals(0, w.exitCode(), "write: " + w);
      await(runtime.remove(writer));

      String reader = run(withVolume);
      awaitState(reader, ContainerState.RUNNING);
      ExecResult r = await(runtime.exec(reader, readFileCommand("/kitdata/greeting"), Duration.ofSeconds(10)));
      assertEquals(0, r.exitCode(), "read: " + r);
      assertEquals("hello-" + runId, r.stdout().trim());
      await(runtime.remove(reader));
    }
  }

  /**
   * The runtime under the orchestrator: what passing the calls one by one does not prove. A service with a
   * readiness probe becomes ready, a killed replica is restarted, a deleted service is gone; ports are
   * published where probes go over the network; a closed runtime refuses calls.
   */
  @Nested
  class UnderTheOrchestrator {
    @Test
    void aServiceBecomesReadyIsRestartedWhenKilledAndGoesWhenDeleted() throws Exception {
      String owner = "kit-" + runId;
      ServiceSpec spec = ServiceSpec.builder("kit-web").replicas(1).container(servesHttp(8080))
          .label(RUN_LABEL, runId).readiness(Probe.http("/", "http").withPeriod(Duration.ofMillis(200)))
          .build();
      try (Orchestrator orch = Orchestrator.builder().runtime(runtime).ownerId(owner)
          .crashLoopBackoff(new CrashLoopBackoff(Duration.ofMillis(100), Duration.ofSeconds(1), Duration.ofMinutes(1)))
          .terminationGrace(shortGrace()).build()) {
        orch.apply(spec);
        assertTrue(orch.awaitReady("kit-web", timeout()), () -> runtime.name() + ": the service never became ready "
            + "under the orchestrator (can its readiness probe reach the container? publish its ports, or answer "
            + "probes with a probe transport): " + orch.status("kit-web").orElseThrow());
        ReplicaStatus replica = orch.status("kit-web").orElseThrow().replicas().get(0);
        await(runtime.kill(replica.containerId()));
        Optional<ServiceStatus> restarted = orch.awaitStatus("kit-web", s -> s.isReady() && s.replicas().get(0)
            .restarts() >= 1, timeout());
        assertTrue(restarted.isPresent(), () -> runtime.name() + ": a killed replica was not restarted and ready "
            + "again: " + orch.status("kit-web").orElseThrow());
        assertTrue(orch.delete("kit-web"));
        assertTrue(orch.awaitDeleted("kit-web", timeout()), () -> runtime.name() + ": the deleted service's "
            + "replicas did not go: " + orch.status("kit-web"));
        assertTrue(await(runtime.list(LabelSelector.of(OrchLabels.OWNER, owner))).isEmpty());
        assertTrue(orch.closeAndRemoveAll(timeout())); // and what the runtime made for it (its networks)
      }
    }

    @Test
    void aContainerPortIsPublishedAndReportedWhereProbesGoOverTheNetwork() {
      assumeTrue(runtime.probeTransport().isEmpty(), () -> runtime.name() + " answers probes itself");
      String id = run(servesHttp(8080));
      ContainerInfo c = awaitState(id, ContainerState.RUNNING);
      assertTrue(c.ports().stream().anyMatch(p -> p.name().equals("http") && p.containerPort() == 8080
              && p.hostPort() > 0 && !p.hostAddress().isEmpty()),
          () -> runtime.name() + ": a running container's port is published and reported, or the orchestrator "
              + "cannot probe it: " + c.ports());
    }

    @Test
    void aNodeThatStopsAnsweringIsReportedLostAndReadyWhenItAnswersAgain() {
      List<RuntimeEvent> events = new CopyOnWriteArrayList<>();
      try (Subscription s = runtime.subscribe(events::add)) {
        assumeTrue(loseNode(runtime, node), () -> "the fixture cannot make " + runtime.name() + " lose a node");
        try {
          Awaitility.await().atMost(timeout()).until(() -> events.stream().anyMatch(e ->
              e instanceof RuntimeEvent.NodeLost l && l.nodeId().equals(node)));
          assertTrue(await(runtime.nodes()).stream().noneMatch(n -> n.id().equals(node) && n.ready()),
              "a lost node is reported not ready");
        } finally {
          restoreNode(runtime, node);
        }
        Awaitility.await().atMost(timeout()).until(() -> events.stream().anyMatch(e ->
            e instanceof RuntimeEvent.NodeReady r && r.nodeId().equals(node)));
        Awaitility.await().atMost(timeout()).until(() -> await(runtime.nodes()).stream()
            .anyMatch(n -> n.id().equals(node) && n.ready()));
      }
    }

    @Test
    void aClosedRuntimeRefusesCalls() {
      ContainerRuntime other = createRuntime();
      String on = nodeId(other);
      other.close();
      other.close(); // idempotent
      Throwable t = failureOf(other.create(new ContainerCreateRequest(uniqueName("closed"), on, runsUntilStopped(),
          labels(Map.of()))));
      assertInstanceOf(ContainerRuntimeException.class, t, "a call after close() fails with the SPI's exception");
    }
  }

  /** Networks per node, where the runtime has them ({@link RuntimeCapability#NETWORKS}). */
  @Nested
  class Networks {
    @Test
    void aNetworkIsCreatedOnceListedByLabelAndRemoved() {
      assumeCapabilities(RuntimeCapability.NETWORKS);
      String name = "kit-" + runId + "-net";
      NetworkInfo n = await(runtime.createNetwork(node, name, labels(Map.of("purpose", "kit"))));
      removeNetworkAfterTest(node, name);
      assertEquals(name, n.name());
      assertEquals(node, n.nodeId());
      assertEquals("kit", n.labels().get("purpose"));
      assertEquals(name, await(runtime.createNetwork(node, name, labels(Map.of("purpose", "kit")))).name(),
          "creating an existing network returns it");
      List<NetworkInfo> listed = await(runtime.listNetworks(LabelSelector.of(RUN_LABEL, runId)));
      assertEquals(List.of(name), listed.stream().map(NetworkInfo::name).toList());
      await(runtime.removeNetwork(node, name));
      assertTrue(await(runtime.listNetworks(LabelSelector.of(RUN_LABEL, runId))).isEmpty());
      await(runtime.removeNetwork(node, name)); // removing a missing network does nothing
    }

    @Test
    void aContainerJoinsAndLeavesANetworkThatStaysWhileItIsUsed() {
      assumeCapabilities(RuntimeCapability.NETWORKS);
      String name = "kit-" + runId + "-members";
      await(runtime.createNetwork(node, name, labels(Map.of())));
      removeNetworkAfterTest(node, name);
      String id = create(runsUntilStopped(), Map.of()).id();
      await(runtime.connect(id, name, Set.of("kit-alias")));
      await(runtime.connect(id, name, Set.of("kit-alias"))); // connecting again does nothing
      assertEquals(Set.of(id), members(name), "the network lists its container");
      assertInstanceOf(ContainerConflictException.class, failureOf(runtime.removeNetwork(node, name)),
          "a network in use is not removed");
      assertEquals(Set.of(id), members(name), "and stays");
      await(runtime.disconnect(id, name));
      await(runtime.disconnect(id, name)); // disconnecting again does nothing
      assertEquals(Set.of(), members(name));
      await(runtime.removeNetwork(node, name));
    }

    @Test
    void connectingToAMissingNetworkFailsWithNoSuchNetwork() {
      assumeCapabilities(RuntimeCapability.NETWORKS);
      String id = create(runsUntilStopped(), Map.of()).id();
      String missing = "kit-" + runId + "-none";
      Throwable t = failureOf(runtime.connect(id, missing, Set.of()));
      assertInstanceOf(NoSuchNetworkException.class, t);
      assertTrue(t.getMessage().contains(missing), "the message names the network: " + t.getMessage());
    }

    private Set<String> members(String name) {
      return await(runtime.listNetworks(LabelSelector.of(RUN_LABEL, runId))).stream()
          .filter(n -> n.name().equals(name)).findFirst().map(NetworkInfo::containers).orElse(Set.of());
    }
  }

  /** The runtime's own probe transport, where it has one. */
  @Nested
  class Probes {
    @Test
    void probesPassOnARunningContainerAndFailOnAnExitedOne() {
      assumeCapabilities(RuntimeCapability.PROBE_TRANSPORT);
      ProbeTransport transport = runtime.probeTransport().orElseThrow(
          () -> new AssertionError("PROBE_TRANSPORT is listed but probeTransport() is empty"));
      String id = run(runsUntilStopped());
      awaitState(id, ContainerState.RUNNING);
      ProbeAction exec = new ProbeAction.Exec(List.of("true"));
      assertTrue(await(transport.probe(id, ProbeKind.LIVENESS, exec, Duration.ofSeconds(5))).success());
      await(runtime.kill(id));
      awaitState(id, ContainerState.EXITED);
      ProbeResult after;
      try {
        after = await(transport.probe(id, ProbeKind.LIVENESS, exec, Duration.ofSeconds(5)));
      } catch (ContainerRuntimeException e) {
        return;
      }
      assertFalse(after.success(), "a probe of an exited container fails");
    }

    @Test
    void theProbeTransportIsPresentExactlyWithItsCapability() {
      boolean has = runtime.capabilities().contains(RuntimeCapability.PROBE_TRANSPORT);
      if (has != runtime.probeTransport().isPresent()) {
        fail("capabilities() says PROBE_TRANSPORT is " + has + " but probeTransport() is "
            + runtime.probeTransport());
      }
    }
  }
}
