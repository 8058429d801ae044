package dev.orch.jmh;

import dev.orch.api.spec.ContainerSpec;
import dev.orch.api.spec.Resources;
import dev.orch.api.spec.ServiceSpec;
import dev.orch.api.spec.Stateful;
import dev.orch.api.time.VirtualTimeSource;
import dev.orch.core.Orchestrator;
import dev.orch.inmemory.InMemoryRuntime;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * A stateful service scaled from 0 to 100 replicas with {@code OrderedReady} (each ordinal created once the
 * ones below run ready, one at a time, each with a volume), on virtual time over 20 in-memory nodes: the wall
 * time it takes, and how many reconcile passes ({@code passes}, per operation).
 *
 * <pre>java -jar jmh/target/benchmarks.jar StatefulBenchmark</pre>
 */
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3)
@Measurement(iterations = 10)
@Fork(1)
@State(Scope.Thread)
public class StatefulBenchmark {
  private VirtualTimeSource time;
  private InMemoryRuntime runtime;
  private SimpleMeterRegistry meters;
  private Orchestrator orch;

  /** What each operation counted. */
  @State(Scope.Thread)
  @AuxCounters(AuxCounters.Type.EVENTS)
  public static class Passes {
    /** Reconcile passes the scale-up took. */
    public long passes;
  }

  @Setup(Level.Invocation)
  public void setUp() {
    time = new VirtualTimeSource();
    runtime = InMemoryRuntime.builder().timeSource(time).nodes(20, Resources.of("16", "64Gi")).build();
    meters = new SimpleMeterRegistry();
    orch = Orchestrator.builder().runtime(runtime).timeSource(time).meterRegistry(meters).build();
    time.advance(Duration.ofMillis(100));
  }

  @TearDown(Level.Invocation)
  public void tearDown() {
    orch.close();
    runtime.close();
  }

  @Benchmark
  public int orderedScaleUp(Passes counted) {
    orch.apply(ServiceSpec.builder("db").replicas(100)
        .container(ContainerSpec.builder("db:1").requests("100m", "128Mi").build())
        .stateful(Stateful.builder().volume("data", "/data").build()).build());
    double before = meters.get("orch.reconcile.count").counter().count();
    for (int i = 0; i < 10_000; i++) {
      time.advance(Duration.ofMillis(100));
      if (orch.status("db").orElseThrow().isReady()) {
        counted.passes += (long) (meters.get("orch.reconcile.count").counter().count() - before);
        return orch.status("db").orElseThrow().ready();
      }
    }
    throw new IllegalStateException("not ready after 1,000 s of virtual time: " + orch.status("db"));
  }
}
