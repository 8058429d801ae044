package dev.orch.jmh;

import dev.orch.api.spec.ContainerSpec;
import dev.orch.api.spec.Resources;
import dev.orch.api.spec.RolloutStrategy;
import dev.orch.api.spec.ServiceSpec;
import dev.orch.api.state.StateStore;
import dev.orch.api.time.VirtualTimeSource;
import dev.orch.core.Orchestrator;
import dev.orch.core.RolloutStatus;
import dev.orch.core.state.FileStateStore;
import dev.orch.core.state.InMemoryStateStore;
import dev.orch.inmemory.InMemoryRuntime;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
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
 * What keeping state costs, the file store against the in-memory default in the same run, on virtual time
 * (so that only Orch's own work is measured): {@code apply} validates a new revision of a 4-replica service
 * and keeps it (the spec and its revision history) before returning; {@code canaryRollout} applies a new
 * revision and runs the reconcile passes of its canary (setWeight 25, setWeight 50, promote) until it
 * completes, each pass keeping the rollout's position before acting on it.
 *
 * <pre>java -jar jmh/target/benchmarks.jar StateStoreBenchmark</pre>
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
@State(Scope.Thread)
public class StateStoreBenchmark {
  private static final RolloutStrategy CANARY = RolloutStrategy.canary().setWeight(25).setWeight(50).build();

  @Param({"memory", "file"})
  public String store;

  private Path dir;
  private StateStore stateStore;
  private VirtualTimeSource time;
  private InMemoryRuntime runtime;
  private Orchestrator orch;
  private int image;

  @Setup(Level.Trial)
  public void setUp() throws IOException {
    if (store.equals("file")) {
      dir = Files.createTempDirectory("orch-state-bench");
      stateStore = FileStateStore.open(dir);
    } else {
      stateStore = new InMemoryStateStore();
    }
    time = new VirtualTimeSource();
    runtime = InMemoryRuntime.builder().timeSource(time).nodes(3, Resources.of("8", "16Gi")).build();
    orch = Orchestrator.builder().runtime(runtime).timeSource(time).stateStore(stateStore)
        .terminationGrace(Duration.ofMillis(100)).build();
    time.advance(Duration.ofSeconds(1));
    orch.apply(spec(image++));
    time.advance(Duration.ofSeconds(5));
  }

  @TearDown(Level.Trial)
  public void tearDown() throws IOException {
    orch.close();
    runtime.close();
    stateStore.close();
    if (dir != null) {
      try (Stream<Path> files = Files.walk(dir)) {
        for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
          Files.delete(p);
        }
      }
    }
  }

  private static ServiceSpec spec(int image) {
    return ServiceSpec.builder("web").replicas(4)
        .container(ContainerSpec.builder("web:" + image).requests("100m", "64Mi").build()).rollout(CANARY).build();
  }

  /** Validates and keeps a new revision; the passes it causes run in {@link #canaryRollout}, not here. */
  @Benchmark
  public void apply() {
    orch.apply(spec(image++));
  }

  @Benchmark
  @OutputTimeUnit(TimeUnit.MILLISECONDS)
  public RolloutStatus canaryRollout() {
    orch.apply(spec(image++));
    for (int i = 0; i < 600; i++) {
      time.advance(Duration.ofMillis(100));
      RolloutStatus r = orch.status("web").orElseThrow().rollout();
      if (r.phase() == RolloutStatus.Phase.COMPLETE && r.revision().equals(r.stable())) {
        return r;
      }
    }
    throw new IllegalStateException("the canary did not complete: " + orch.status("web"));
  }
}
