package dev.orch.jmh;

import dev.orch.api.runtime.LogOptions;
import dev.orch.api.spec.ContainerSpec;
import dev.orch.api.spec.Resources;
import dev.orch.api.spec.ServiceSpec;
import dev.orch.core.Orchestrator;
import dev.orch.core.ServiceLogs;
import dev.orch.inmemory.ContainerBehavior;
import dev.orch.inmemory.ContainerProcess;
import dev.orch.inmemory.InMemoryRuntime;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Throughput of the merged log of a service of 10 replicas in memory: each replica's container holds its last
 * 1,000 lines, and one operation opens {@code orch.logs(service)} (not following) and reads all 10,000 lines,
 * replicas in turn. Reported per line ({@code @OperationsPerInvocation}): the inverse is lines per second, on
 * one reader thread. Run: {@code java -jar jmh/target/benchmarks.jar LogBenchmark -prof gc}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class LogBenchmark {
  static final int REPLICAS = 10;
  static final int LINES = 1_000;

  InMemoryRuntime runtime;
  Orchestrator orch;

  @Setup
  public void setUp() {
    runtime = InMemoryRuntime.builder().nodes(4, Resources.of("16", "64Gi")).behavior("chatty:1",
        new ContainerBehavior() {
          @Override
          public void onStart(ContainerProcess p) {
            for (int i = 0; i < LINES; i++) {
              p.log("GET /orders/" + i + " 200 in 3 ms from 10.0.0." + (i % 250));
            }
          }
        }).build();
    orch = Orchestrator.builder().runtime(runtime).build();
    orch.apply(ServiceSpec.builder("chatty").replicas(REPLICAS).container(ContainerSpec.builder("chatty:1").build())
        .build());
    while (orch.status("chatty").map(s -> s.running() < REPLICAS).orElse(true)) {
      LockSupport.parkNanos(1_000_000);
    }
  }

  @TearDown
  public void tearDown() {
    orch.close();
    runtime.close();
  }

  @Benchmark
  @OperationsPerInvocation(REPLICAS * LINES)
  public int readTheMergedLog() throws InterruptedException {
    int n = 0;
    try (ServiceLogs logs = orch.logs("chatty", LogOptions.defaults())) {
      while (logs.poll(Duration.ZERO) != null || !logs.isEnded()) {
        n++;
      }
    }
    if (n < REPLICAS * LINES) {
      throw new IllegalStateException("read " + n + " lines, not " + REPLICAS * LINES);
    }
    return n;
  }
}
