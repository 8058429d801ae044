package dev.orch.jmh;

import dev.orch.api.runtime.OrchLabels;
import dev.orch.api.time.TimeSource;
import dev.orch.core.rollout.RevisionTraffic;
import dev.orch.core.lb.Endpoint;
import dev.orch.core.lb.EndpointSource;
import dev.orch.core.lb.LoadBalancer;
import dev.orch.core.lb.OutlierDetection;
import dev.orch.core.lb.Pickers;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The cost of one {@link LoadBalancer#pick()} for every picker over 10, 100 and 1,000 endpoints, on one
 * and two threads sharing one balancer. Run with {@code -prof gc} to see that a pick allocates nothing.
 *
 * <p>{@code pick1}/{@code pick2}: a pick and its release (the in-flight count goes up and down, as in
 * real use), consistent-hashing pickers with a fresh key hash each time. {@code pickAndReport}: a pick
 * and a report with a latency, which reads the time source and feeds the EWMA, so the peak-EWMA
 * picker's decay runs on every pick. {@code pickAndReportCounted}: the same through a balancer whose
 * outcome listener counts every report per revision in a {@link RevisionTraffic} (canary analysis).
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
@State(Scope.Benchmark)
public class LoadBalancerBenchmark {

  @Param({"roundRobin", "weightedRoundRobin", "random", "leastRequest", "peakEwma", "ringHash", "maglev"})
  public String picker;

  @Param({"10", "100", "1000"})
  public int endpoints;

  private TimeSource time;
  private LoadBalancer lb;
  private LoadBalancer counted;
  private boolean hashing;

  /** Per-thread request keys for the consistent-hashing pickers. */
  @State(Scope.Thread)
  public static class Keys {
    long next;

    long nextHash() {
      long h = ++next * 0x9e3779b97f4a7c15L;
      h ^= h >>> 33;
      h *= 0xff51afd7ed558ccdL;
      return h ^ (h >>> 33);
    }
  }

  @Setup(Level.Trial)
  public void setUp() {
    List<Endpoint> list = new ArrayList<>(endpoints);
    for (int i = 0; i < endpoints; i++) {
      // Mixed weights, so that the weighted pickers do weighted work.
      list.add(Endpoint.of("ep-" + i, "127.0.0.1", 10_000 + i).withWeight(1 + i % 3)
          .withLabels(Map.of(OrchLabels.REVISION, i % 10 == 0 ? "v2" : "v1")));
    }
    time = TimeSource.system();
    lb = LoadBalancer.builder(EndpointSource.of("bench", list))
        .picker(Pickers.byName(picker))
        .timeSource(time)
        .outlierDetection(OutlierDetection.defaults())
        .build();
    counted = LoadBalancer.builder(EndpointSource.of("bench", list))
        .picker(Pickers.byName(picker))
        .timeSource(time)
        .outlierDetection(OutlierDetection.defaults())
        .outcomeListener(new RevisionTraffic().listener("bench"))
        .build();
    hashing = picker.equals("ringHash") || picker.equals("maglev");
    // Give every endpoint a latency history.
    for (int i = 0; i < endpoints * 20; i++) {
      Endpoint e = lb.pick();
      lb.report(e, true, 100_000 + (i % 7) * 10_000);
      e = counted.pick();
      counted.report(e, true, 100_000 + (i % 7) * 10_000);
    }
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    lb.close();
    counted.close();
    time.close();
  }

  private Endpoint pick(Keys keys) {
    return pick(lb, keys);
  }

  private Endpoint pick(LoadBalancer from, Keys keys) {
    return hashing ? from.pickByHash(keys.nextHash()) : from.pick();
  }

  @Benchmark
  @Threads(1)
  public Endpoint pick1(Keys keys) {
    Endpoint e = pick(keys);
    lb.release(e);
    return e;
  }

  @Benchmark
  @Threads(2)
  public Endpoint pick2(Keys keys) {
    Endpoint e = pick(keys);
    lb.release(e);
    return e;
  }

  @Benchmark
  @Threads(1)
  public Endpoint pickAndReport(Keys keys) {
    Endpoint e = pick(keys);
    lb.report(e, true, 120_000);
    return e;
  }

  @Benchmark
  @Threads(1)
  public Endpoint pickAndReportCounted(Keys keys) {
    Endpoint e = pick(counted, keys);
    counted.report(e, true, 120_000);
    return e;
  }
}
