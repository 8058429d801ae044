package dev.orch.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.orch.api.runtime.ContainerInfo;
import dev.orch.api.runtime.LabelSelector;
import dev.orch.api.runtime.OrchLabels;
import dev.orch.api.spec.ContainerSpec;
import dev.orch.api.spec.IntOrPercent;
import dev.orch.api.spec.Probe;
import dev.orch.api.spec.Resources;
import dev.orch.api.spec.RolloutStrategy;
import dev.orch.api.spec.ServiceSpec;
import dev.orch.api.time.VirtualTimeSource;
import dev.orch.inmemory.Behaviors;
import dev.orch.inmemory.InMemoryRuntime;
import java.time.Duration;
import java.util.Set;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Assume;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;

/**
 * An orchestrator that adopts a service's replicas at start-up and is at once told to roll it to a new
 * revision keeps the rollout's floor, counted from what really serves (the runtime's containers that run
 * and whose process is ready), at every step: the adopted replicas served before the restart and count as
 * available until a probe says otherwise.
 */
class AdoptionProperties {
  /** How long a replica of the new revision takes to become ready. */
  private static final Duration NEW_STARTUP = Duration.ofSeconds(3);

  @Provide
  Arbitrary<IntOrPercent> bounds() {
    return Arbitraries.oneOf(Arbitraries.integers().between(0, 2).map(IntOrPercent::of),
        Arbitraries.of(0, 25, 50).map(IntOrPercent::percent));
  }

  private static ServiceSpec spec(int replicas, IntOrPercent surge, IntOrPercent unavailable, String image) {
    return ServiceSpec.builder("web").replicas(replicas)
        .container(ContainerSpec.builder(image).port("http", 8080).requests("250m", "256Mi").build())
        .readiness(Probe.http("/ready", "http").withPeriod(Duration.ofSeconds(1)))
        .rollout(new RolloutStrategy.RollingUpdate(surge, unavailable, Duration.ZERO, Duration.ofSeconds(60)))
        .build();
  }

  @Property(tries = 60)
  void aRolloutRightAfterAdoptionKeepsItsFloor(
      @ForAll @IntRange(min = 1, max = 6) int replicas, @ForAll("bounds") IntOrPercent surge,
      @ForAll("bounds") IntOrPercent unavailable) {
    Assume.that(!(surge.value() == 0 && unavailable.value() == 0));
    int s = surge.resolve(replicas, true);
    int u = unavailable.resolve(replicas, false);
    int floor = replicas - (s == 0 && u == 0 ? 1 : u); // (0 and 0 resolves to maxUnavailable 1, as Kubernetes)
    VirtualTimeSource time = new VirtualTimeSource();
    try (InMemoryRuntime runtime = InMemoryRuntime.builder().timeSource(time).nodes(3, Resources.of("4", "8Gi"))
        .behavior("web:2", Behaviors.slowStart(NEW_STARTUP)).build()) {
      try (Orchestrator first = Orchestrator.builder().runtime(runtime).timeSource(time).build()) {
        first.apply(spec(replicas, surge, unavailable, "web:1"));
        time.advance(Duration.ofSeconds(5));
        assertTrue(first.status("web").orElseThrow().isReady());
      }
      try (Orchestrator second = Orchestrator.builder().runtime(runtime).timeSource(time).build()) {
        for (int i = 0; i < 1000 && !second.started().isDone(); i++) {
          time.advance(Duration.ofMillis(1));
        }
        assertTrue(second.started().isDone(), "the second orchestrator did not start");
        second.apply(spec(replicas, surge, unavailable, "web:1"));
        second.apply(spec(replicas, surge, unavailable, "web:2"));
        int lowest = serving(runtime);
        for (int step = 0; step < 120; step++) {
          time.advance(Duration.ofMillis(250));
          lowest = Math.min(lowest, serving(runtime));
          int at = step;
          int now = serving(runtime);
          assertTrue(now >= floor, () -> "at step " + at + " only " + now + " replicas serve, below the floor "
              + floor + ": " + second.status("web").orElseThrow());
        }
        assertTrue(second.status("web").orElseThrow().isReady(), () -> second.status("web").orElseThrow().toString());
        assertEquals(Set.of("web:2"), RolloutFaults.images(runtime));
        assertTrue(lowest >= floor);
      }
    }
  }

  /** Owned containers that run and would answer their readiness probe (web:1 at once, web:2 after startup). */
  private static int serving(InMemoryRuntime runtime) {
    int n = 0;
    for (ContainerInfo c : runtime.list(LabelSelector.of(OrchLabels.OWNER, "orch")).toCompletableFuture().join()) {
      if (!c.isRunning()) {
        continue;
      }
      boolean ready = c.image().equals("web:1") || runtime.process(c.id())
          .map(p -> p.uptime().compareTo(NEW_STARTUP) >= 0).orElse(false);
      n += ready ? 1 : 0;
    }
    return n;
  }
}
