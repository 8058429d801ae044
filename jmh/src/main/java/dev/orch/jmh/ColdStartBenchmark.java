package dev.orch.jmh;

import dev.orch.api.spec.AutoscalePolicy;
import dev.orch.api.spec.ContainerSpec;
import dev.orch.api.spec.Resources;
import dev.orch.api.spec.ServiceSpec;
import dev.orch.core.Orchestrator;
import dev.orch.core.engine.AutoscaleOperations;
import dev.orch.core.lb.Endpoint;
import dev.orch.core.lb.LoadBalancer;
import dev.orch.inmemory.InMemoryRuntime;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
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
 * The latency a cold start from zero adds to the first call, in memory, in real time with the orchestrator's
 * worker threads: {@code firstCallFromZero} is a {@code pickAsync} on an autoscaled service at zero replicas,
 * which wakes it and waits until a replica is ready; {@code callWhenWarm} is the same pick with a replica ready,
 * the baseline of the same run. The difference is what scaling to zero costs the first caller (on a real engine,
 * add the container's own start). Between invocations the service is put back to zero (autoscaling paused,
 * scaled to 0, its endpoint gone, resumed), outside the measurement.
 *
 * <pre>java -jar jmh/target/benchmarks.jar ColdStartBenchmark</pre>
 */
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 20)
@Measurement(iterations = 50)
@Fork(1)
@State(Scope.Thread)
public class ColdStartBenchmark {
  InMemoryRuntime runtime;
  Orchestrator orch;
  LoadBalancer lb;

  @Setup(Level.Trial)
  public void setUp() {
    runtime = InMemoryRuntime.builder().nodes(3, Resources.of("8", "16Gi")).build();
    orch = Orchestrator.builder().runtime(runtime).terminationGrace(Duration.ofMillis(1))
        .nameDrainDelay(Duration.ZERO).build();
    orch.started().join();
    orch.apply(ServiceSpec.builder("web").replicas(0).container(ContainerSpec.builder("web:1").port("http", 8080)
        .build()).build());
    orch.autoscaling().apply(AutoscalePolicy.builder("web").minReplicas(0).maxReplicas(4)
        .averageValue(AutoscaleOperations.REQUESTS_PER_SECOND, 100).syncPeriod(Duration.ofHours(1)).build());
    lb = orch.loadBalancer("web").build();
  }

  /** Back to zero replicas, with no endpoint left, before each cold call. */
  @Setup(Level.Invocation)
  public void toZero() {
    orch.autoscaling().pause("web");
    orch.scale("web", 0);
    while (!lb.members().ready().isEmpty()) {
      LockSupport.parkNanos(100_000);
    }
    orch.autoscaling().resume("web");
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    lb.close();
    orch.close();
    runtime.close();
  }

  @Benchmark
  public Endpoint firstCallFromZero() {
    return lb.pickAsync(Duration.ofSeconds(10)).join();
  }

  /** The same pick with a replica ready (set up by waking the service outside the measurement). */
  @State(Scope.Thread)
  public static class Warm {
    InMemoryRuntime runtime;
    Orchestrator orch;
    LoadBalancer lb;

    @Setup(Level.Trial)
    public void setUp() {
      runtime = InMemoryRuntime.builder().nodes(3, Resources.of("8", "16Gi")).build();
      orch = Orchestrator.builder().runtime(runtime).build();
      orch.started().join();
      orch.apply(ServiceSpec.builder("web").replicas(1).container(ContainerSpec.builder("web:1")
          .port("http", 8080).build()).build());
      lb = orch.loadBalancer("web").build();
      lb.pickAsync(Duration.ofSeconds(10)).join();
    }

    @TearDown(Level.Trial)
    public void tearDown() {
      lb.close();
      orch.close();
      runtime.close();
    }
  }

  @Benchmark
  public Endpoint callWhenWarm(Warm warm) {
    return warm.lb.pickAsync(Duration.ofSeconds(10)).join();
  }
}
