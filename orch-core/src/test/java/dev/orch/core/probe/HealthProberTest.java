package dev.orch.core.probe;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.orch.api.runtime.ProbeResult;
import dev.orch.api.runtime.ProbeTransport;
import dev.orch.api.spec.Probe;
import dev.orch.api.spec.ProbeAction;
import dev.orch.api.spec.Probes;
import dev.orch.api.time.VirtualTimeSource;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.junit.jupiter.api.Test;

class HealthProberTest {
  private final VirtualTimeSource clock = new VirtualTimeSource();

  /** A transport whose probes stay in flight until the test completes them. */
  static final class HeldTransport implements ProbeTransport {
    final List<CompletableFuture<ProbeResult>> held = new ArrayList<>();

    @Override
    public synchronized CompletionStage<ProbeResult> probe(String containerId, dev.orch.api.spec.ProbeKind kind, ProbeAction action,
        Duration timeout) {
      CompletableFuture<ProbeResult> f = new CompletableFuture<>();
      held.add(f);
      return f;
    }

    synchronized int size() {
      return held.size();
    }
  }

  private static Probes readiness(Duration period) {
    return Probes.NONE.withReadiness(Probe.http("/ready", "http").withPeriod(period).withTimeout(Duration.ofMinutes(5)));
  }

