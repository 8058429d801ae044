package dev.orch.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.orch.api.runtime.ContainerConflictException;
import dev.orch.api.runtime.ContainerCreateRequest;
import dev.orch.api.runtime.ContainerInfo;
import dev.orch.api.runtime.ContainerRuntimeException;
import dev.orch.api.runtime.ContainerState;
import dev.orch.api.runtime.ExecResult;
import dev.orch.api.runtime.LabelSelector;
import dev.orch.api.runtime.LogLine;
import dev.orch.api.runtime.LogOptions;
import dev.orch.api.runtime.LogStream;
import dev.orch.api.runtime.NetworkInfo;
import dev.orch.api.runtime.NoSuchNetworkException;
import dev.orch.api.runtime.NodeInfo;
import dev.orch.api.runtime.ProbeResult;
import dev.orch.api.runtime.ProbeTransport;
import dev.orch.api.runtime.RuntimeCapability;
import dev.orch.api.runtime.VolumeInfo;
import dev.orch.api.spec.ContainerSpec;
import dev.orch.api.spec.ProbeAction;
import dev.orch.api.spec.ProbeKind;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The kit's checks of the optional parts, each skipped with the reason when the runtime lacks its
 * {@link dev.orch.api.runtime.RuntimeCapability}: exec and logs, volumes and their copies, networks, the probe
 * transport. Part of {@link RuntimeConformanceKit}.
 */
abstract class FeatureChecks extends EventAndErrorChecks {

  // ---------------------------------------------------------------- ExecAndLogs
  // Exec and logs, where the runtime has them.

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
  void theSpecsCommandAndArgsReachTheContainer() {
    assumeCapabilities(RuntimeCapability.EXEC);
    ContainerSpec spec = runsUntilStoppedWithArgs(List.of("kit-arg", "two words " + runId));
    String id = run(spec);
    awaitState(id, ContainerState.RUNNING);
    ExecResult r = await(runtime.exec(id, printCommandLineCommand(), Duration.ofSeconds(10)));
    assertEquals(0, r.exitCode(), () -> "print the command line: " + r);
    List<String> expected = new ArrayList<>(spec.command());
    expected.addAll(spec.args());
    assertEquals(expected, List.of(r.stdout().split("\0")),
        "the main process runs the spec's command followed by its args, each one word");
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

  @Test
  void aFollowingLogStreamEndsWhenItsContainerStopsAndOneOfAnExitedContainerAtItsEnd() throws Exception {
    assumeCapabilities(RuntimeCapability.LOG_STREAM);
    String id = run(runsUntilStopped());
    awaitState(id, ContainerState.RUNNING);
    try (LogStream follow = runtime.streamLogs(id, LogOptions.defaults().following())) {
      await(runtime.stop(id, Duration.ofSeconds(10)));
      assertTrue(readToEnd(follow), "the container stopped: a following stream ends");
    }
    try (LogStream exited = runtime.streamLogs(id, LogOptions.defaults().following())) {
      assertTrue(readToEnd(exited), "an exited container's stream ends at the end of its log, following or not");
      assertTrue(exited.failure() == null, () -> "no failure: " + exited.failure());
    }
  }

  @Test
  void aLogStreamCarriesWhatTheContainerWroteEachLineOnItsStream() throws Exception {
    assumeCapabilities(RuntimeCapability.LOG_STREAM);
    String out = "kit-out-" + runId;
    String err = "kit-err-" + runId;
    java.util.Optional<ContainerSpec> spec = writesLines(out, err);
    org.junit.jupiter.api.Assumptions.assumeTrue(spec.isPresent(), "the fixture gives no container that writes lines"
        + " (RuntimeKitFixture.writesLines)");
    String id = run(spec.get().toBuilder().env("KIT_OUT", out).env("KIT_ERR", err).build());
    awaitState(id, ContainerState.RUNNING);
    List<String> seen = new ArrayList<>();
    try (LogStream follow = runtime.streamLogs(id, LogOptions.defaults().following())) {
      long deadline = System.nanoTime() + timeout().toNanos();
      while (seen.size() < 2 && System.nanoTime() < deadline) {
        LogLine l = follow.poll(Duration.ofMillis(200));
        if (l != null) {
          seen.add(l.source() + " " + l.text());
        }
      }
    }
    // Each line on its own stream; between the two streams no order holds (a runtime reads them apart).
    seen.sort(null);
    assertEquals(List.of("STDERR " + err, "STDOUT " + out), seen, "each line as written, on its own stream");
    try (LogStream errOnly = runtime.streamLogs(id, LogOptions.defaults().withStreams(false, true))) {
      List<String> lines = new ArrayList<>();
      for (LogLine l; (l = errOnly.poll(Duration.ofSeconds(5))) != null; ) {
        lines.add(l.source() + " " + l.text());
      }
      assertEquals(List.of("STDERR " + err), lines, "standard error alone, not following: ends at its end");
    }
  }

  /** Reads {@code s} until it ends, for at most 30 s; whether it ended. */
  private static boolean readToEnd(LogStream s) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (!s.isEnded() && System.nanoTime() < deadline) {
      s.poll(Duration.ofMillis(200));
    }
    return s.isEnded();
  }

