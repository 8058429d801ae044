package dev.orch.jmh.etcd;

import dev.orch.api.spec.ContainerSpec;
import dev.orch.api.spec.Resources;
import dev.orch.api.spec.RolloutStrategy;
import dev.orch.api.spec.ServiceSpec;
import dev.orch.api.state.StateStore;
import dev.orch.api.time.VirtualTimeSource;
import dev.orch.core.Orchestrator;
import dev.orch.core.RolloutStatus;
import dev.orch.core.state.InMemoryStateStore;
import dev.orch.etcd.EtcdStateStore;
import dev.orch.inmemory.InMemoryRuntime;
import java.time.Duration;
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
import org.openjdk.jmh.annotations.Warmup;

/**
 * What keeping state on etcd costs, against the in-memory store in the same run, on virtual time (so that only
 * Orch's own work and the store's answers are measured): {@code apply} validates a new revision of a 4-replica
 * service and keeps it (spec and revision history: a compare-and-set transaction on etcd) before returning;
 * {@code canaryRollout} applies a new revision and runs the passes of its canary (setWeight 25, setWeight 50,
 * promote) until it completes, each pass keeping the rollout's position before acting on it. The etcd cluster is
 * the one {@code scripts/test-etcd.sh start} runs on 127.0.0.1 (three members, fsync on).
 *
 * <pre>eval "$(scripts/test-etcd.sh start)"; java -jar jmh-etcd/target/benchmarks-etcd.jar</pre>
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
@State(Scope.Thread)
public class EtcdStoreBenchmark {
  @Param({"memory", "etcd"})
  public String store;

  private StateStore stateStore;
  private VirtualTimeSource time;
  private InMemoryRuntime runtime;
  private Orchestrator orch;
  private int image;

  @Setup(Level.Trial)
  public void setUp() {
    if (store.equals("etcd")) {
      String endpoints = System.getenv().getOrDefault("ORCH_ETCD_ENDPOINTS", "");
      if (endpoints.isBlank()) {
        throw new IllegalStateException("store=etcd: ORCH_ETCD_ENDPOINTS is not set: eval \"$(scripts/test-etcd.sh"
            + " start)\" first");
      }
      stateStore = EtcdStateStore.builder().endpoints(endpoints.split(","))
          .owner("bench-" + Long.toHexString(System.nanoTime())).build();
    } else {
      stateStore = new InMemoryStateStore();
    }
    time = new VirtualTimeSource();
    runtime = InMemoryRuntime.builder().timeSource(time).nodes(3, Resources.of("8", "16Gi")).build();
    orch = Orchestrator.builder().runtime(runtime).timeSource(time).stateStore(stateStore)
        .terminationGrace(Duration.ofMillis(100)).build();
    time.advance(Duration.ofSeconds(1));
    orch.apply(revision(image++));
    time.advance(Duration.ofSeconds(5));
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    orch.close();
    runtime.close();
    stateStore.close();
  }

  /** Revision {@code n} of a 4-replica service with a two-step canary. */
  private static ServiceSpec revision(int n) {
    return ServiceSpec.builder("web").replicas(4).container(ContainerSpec.builder("web:" + n)
        .requests("100m", "64Mi").build()).rollout(RolloutStrategy.canary().setWeight(25).setWeight(50).build())
        .build();
  }

  /** Validates and keeps a new revision; the passes it causes run in {@link #canaryRollout}, not here. */
  @Benchmark
  public void apply() {
    orch.apply(revision(image++));
  }

  @Benchmark
  @OutputTimeUnit(TimeUnit.MILLISECONDS)
  public RolloutStatus canaryRollout() {
    orch.apply(revision(image++));
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
