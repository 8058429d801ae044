package dev.orch.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.orch.api.runtime.ContainerCreateRequest;
import dev.orch.api.runtime.ContainerInfo;
import dev.orch.api.runtime.ContainerListing;
import dev.orch.api.runtime.ContainerState;
import dev.orch.api.runtime.LabelSelector;
import dev.orch.api.runtime.NoSuchContainerException;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The kit's checks of one container's life: lifecycle, labels and listing, stop grace, exit codes. Part of
 * {@link RuntimeConformanceKit}, which users extend; the groups are superclasses of it, not nested classes,
 * so that Surefire reports every check under the user's own test class.
 */
abstract class ContainerChecks extends RuntimeKitFixture {

  // ---------------------------------------------------------------- Lifecycle
  // Create, start, stop, kill, remove and inspect.

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

  // ---------------------------------------------------------------- LabelsAndListing
  // Labels are kept, and listing selects by them.

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

  // ---------------------------------------------------------------- StopGrace
  // Stop asks first, then kills when the grace period ends.

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

  // ---------------------------------------------------------------- ExitCodes
  // Exit codes are reported as the process returned them.

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