  // ---------------------------------------------------------------- Volumes
  // Named volumes, where the runtime has them.

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

  @Test
  void aVolumeCopiedToAnotherNodeHoldsTheSameFiles() {
    assumeCapabilities(RuntimeCapability.VOLUMES, RuntimeCapability.VOLUME_COPY, RuntimeCapability.EXEC);
    String other = await(runtime.nodes()).stream().filter(NodeInfo::ready).map(NodeInfo::id)
        .filter(id -> !id.equals(node)).findFirst().orElse(null);
    assumeTrue(other != null, () -> "runtime " + runtime.name() + " has no ready node but " + node
        + ", and a volume is copied to another; test skipped");
    String name = "kit-" + runId + "-copy";
    await(runtime.createVolume(node, name, labels(Map.of("purpose", "kit"))));
    removeAfterTest(node, name);
    removeAfterTest(other, name);
    ContainerSpec withVolume = runsUntilStopped().toBuilder().volume(name, "/kitdata").build();
    String writer = run(withVolume);
    awaitState(writer, ContainerState.RUNNING);
    ExecResult w = await(runtime.exec(writer, writeFileCommand("/kitdata/greeting", "copied-" + runId),
        Duration.ofSeconds(10)));
    assertEquals(0, w.exitCode(), "write: " + w);
    await(runtime.remove(writer)); // Orch copies a volume once its replica is gone

    VolumeInfo copy = await(runtime.copyVolume(node, name, other));
    assertEquals(name, copy.name());
    assertEquals(other, copy.nodeId());
    assertEquals("kit", copy.labels().get("purpose"), () -> "the copy has the source's labels: " + copy.labels());
    assertTrue(copy.sizeBytes() > 0, () -> "a copy's size is known, and holds the file: " + copy);
    String reader = await(runtime.create(new ContainerCreateRequest(uniqueName("c"), other, withVolume,
        labels(Map.of())))).id();
    await(runtime.start(reader));
    awaitState(reader, ContainerState.RUNNING);
    ExecResult r = await(runtime.exec(reader, readFileCommand("/kitdata/greeting"), Duration.ofSeconds(10)));
    assertEquals(0, r.exitCode(), "read the copy: " + r);
    assertEquals("copied-" + runId, r.stdout().trim(), "the copy holds the file");

    String source = run(withVolume);
    awaitState(source, ContainerState.RUNNING);
    ExecResult s = await(runtime.exec(source, readFileCommand("/kitdata/greeting"), Duration.ofSeconds(10)));
    assertEquals("copied-" + runId, s.stdout().trim(), () -> "the source keeps the file: " + s);
  }

  // ---------------------------------------------------------------- Networks
  // Networks per node, where the runtime has them (RuntimeCapability.NETWORKS).

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
    await(runtime.connect(id, name, Set.of())); // other aliases (none): the name leaves, the container stays
    assertEquals(Set.of(id), members(name), "a container whose aliases change stays on the network");
    await(runtime.connect(id, name, Set.of("kit-alias", "kit-other")));
    assertEquals(Set.of(id), members(name), "and again");
    assertInstanceOf(ContainerConflictException.class, failureOf(runtime.removeNetwork(node, name)),
        "a network in use is not removed");
    assertEquals(Set.of(id), members(name), "and stays");
    await(runtime.disconnect(id, name));
    await(runtime.disconnect(id, name)); // disconnecting again does nothing
    assertEquals(Set.of(), members(name));
    await(runtime.removeNetwork(node, name));
  }

  @Test
  void aContainersUsageIsItsCpuTimeAndMemoryAndTheCpuTimeNeverGoesBack() {
    assumeCapabilities(RuntimeCapability.USAGE_STATS);
    ContainerInfo created = create(runsUntilStopped(), Map.of());
    dev.orch.api.runtime.ContainerUsage idle = await(runtime.usage(created.id()));
    assertEquals(created.id(), idle.containerId());
    assertEquals(Duration.ZERO, idle.cpuTime(), "a container that does not run uses nothing");
    assertEquals(0, idle.memoryBytes());
    await(runtime.start(created.id()));
    dev.orch.api.runtime.ContainerUsage first = await(runtime.usage(created.id()));
    dev.orch.api.runtime.ContainerUsage second = await(runtime.usage(created.id()));
    assertTrue(first.memoryBytes() >= 0 && !first.cpuTime().isNegative(), first::toString);
    assertTrue(second.cpuTime().compareTo(first.cpuTime()) >= 0, () -> first + " then " + second);
    assertInstanceOf(dev.orch.api.runtime.NoSuchContainerException.class,
        failureOf(runtime.usage(created.nodeId() + "-none")));
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

  // ---------------------------------------------------------------- Probes
  // The runtime's own probe transport, where it has one.

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
