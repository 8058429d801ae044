package dev.orch.core.probe;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.orch.api.runtime.ContainerCreateRequest;
import dev.orch.api.spec.ContainerSpec;
import dev.orch.api.spec.Probe;
import dev.orch.api.spec.Probes;
import dev.orch.api.spec.Resources;
import dev.orch.api.time.VirtualTimeSource;
import dev.orch.inmemory.Behaviors;
import dev.orch.inmemory.InMemoryRuntime;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The prober against the in-memory runtime's probe transport and exec, on virtual time. */
class InMemoryProbeTest {
  private final VirtualTimeSource clock = new VirtualTimeSource();
  private final Instant t0 = clock.now();
  private final InMemoryRuntime runtime = InMemoryRuntime.builder().timeSource(clock).seed(3)
      .nodes(1, Resources.of("4", "8Gi"))
      .behavior("hang:1", Behaviors.failLivenessAfter(Duration.ofSeconds(30)))
      .behavior("flaky:1", Behaviors.notReadyFor(Duration.ofSeconds(10), Duration.ofSeconds(40)))
      .behavior("slow:1", Behaviors.slowStart(Duration.ofSeconds(20)))
      .build();
  private final HealthProber prober = HealthProber.builder().timeSource(clock).seed(1).build();
  private final List<ProbeTransition> seen = new ArrayList<>();

  @AfterEach
  void close() {
    prober.close();
    runtime.close();
  }

  private String run(String image) {
    ContainerSpec spec = ContainerSpec.builder(image).port("http", 8080).build();
    String id = runtime.create(new ContainerCreateRequest(image.replace(':', '-') + "-0", "node-1", spec, Map.of()))
        .toCompletableFuture().join().id();
    runtime.start(id).toCompletableFuture().join();
    clock.runDue();
    return id;
  }

  private List<ProbeTransition.Type> types() {
    return seen.stream().map(ProbeTransition::type).collect(Collectors.toList());
  }

  private long secondsAt(int i) {
    return Duration.between(t0, seen.get(i).at()).toSeconds();
  }

  @Test
  void aContainerThatFailsLivenessIsRestartedByItsListener() {
    String id = run("hang:1");
    Probe liveness = Probe.http("/healthz", "http").withPeriod(Duration.ofSeconds(5));
    ProbeHandle[] handle = new ProbeHandle[1];
    List<Instant> restarts = new ArrayList<>();
    // What the reconciler does with a liveness failure: restart the container, then reset the probes.
    handle[0] = prober.watch(ProbeTarget.of(runtime, id), Probes.NONE.withLiveness(liveness), t -> {
      seen.add(t);
      if (t.type().requiresRestart()) {
        restarts.add(clock.now());
        runtime.stop(id, Duration.ofSeconds(1)).thenCompose(v -> runtime.start(id))
            .thenRun(() -> handle[0].restarted());
      }
    });
    clock.advance(Duration.ofSeconds(29));
    assertEquals(List.of(ProbeTransition.Type.READY), types(), "no readiness probe: ready at once");
    assertTrue(handle[0].state().live());

    clock.advance(Duration.ofSeconds(16));   // t = 45 s: three failures 5 s apart after 30 s
    assertEquals(List.of(ProbeTransition.Type.READY, ProbeTransition.Type.LIVENESS_FAILED,
        ProbeTransition.Type.NOT_READY, ProbeTransition.Type.READY), types());
    assertEquals("liveness: HTTP 503", seen.get(1).reason());
    assertTrue(secondsAt(1) >= 40 && secondsAt(1) <= 45, "third failure after 30 s: " + secondsAt(1));
    assertEquals("container restarted", seen.get(2).reason());
    assertTrue(handle[0].state().live(), "the restarted container is live again");

    clock.advance(Duration.ofSeconds(60));   // the new run hangs 30 s after its own start
    assertEquals(2, restarts.size(), "restarted once per hang: " + seen);
  }

