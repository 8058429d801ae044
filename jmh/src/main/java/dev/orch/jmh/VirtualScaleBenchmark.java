package dev.orch.jmh;

import dev.orch.api.spec.ContainerSpec;
import dev.orch.api.spec.Probe;
import dev.orch.api.spec.Resources;
import dev.orch.api.spec.ServiceSpec;
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
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * How the cost of the orchestrator grows with the replicas, on virtual time (the test-harness mode, every pass on
 * the caller's thread): 10 services of {@code replicas} replicas each, with HTTP readiness probes every second,
 * onto in-memory nodes of 16 CPUs (one per 100 replicas).
 *
 * <ul>
 *   <li>{@code readyFromEmpty}: the wall time from the applies until every replica is ready; it should grow no
 *       faster than the replicas.
 *   <li>{@code steadyState}: 10 s of virtual time once all are ready (probes every second, the periodic resync);
 *       with {@code -prof gc}, {@code gc.alloc.rate.norm} divided by the {@code replicaPasses} counter is the
 *       allocation per replica per pass.
 * </ul>
 *
 * <pre>java -jar jmh/target/benchmarks.jar VirtualScaleBenchmark -prof gc</pre>
 */
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 1)
@Measurement(iterations = 3)
@Fork(1)
@State(Scope.Thread)
public class VirtualScaleBenchmark {
  static final int SERVICES = 10;

  @Param({"100", "1000", "10000"})
  public int replicas;

  private Cluster cluster;

  /** What an operation counted. */
  @State(Scope.Thread)
  @AuxCounters(AuxCounters.Type.EVENTS)
  public static class Counted {
    /** Reconcile passes of the services. */
    public long passes;
    /** Replicas those passes covered (a pass of a service covers all its replicas). */
    public long replicaPasses;
  }

  @Setup(Level.Iteration)
  public void setUp() {
    cluster = new Cluster(replicas);
  }

  @TearDown(Level.Iteration)
  public void tearDown() {
    cluster.close();
  }

  @Benchmark
  public int readyFromEmpty() {
    cluster.applyAll();
    return cluster.awaitReady();
  }

  /** Measured on a cluster converged once per trial: 10 s of virtual time in steps of 100 ms. */
  @Benchmark
  public long steadyState(Converged converged, Counted counted) {
    Cluster c = converged.cluster;
    double before = c.passes();
    for (int i = 0; i < 100; i++) {
      c.time.advance(Duration.ofMillis(100));
    }
    long n = (long) (c.passes() - before);
    counted.passes += n;
    counted.replicaPasses += n * c.replicas;
    return n;
  }

  /** A cluster converged once per trial, for {@link #steadyState}. */
  @State(Scope.Thread)
  public static class Converged {
    Cluster cluster;

    @Setup(Level.Trial)
    public void converge(VirtualScaleBenchmark b) {
      cluster = new Cluster(b.replicas);
      cluster.applyAll();
      cluster.awaitReady();
    }

    @TearDown(Level.Trial)
    public void close() {
      cluster.close();
    }
  }

  /** An orchestrator on virtual time over in-memory nodes enough for the services. */
  static final class Cluster {
    final int replicas;
    final VirtualTimeSource time = new VirtualTimeSource();
    final InMemoryRuntime runtime;
    final SimpleMeterRegistry meters = new SimpleMeterRegistry();
    final Orchestrator orch;

    Cluster(int replicas) {
      this.replicas = replicas;
      int nodes = Math.max(10, SERVICES * replicas / 100);
      runtime = InMemoryRuntime.builder().timeSource(time).nodes(nodes, Resources.of("16", "64Gi")).build();
      orch = Orchestrator.builder().runtime(runtime).timeSource(time).meterRegistry(meters).build();
      time.advance(Duration.ofMillis(100));
    }

    double passes() {
      return meters.get("orch.reconcile.count").counter().count();
    }

    void applyAll() {
      for (int s = 0; s < SERVICES; s++) {
        orch.apply(ServiceSpec.builder("svc-" + s).replicas(replicas)
            .container(ContainerSpec.builder("app:1").port("http", 8080).requests("100m", "128Mi").build())
            .readiness(Probe.http("/ready", "http").withPeriod(Duration.ofSeconds(1)))
            .build());
      }
    }

    int awaitReady() {
      for (int i = 0; i < 36_000; i++) { // an hour of virtual time at most
        time.advance(Duration.ofMillis(100));
        if (i % 10 == 9 && allReady()) {
          return SERVICES;
        }
      }
      throw new IllegalStateException("not ready after an hour of virtual time: " + orch.status("svc-0"));
    }

    private boolean allReady() {
      for (int s = 0; s < SERVICES; s++) {
        if (!orch.status("svc-" + s).orElseThrow().isReady()) {
          return false;
        }
      }
      return true;
    }

    void close() {
      orch.close();
      runtime.close();
    }
  }
}
