package dev.orch.core.probe;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.orch.api.runtime.ProbeResult;
import dev.orch.api.runtime.ProbeTransport;
import dev.orch.api.spec.Probe;
import dev.orch.api.spec.ProbeAction;
import dev.orch.api.spec.Probes;
import dev.orch.api.time.VirtualTimeSource;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;

/**
 * For any sequence of probe results, the prober publishes a transition exactly when kubelet's thresholds
 * say: at the result that completes a run of {@code successThreshold} successes (or
 * {@code failureThreshold} failures) while the state was the other way, and never otherwise.
 */
class ThresholdProperties {

  /** Answers each path's probes from a script, recording when each ran; passes once a script runs out. */
  static final class ScriptedTransport implements ProbeTransport {
    final VirtualTimeSource clock;
    final Map<String, List<Boolean>> scripts = new HashMap<>();
    final Map<String, List<Instant>> calls = new HashMap<>();

    ScriptedTransport(VirtualTimeSource clock) {
      this.clock = clock;
    }

    @Override
    public synchronized CompletionStage<ProbeResult> probe(String containerId, dev.orch.api.spec.ProbeKind kind, ProbeAction action,
        Duration timeout) {
      String path = ((ProbeAction.HttpGet) action).path();
      List<Instant> at = calls.computeIfAbsent(path, p -> new ArrayList<>());
      List<Boolean> script = scripts.getOrDefault(path, List.of());
      boolean ok = at.size() >= script.size() || script.get(at.size());
      at.add(clock.now());
      return CompletableFuture.completedFuture(ok ? ProbeResult.passed() : ProbeResult.failed("HTTP 500 #" + at.size()));
    }

    synchronized int count(String path) {
      return calls.getOrDefault(path, List.of()).size();
    }
  }

  /** The transitions a sequence must yield, by the definition: index of the result, and the new state. */
  static List<Map.Entry<Integer, Boolean>> expected(List<Boolean> results, boolean initial, int success, int failure) {
    List<Map.Entry<Integer, Boolean>> out = new ArrayList<>();
    boolean state = initial;
    for (int i = 0; i < results.size(); i++) {
      boolean r = results.get(i);
      int k = r ? success : failure;
      boolean lastKAgree = i - k + 1 >= 0 && results.subList(i - k + 1, i + 1).stream().allMatch(x -> x == r);
      if (r != state && lastKAgree) {
        out.add(Map.entry(i, r));
        state = r;
      }
    }
    return out;
  }

  private static List<Map.Entry<Integer, Boolean>> run(ProbeKindUnderTest kind, List<Boolean> results,
                                                       int success, int failure) {
    VirtualTimeSource clock = new VirtualTimeSource();
    ScriptedTransport transport = new ScriptedTransport(clock);
    transport.scripts.put("/probe", results);
    List<ProbeTransition> seen = new ArrayList<>();
    Probe probe = Probe.http("/probe", "http").withPeriod(Duration.ofSeconds(1)).withThresholds(success, failure);
    Probes probes = kind == ProbeKindUnderTest.READINESS ? Probes.NONE.withReadiness(probe) : Probes.NONE.withLiveness(probe);
    try (HealthProber prober = HealthProber.builder().timeSource(clock).seed(results.size()).build()) {
      ProbeHandle h = prober.watch(ProbeTarget.builder("c-0").transport(transport).build(), probes, seen::add);
      while (transport.count("/probe") < results.size()) {
        clock.advance(Duration.ofMillis(250));
      }
      clock.runDue();
      h.close();
    }
    List<Instant> at = transport.calls.get("/probe");
    List<Map.Entry<Integer, Boolean>> actual = new ArrayList<>();
    for (ProbeTransition t : seen) {
      if (t.type() == ProbeTransition.Type.READY && kind == ProbeKindUnderTest.LIVENESS) {
        continue;   // no readiness probe: ready at once, not a threshold's doing
      }
      boolean up = t.type() == ProbeTransition.Type.READY || t.type() == ProbeTransition.Type.LIVE;
      actual.add(Map.entry(at.indexOf(t.at()), up));
    }
    return actual;
  }

  enum ProbeKindUnderTest { READINESS, LIVENESS }

  @Property(tries = 200)
  void readinessChangesExactlyWhenTheThresholdsSay(@ForAll @Size(max = 40) List<Boolean> results,
                                                  @ForAll @IntRange(min = 1, max = 4) int success,
                                                  @ForAll @IntRange(min = 1, max = 4) int failure) {
    assertEquals(expected(results, false, success, failure),
        run(ProbeKindUnderTest.READINESS, results, success, failure));
  }

  @Property(tries = 200)
  void livenessChangesExactlyWhenTheThresholdsSay(@ForAll @Size(max = 40) List<Boolean> results,
                                                 @ForAll @IntRange(min = 1, max = 4) int success,
                                                 @ForAll @IntRange(min = 1, max = 4) int failure) {
    assertEquals(expected(results, true, success, failure),
        run(ProbeKindUnderTest.LIVENESS, results, success, failure));
  }

  @Property(tries = 100)
  void livenessAndReadinessNeverRunBeforeStartupPasses(@ForAll @Size(min = 1, max = 30) List<Boolean> startup,
                                                      @ForAll @IntRange(min = 1, max = 5) int failure) {
    VirtualTimeSource clock = new VirtualTimeSource();
    ScriptedTransport transport = new ScriptedTransport(clock);
    List<Boolean> script = new ArrayList<>(startup);
    script.add(true);   // it starts in the end
    transport.scripts.put("/startup", script);
    List<ProbeTransition> seen = new ArrayList<>();
    Duration period = Duration.ofSeconds(1);
    Probes probes = Probes.NONE
        .withStartup(Probe.http("/startup", "http").withPeriod(period).withThresholds(1, failure))
        .withLiveness(Probe.http("/live", "http").withPeriod(period))
        .withReadiness(Probe.http("/ready", "http").withPeriod(period));
    try (HealthProber prober = HealthProber.builder().timeSource(clock).seed(startup.size()).build()) {
      prober.watch(ProbeTarget.builder("c-0").transport(transport).build(), probes, seen::add);
      clock.advance(period.multipliedBy(script.size() + 3));
    }
    int firstPass = script.indexOf(true);
    Instant startedAt = transport.calls.get("/startup").get(firstPass);
    assertEquals(firstPass + 1, transport.count("/startup"), "the startup probe stops once it passed");
    for (String path : List.of("/live", "/ready")) {
      assertTrue(transport.calls.get(path).stream().allMatch(t -> !t.isBefore(startedAt)), path);
      assertTrue(transport.count(path) >= 1, path + " runs after startup");
    }
    boolean failedFirst = firstPass >= failure;
    List<ProbeTransition.Type> expected = new ArrayList<>();
    if (failedFirst) {
      expected.add(ProbeTransition.Type.STARTUP_FAILED);
    }
    expected.add(ProbeTransition.Type.STARTED);
    expected.add(ProbeTransition.Type.READY);
    assertEquals(expected, seen.stream().map(ProbeTransition::type).toList());
    assertEquals(startedAt, seen.get(failedFirst ? 1 : 0).at());
  }

  @Example
  void kubeletDefaultsNeedThreeFailuresAndOneSuccess() {
    List<Boolean> r = List.of(true, false, false, true, false, false, false, true);
    assertEquals(List.of(Map.entry(0, true), Map.entry(6, false), Map.entry(7, true)), expected(r, false, 1, 3));
    assertEquals(expected(r, false, 1, 3), run(ProbeKindUnderTest.READINESS, r, 1, 3));
  }
}