  @Test
  void theBuilderAndWatchRefuseBadInputNamingTheField() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> HealthProber.builder().maxInFlight(0));
    assertEquals("maxInFlight: 0: must be >= 1", e.getMessage());
    try (HealthProber prober = HealthProber.builder().timeSource(clock).build()) {
      ProbeTarget network = ProbeTarget.builder("web-0").host("127.0.0.1").port("http", 8080).build();
      e = assertThrows(IllegalArgumentException.class, () -> prober.watch(network,
          Probes.NONE.withLiveness(Probe.http("/", "admin")), t -> { }));
      assertTrue(e.getMessage().startsWith("probes.liveness.http.port: \"admin\": target web-0 maps no port"),
          e.getMessage());
      e = assertThrows(IllegalArgumentException.class, () -> prober.watch(network,
          Probes.NONE.withReadiness(Probe.exec("true")), t -> { }));
      assertTrue(e.getMessage().startsWith("probes.readiness.exec: target web-0 has neither"), e.getMessage());
      e = assertThrows(IllegalArgumentException.class, () -> prober.watch(network,
          Probes.NONE.withStartup(Probe.tcp("http").withPeriod(Duration.ZERO)), t -> { }));
      assertEquals("probes.startup.period: PT0S: must be >= 1ms", e.getMessage());
      e = assertThrows(IllegalArgumentException.class, () -> prober.watch(ProbeTarget.builder("c").build(),
          Probes.NONE.withReadiness(Probe.tcp(80)), t -> { }));
      assertTrue(e.getMessage().startsWith("probes.readiness.tcp: target c has neither a host"), e.getMessage());
      e = assertThrows(IllegalArgumentException.class, () -> ProbeTarget.builder("c").port("http", 70000));
      assertEquals("ports.http: 70000: must be within 1..65535", e.getMessage());
      assertTrue(prober.watched().isEmpty(), "a refused watch leaves nothing behind");
    }
  }

  @Test
  void atMostMaxInFlightProbesRunAtOnceTheOthersWaitTheirTurn() {
    HeldTransport transport = new HeldTransport();
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    try (HealthProber prober = HealthProber.builder().timeSource(clock).maxInFlight(3).meterRegistry(registry).build()) {
      for (int i = 0; i < 10; i++) {
        prober.watch(ProbeTarget.builder("c-" + i).transport(transport).build(), readiness(Duration.ofSeconds(1)), t -> { });
      }
      clock.advance(Duration.ofSeconds(1));
      assertEquals(3, transport.size());
      assertEquals(3, registry.get("orch.probe.inflight").gauge().value());
      assertEquals(7, registry.get("orch.probe.waiting").gauge().value());
      transport.held.get(0).complete(ProbeResult.passed());
      clock.runDue();
      assertEquals(4, transport.size(), "a finished probe hands its slot to the next");
      for (int i = 1; i < 4; i++) {
        transport.held.get(i).complete(ProbeResult.failed("HTTP 500"));
      }
      clock.runDue();
      assertEquals(7, transport.size());
      assertEquals(1, registry.get("orch.probe.results").tag("probe", "readiness").tag("outcome", "success")
          .counter().count());
      assertEquals(3, registry.get("orch.probe.results").tag("probe", "readiness").tag("outcome", "failure")
          .counter().count());
      assertEquals(1, registry.get("orch.probe.transitions").tag("type", "ready").counter().count());
      assertEquals(10, registry.get("orch.probe.targets").gauge().value());
    }
  }

  @Test
  void firstRunsAreSpreadOverThePeriodAndTheSameSeedRepeatsThem() {
    List<Instant> a = firstRuns(42);
    assertEquals(a, firstRuns(42));
    assertNotEquals(a, firstRuns(43));
    Set<Instant> distinct = new HashSet<>(a);
    assertTrue(distinct.size() > 95, "100 targets should fire at ~100 different instants: " + distinct.size());
    Instant start = new VirtualTimeSource().now();
    assertTrue(a.stream().allMatch(t -> Duration.between(start, t).compareTo(Duration.ofSeconds(10)) < 0));
  }

  private static List<Instant> firstRuns(long seed) {
    VirtualTimeSource clock = new VirtualTimeSource();
    List<Instant> at = new ArrayList<>();
    ProbeTransport transport = (id, kind, action, timeout) -> {
      at.add(clock.now());
      return CompletableFuture.completedFuture(ProbeResult.passed());
    };
    try (HealthProber prober = HealthProber.builder().timeSource(clock).seed(seed).build()) {
      for (int i = 0; i < 100; i++) {
        prober.watch(ProbeTarget.builder("c-" + i).transport(transport).build(), readiness(Duration.ofSeconds(10)),
            t -> { });
      }
      clock.advance(Duration.ofMillis(9_999));
    }
    at.sort(null);
    return at;
  }

  @Test
  void initialDelayCountsFromWhenWatchingBegan() {
    List<Instant> at = new ArrayList<>();
    ProbeTransport transport = (id, kind, action, timeout) -> {
      at.add(clock.now());
      return CompletableFuture.completedFuture(ProbeResult.passed());
    };
    Instant start = clock.now();
    try (HealthProber prober = HealthProber.builder().timeSource(clock).build()) {
      prober.watch(ProbeTarget.builder("c").transport(transport).build(), Probes.NONE.withReadiness(
          Probe.http("/ready", "http").withInitialDelay(Duration.ofSeconds(30)).withPeriod(Duration.ofSeconds(5))),
          t -> { });
      clock.advance(Duration.ofSeconds(29));
      assertEquals(List.of(), at);
      clock.advance(Duration.ofSeconds(6));
      assertEquals(1, at.size());
      Duration first = Duration.between(start, at.get(0));
      assertTrue(first.compareTo(Duration.ofSeconds(30)) >= 0 && first.compareTo(Duration.ofSeconds(35)) < 0,
          first.toString());
    }
  }

  @Test
  void closingAHandleStopsItsProbesAndAFailingListenerStopsNothing() {
    int[] calls = new int[1];
    ProbeTransport transport = (id, kind, action, timeout) -> {
      calls[0]++;
      return CompletableFuture.completedFuture(ProbeResult.passed());
    };
    try (HealthProber prober = HealthProber.builder().timeSource(clock).build()) {
      ProbeHandle h = prober.watch(ProbeTarget.builder("c").transport(transport).build(),
          readiness(Duration.ofSeconds(1)), t -> {
            throw new IllegalStateException("listener bug");
          });
      clock.advance(Duration.ofSeconds(5));
      assertTrue(h.state().ready(), "the state moves on whatever the listener does");
      int before = calls[0];
      assertTrue(before >= 4, "probed every second: " + before);
      h.close();
      clock.advance(Duration.ofSeconds(10));
      assertEquals(before, calls[0]);
      assertTrue(prober.watched().isEmpty());
    }
  }

  @Test
  void aProbeThatNeverAnswersFailsAtItsTimeout() {
    HeldTransport transport = new HeldTransport();
    List<ProbeTransition> seen = new ArrayList<>();
    try (HealthProber prober = HealthProber.builder().timeSource(clock).build()) {
      ProbeHandle h = prober.watch(ProbeTarget.builder("c").transport(transport).build(), Probes.NONE.withLiveness(
          Probe.http("/live", "http").withPeriod(Duration.ofSeconds(1)).withTimeout(Duration.ofMillis(300))
              .withThresholds(1, 2)), seen::add);
      clock.advance(Duration.ofSeconds(5));
      assertTrue(!h.state().live(), h.state().toString());
      assertEquals("liveness: timed out after 300ms", h.state().lastFailure().orElseThrow());
      assertEquals(ProbeTransition.Type.LIVENESS_FAILED, seen.get(1).type());
    }
  }

  @Test
  void refusesNullArgumentsNamingThem() {
    ProbeTarget target = ProbeTarget.builder("orders-0").host("127.0.0.1").build();
    assertEquals("port", assertThrows(NullPointerException.class, () -> target.hostPort(null)).getMessage());
    assertEquals("containerId", assertThrows(NullPointerException.class,
        () -> ProbeTarget.builder(null)).getMessage());
  }
}
