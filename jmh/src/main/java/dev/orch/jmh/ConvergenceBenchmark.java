package dev.orch.jmh;

import dev.orch.api.spec.ContainerSpec;
import dev.orch.api.spec.Resources;
import dev.orch.api.spec.ServiceSpec;
import dev.orch.core.Orchestrator;
import dev.orch.core.ServiceStatus;
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
 * Time for the Orchestrator to converge on the in-memory runtime, in real time with its worker threads:
 * {@code fromEmpty} applies 10 services of 1,000 replicas to 1,000 empty nodes and waits until all 10,000
 * run; {@code replaceFailedNodes} fails 100 of those nodes and waits until their replicas run elsewhere.
 *
 * <pre>java -jar jmh/target/benchmarks.jar ConvergenceBenchmark</pre>
 */
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 2)
@Measurement(iterations = 5)
@Fork(1)
@State(Scope.Thread)
public class ConvergenceBenchmark {
  static final int NODES = 1000;
  static final int SERVICES = 10;
  static final int REPLICAS = 1000;

  InMemoryRuntime runtime;
  Orchestrator orch;

  @Setup(Level.Invocation)
  public void setUp() {
    runtime = InMemoryRuntime.builder().nodes(NODES, Resources.of("16", "64Gi")).build();
    orch = Orchestrator.builder().runtime(runtime).nodeLostGrace(Duration.ofMillis(1))
        .terminationGrace(Duration.ofMillis(1)).build();
    orch.started().join();
  }

  @TearDown(Level.Invocation)
  public void tearDown() {
    orch.close();
    runtime.close();
  }

  @Benchmark
  public int fromEmpty() {
    applyAll();
    return awaitAll();
  }

  /** Includes converging from empty first; subtract {@code fromEmpty} for the replacement alone. */
  @Benchmark
  public int fromEmptyThenReplaceFailedNodes() {
    applyAll();
    awaitAll();
    for (int i = 1; i <= 100; i++) {
      runtime.failNode("node-" + i);
    }
    while (orch.nodes().stream().filter(n -> !n.ready()).count() < 100) {
      LockSupport.parkNanos(100_000);
    }
    return awaitAll();
  }

  private void applyAll() {
    for (int s = 0; s < SERVICES; s++) {
      orch.apply(ServiceSpec.builder("svc-" + s).replicas(REPLICAS)
          .container(ContainerSpec.builder("app:1").requests("100m", "128Mi").build()).build());
    }
  }

  private int awaitAll() {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
    int ready;
    do {
      ready = 0;
      for (int s = 0; s < SERVICES; s++) {
        ServiceStatus st = orch.status("svc-" + s).orElseThrow();
        ready += st.isReady() ? 1 : 0;
      }
      if (ready == SERVICES) {
        return ready;
      }
      LockSupport.parkNanos(200_000);
    } while (System.nanoTime() < deadline);
    throw new IllegalStateException("did not converge in 120 s: " + ready + "/" + SERVICES + " services ready");
  }
}
