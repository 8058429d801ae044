package dev.orch.jmh;

import dev.orch.api.spec.AutoscalePolicy;
import dev.orch.core.autoscale.Autoscaler;
import dev.orch.core.autoscale.Decision;
import dev.orch.core.autoscale.MetricReading;
import dev.orch.core.autoscale.Sample;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * One sync of 1,000 autoscaled services: each {@link Autoscaler} decides from two metrics (requests per second
 * as an average value, CPU as utilization of the request) reported by its 10 replicas, one sync period after the
 * last (so that the windows and the rate policies hold their history). The readings are made in setup: what
 * is measured is the decisions alone, on one thread. Run: {@code java -jar jmh/target/benchmarks.jar
 * AutoscalerBenchmark -prof gc}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class AutoscalerBenchmark {
  static final int SERVICES = 1_000;
  static final int REPLICAS = 10;

  Autoscaler[] autoscalers;
  Map<String, Boolean>[] replicas;
  Map<String, MetricReading>[] readings;
  Instant now = Instant.parse("2026-01-01T00:00:00Z");

  /** 1,000 services of 10 ready replicas, loads spread around their targets. */
  @Setup
  @SuppressWarnings("unchecked")
  public void setUp() {
    Random r = new Random(7);
    autoscalers = new Autoscaler[SERVICES];
    replicas = new Map[SERVICES];
    readings = new Map[SERVICES];
    for (int s = 0; s < SERVICES; s++) {
      autoscalers[s] = new Autoscaler(AutoscalePolicy.builder("svc-" + s).maxReplicas(40)
          .averageValue("rps", 50).utilization("cpu", 70)
          .staleAfter(Duration.ofDays(3650)).build()); // the samples of setup stay fresh as the clock moves
      Map<String, Boolean> ready = new LinkedHashMap<>();
      Map<String, Sample> rps = new LinkedHashMap<>();
      Map<String, Sample> cpu = new LinkedHashMap<>();
      double load = 0.3 + r.nextDouble() * 1.5;
      for (int i = 0; i < REPLICAS; i++) {
        String name = "svc-" + s + "-" + i;
        ready.put(name, true);
        rps.put(name, Sample.of(50 * load * (0.9 + 0.2 * r.nextDouble()), now));
        cpu.put(name, new Sample(0.5 * 0.7 * load, 0.5, now));
      }
      replicas[s] = ready;
      readings[s] = Map.of("rps", MetricReading.of(rps), "cpu", MetricReading.of(cpu));
    }
  }

  /** Every service decides once, 15 s after the last sync. */
  @Benchmark
  public int syncAll() {
    now = now.plus(Duration.ofSeconds(15));
    int changed = 0;
    for (int s = 0; s < SERVICES; s++) {
      Decision d = autoscalers[s].decide(REPLICAS, replicas[s], readings[s], now);
      changed += d.changed() ? 1 : 0;
    }
    return changed;
  }
}
