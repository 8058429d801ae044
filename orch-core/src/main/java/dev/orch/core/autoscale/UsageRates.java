package dev.orch.core.autoscale;

import dev.orch.api.runtime.ContainerInfo;
import dev.orch.api.runtime.ContainerRuntime;
import dev.orch.api.runtime.ContainerUsage;
import dev.orch.api.spec.Resources;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;

/**
 * CPU and memory of a service's replicas as metric readings ({@value #CPU} in cores, {@value #MEMORY} in bytes),
 * from the runtime's usage stats ({@link ContainerRuntime#usage}), each sample with the replica's request so that a
 * utilization target works: CPU is the CPU time a replica used between this reading and the one before, over the
 * time between, so a replica's first reading gives no CPU sample (it counts as missing); memory is what it holds
 * now. A replica the runtime cannot read is missing; when none can be read the reading fails with the reason.
 * Keeps the last reading of each container. Thread-safe.
 */
public final class UsageRates {
  /** The name of the CPU metric: cores in use. */
  public static final String CPU = "cpu";
  /** The name of the memory metric: bytes in use. */
  public static final String MEMORY = "memory";

  private final ContainerRuntime runtime;
  private final ConcurrentHashMap<String, ContainerUsage> last = new ConcurrentHashMap<>();

  /** Rates from {@code runtime}'s usage stats. */
  public UsageRates(ContainerRuntime runtime) {
    this.runtime = Objects.requireNonNull(runtime, "runtime");
  }

  /**
   * Reads the usage of {@code replicas}, each requesting {@code request}; completes with the {@value #CPU} and
   * {@value #MEMORY} readings, by replica name. Never fails: what cannot be read is missing or a failed reading.
   */
  public CompletionStage<Map<String, MetricReading>> read(List<ContainerInfo> replicas, Resources request) {
    Objects.requireNonNull(replicas, "replicas");
    Objects.requireNonNull(request, "request");
    List<CompletableFuture<Object>> reads = new ArrayList<>(replicas.size());
    for (ContainerInfo c : replicas) {
      reads.add(runtime.usage(c.id()).toCompletableFuture().<Object>thenApply(u -> u)
          .exceptionally(e -> e instanceof java.util.concurrent.CompletionException ce && ce.getCause() != null
              ? ce.getCause() : e));
    }
    return CompletableFuture.allOf(reads.toArray(CompletableFuture[]::new)).thenApply(done -> {
      Map<String, Sample> cpu = new HashMap<>();
      Map<String, Sample> memory = new HashMap<>();
      String failure = null;
      double cores = request.cpuMillis() / 1000.0;
      for (int i = 0; i < replicas.size(); i++) {
        ContainerInfo c = replicas.get(i);
        Object r = reads.get(i).join();
        if (!(r instanceof ContainerUsage u)) {
          failure = c.name() + ": " + r;
          continue;
        }
        memory.put(c.name(), new Sample(u.memoryBytes(), request.memoryBytes(), u.at()));
        ContainerUsage before = last.put(c.id(), u);
        Duration wall = before == null ? Duration.ZERO : Duration.between(before.at(), u.at());
        boolean later = !wall.isNegative() && !wall.isZero();
        if (before != null && later && u.cpuTime().compareTo(before.cpuTime()) >= 0) {
          double used = (double) u.cpuTime().minus(before.cpuTime()).toNanos() / wall.toNanos();
          cpu.put(c.name(), new Sample(used, cores, u.at()));
        }
      }
      Map<String, MetricReading> out = new HashMap<>();
      boolean none = memory.isEmpty() && !replicas.isEmpty();
      out.put(CPU, none ? MetricReading.failed("usage could not be read: " + failure) : MetricReading.of(cpu));
      out.put(MEMORY, none ? MetricReading.failed("usage could not be read: " + failure) : MetricReading.of(memory));
      return out;
    });
  }

  /** Forgets the readings of containers that are not in {@code alive} (removed ones). */
  public void retainOnly(Set<String> alive) {
    last.keySet().retainAll(alive);
  }
}
