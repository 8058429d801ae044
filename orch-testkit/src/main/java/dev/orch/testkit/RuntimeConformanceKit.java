package dev.orch.testkit;

import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.orch.api.runtime.ContainerCreateRequest;
import dev.orch.api.runtime.ContainerInfo;
import dev.orch.api.runtime.ContainerRuntime;
import dev.orch.api.runtime.ContainerRuntimeException;
import dev.orch.api.runtime.ContainerState;
import dev.orch.api.runtime.LabelSelector;
import dev.orch.api.runtime.OrchLabels;
import dev.orch.api.runtime.RuntimeCapability;
import dev.orch.api.runtime.RuntimeEvent;
import dev.orch.api.runtime.Subscription;
import dev.orch.api.spec.ContainerSpec;
import dev.orch.api.spec.Probe;
import dev.orch.api.spec.ServiceSpec;
import dev.orch.core.CrashLoopBackoff;
import dev.orch.core.Orchestrator;
import dev.orch.core.ReplicaStatus;
import dev.orch.core.ServiceStatus;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

/**
 * The runtime conformance kit: JUnit 5 tests every {@link ContainerRuntime} must pass, grouped by
 * concern (lifecycle, labels and listing, events, stop grace, exit codes, errors, concurrent calls, exec and
 * logs, volumes, networks, probes, the runtime under the orchestrator). Tests of an optional part are skipped, with the reason, when the runtime lacks
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
public abstract class RuntimeConformanceKit extends FeatureChecks {

  /** Creates the kit; subclasses are made by JUnit. */
  protected RuntimeConformanceKit() {
  }

  // ---------------------------------------------------------------- UnderTheOrchestrator
  // The runtime under the orchestrator: what passing the calls one by one does not prove. A service with a
  // readiness probe becomes ready, a killed replica is restarted, a deleted service is gone; ports are published
  // where probes go over the network; a closed runtime refuses calls.

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
