package dev.orch.core.autoscale;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.orch.api.runtime.ContainerCreateRequest;
import dev.orch.api.runtime.ContainerInfo;
import dev.orch.api.spec.AutoscalePolicy;
import dev.orch.api.spec.ContainerSpec;
import dev.orch.api.spec.Resources;
import dev.orch.api.time.VirtualTimeSource;
import dev.orch.inmemory.Behaviors;
import dev.orch.inmemory.InMemoryRuntime;
import dev.orch.inmemory.RequestModel;
import dev.orch.inmemory.SimRequest;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * CPU and memory from the runtime's usage as readings: the CPU of the requests the in-memory request model served
 * between two readings over the time between, in cores, with the request for a utilization target; a replica's
 * first reading has no CPU sample; an autoscaler on the CPU utilization scales up under the load.
 */
class UsageRatesTest {
  private final VirtualTimeSource time = new VirtualTimeSource();
  private final InMemoryRuntime runtime = InMemoryRuntime.builder().timeSource(time).node("n0", Resources.of("8",
      "16Gi")).behavior("web:1", Behaviors.serving(Behaviors.runForever(), RequestModel.builder()
      .cpuPerRequest(Duration.ofMillis(100)).build())).build();

  @AfterEach
  void close() {
    runtime.close();
  }

  private ContainerInfo run(String name) {
    ContainerInfo c = runtime.create(new ContainerCreateRequest(name, "n0", ContainerSpec.builder("web:1")
        .port("http", 8080).build(), Map.of())).toCompletableFuture().join();
    runtime.start(c.id()).toCompletableFuture().join();
    return c;
  }

  private Map<String, MetricReading> read(UsageRates rates, List<ContainerInfo> replicas) {
    var f = rates.read(replicas, Resources.of("500m", "64Mi")).toCompletableFuture();
    time.advance(Duration.ofMillis(1));
    return f.join();
  }

  @Test
  void cpuIsTheRequestsCostOverTheTimeBetweenTwoReadings() {
    ContainerInfo a = run("web-a");
    UsageRates rates = new UsageRates(runtime);
    Map<String, MetricReading> first = read(rates, List.of(a));
    assertTrue(first.get(UsageRates.CPU).samples().isEmpty(), "no rate from one reading");
    assertNotNull(first.get(UsageRates.MEMORY).samples().get("web-a"));
    for (int i = 0; i < 20; i++) { // 20 requests of 100 ms CPU over 2 s: one core
      runtime.get("web-a", 8080, "/");
      time.advance(Duration.ofMillis(100));
    }
    Map<String, MetricReading> second = read(rates, List.of(a));
    Sample cpu = second.get(UsageRates.CPU).samples().get("web-a");
    assertEquals(1.0, cpu.value(), 0.01, () -> "cores: " + cpu);
    assertEquals(0.5, cpu.request(), 1e-9);

    AutoscalePolicy policy = AutoscalePolicy.builder("web").maxReplicas(10).utilization(UsageRates.CPU, 50).build();
    Decision d = new Autoscaler(policy).decide(1, Map.of("web-a", true), second, time.now());
    assertEquals(4, d.desired(), () -> "200% of the request against 50%: " + d.explain());
  }

  @Test
  void aReplicaThatCannotBeReadIsMissingAndNoneReadableFails() {
    ContainerInfo a = run("web-a");
    ContainerInfo gone = run("web-b");
    runtime.remove(gone.id()).toCompletableFuture().join();
    UsageRates rates = new UsageRates(runtime);
    Map<String, MetricReading> some = read(rates, List.of(a, gone));
    assertTrue(some.get(UsageRates.MEMORY).samples().containsKey("web-a"));
    assertFalse(some.get(UsageRates.MEMORY).samples().containsKey("web-b"));
    Map<String, MetricReading> none = read(rates, List.of(gone));
    assertNotNull(none.get(UsageRates.CPU).failure(), "no replica could be read");
  }
}