  @Test
  void aContainerNotReadyForAWindowLeavesAndRejoinsTheReadySet() {
    String id = run("flaky:1");
    Probe readiness = Probe.http("/ready", "http").withPeriod(Duration.ofSeconds(2));
    ProbeHandle h = prober.watch(ProbeTarget.of(runtime, id), Probes.NONE.withReadiness(readiness), seen::add);
    assertFalse(h.state().ready());
    clock.advance(Duration.ofSeconds(9));
    assertEquals(List.of(ProbeTransition.Type.READY), types());
    clock.advance(Duration.ofSeconds(51));
    assertEquals(List.of(ProbeTransition.Type.READY, ProbeTransition.Type.NOT_READY, ProbeTransition.Type.READY),
        types());
    // Three failures 2 s apart from 10 s on; one success from 40 s on.
    assertTrue(secondsAt(1) >= 14 && secondsAt(1) <= 16, "not ready at " + secondsAt(1));
    assertTrue(secondsAt(2) >= 40 && secondsAt(2) <= 42, "ready again at " + secondsAt(2));
    assertEquals("readiness: HTTP 503", seen.get(1).reason());
    assertTrue(h.state().ready());
    assertEquals("readiness: HTTP 503", h.state().lastFailure().orElseThrow());
  }

  @Test
  void aStartupProbeHoldsReadinessBackUntilTheContainerHasStarted() {
    String id = run("slow:1");
    Probes probes = Probes.NONE
        .withStartup(Probe.http("/healthz", "http").withPeriod(Duration.ofSeconds(1)).withThresholds(1, 30))
        .withLiveness(Probe.http("/healthz", "http").withPeriod(Duration.ofSeconds(1)).withThresholds(1, 1))
        .withReadiness(Probe.http("/ready", "http").withPeriod(Duration.ofSeconds(1)));
    ProbeHandle h = prober.watch(ProbeTarget.of(runtime, id), probes, seen::add);
    clock.advance(Duration.ofSeconds(19));
    assertEquals(List.of(), types(), "no liveness failure while starting: liveness waits for startup");
    assertFalse(h.state().started());
    clock.advance(Duration.ofSeconds(5));
    assertEquals(List.of(ProbeTransition.Type.STARTED, ProbeTransition.Type.READY), types());
    assertTrue(h.state().started() && h.state().live() && h.state().ready());
  }

  @Test
  void aStartupProbeThatNeverPassesAsksForARestart() {
    String id = run("hang:1");
    Probe startup = Probe.exec("false").withPeriod(Duration.ofSeconds(1)).withThresholds(1, 5);
    prober.watch(ProbeTarget.of(runtime, id), Probes.NONE.withStartup(startup), seen::add);
    clock.advance(Duration.ofSeconds(10));
    assertEquals(List.of(ProbeTransition.Type.STARTUP_FAILED), types());
    assertEquals("startup: exit code 1", seen.get(0).reason());
  }

  @Test
  void execProbesRunThroughTheRuntimeWhenThereIsNoTransport() {
    String id = run("run-forever");
    ProbeTarget viaExec = ProbeTarget.builder(id).runtime(runtime).build();
    Probes probes = Probes.NONE
        .withLiveness(Probe.exec("sh", "-c", "exit 3").withPeriod(Duration.ofSeconds(1)).withThresholds(1, 2))
        .withReadiness(Probe.exec("true").withPeriod(Duration.ofSeconds(1)));
    ProbeHandle h = prober.watch(viaExec, probes, seen::add);
    clock.advance(Duration.ofSeconds(5));
    assertTrue(types().contains(ProbeTransition.Type.READY), types().toString());
    assertTrue(types().contains(ProbeTransition.Type.LIVENESS_FAILED), types().toString());
    assertEquals("liveness: exit code 3", h.state().lastFailure().orElseThrow());
  }
}
