package dev.orch.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
import java.util.List;
import java.util.Set;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Assume;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.lifecycle.AddLifecycleHook;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;

/**
 * A rolling update never takes availability below {@code replicas - maxUnavailable} nor the replica count
 * above {@code replicas + maxSurge} (with no faults, at every step); under faults it always ends complete,
 * or rolled back with the old revision fully available.
 */
class RolloutProperties {

  @Provide
  Arbitrary<IntOrPercent> bounds() {
    return Arbitraries.oneOf(Arbitraries.integers().between(0, 3).map(IntOrPercent::of),
        Arbitraries.of(0, 10, 25, 50, 100).map(IntOrPercent::percent));
  }

  private static ServiceSpec spec(int replicas, IntOrPercent surge, IntOrPercent unavailable, String image) {
    return ServiceSpec.builder("web").replicas(replicas)
        .container(ContainerSpec.builder(image).port("http", 8080).requests("500m", "512Mi").build())
        .readiness(Probe.http("/ready", "http").withPeriod(Duration.ofSeconds(1)))
        .rollout(new RolloutStrategy.RollingUpdate(surge, unavailable, Duration.ZERO, Duration.ofSeconds(30)))
        .build();
  }

  private static int[] resolved(int replicas, IntOrPercent surge, IntOrPercent unavailable) {
    int s = surge.resolve(replicas, true);
    int u = unavailable.resolve(replicas, false);
    return new int[] {s, s == 0 && u == 0 ? 1 : u};
  }

  @Property(tries = 40)
  void withoutFaultsTheUpdateStaysWithinItsFloorAndCeilingAtEveryStep(
      @ForAll @IntRange(min = 1, max = 8) int replicas, @ForAll("bounds") IntOrPercent surge,
      @ForAll("bounds") IntOrPercent unavailable) {
    Assume.that(!(surge.value() == 0 && unavailable.value() == 0));
    int[] b = resolved(replicas, surge, unavailable);
    VirtualTimeSource time = new VirtualTimeSource();
    try (InMemoryRuntime runtime = InMemoryRuntime.builder().timeSource(time).nodes(3, Resources.of("4", "8Gi"))
             .build();
         Orchestrator orch = Orchestrator.builder().runtime(runtime).timeSource(time).build()) {
      orch.apply(spec(replicas, surge, unavailable, "web:1"));
      time.advance(Duration.ofSeconds(5));
      assertTrue(orch.status("web").orElseThrow().isReady());
      EndpointFloor floor = EndpointFloor.watch(orch, "web", replicas);
      orch.apply(spec(replicas, surge, unavailable, "web:2"));
      for (int step = 0; step < 240; step++) {
        time.advance(Duration.ofMillis(250));
        ServiceStatus s = orch.status("web").orElseThrow();
        assertTrue(s.ready() >= replicas - b[1], () -> "below the floor " + (replicas - b[1]) + ": " + s);
        assertTrue(s.replicas().size() <= replicas + b[0], () -> "above the ceiling " + (replicas + b[0]) + ": " + s);
      }
      assertTrue(orch.status("web").orElseThrow().isReady());
      assertEquals(Set.of("web:2"), RolloutFaults.images(runtime));
      assertTrue(floor.lowest() >= replicas - b[1], floor::describe);
    }
  }

  @Property(tries = 40)
  void theRealUpdateTakesExactlyThePlannedSteps(
      @ForAll @IntRange(min = 1, max = 8) int replicas, @ForAll("bounds") IntOrPercent surge,
      @ForAll("bounds") IntOrPercent unavailable) {
    Assume.that(!(surge.value() == 0 && unavailable.value() == 0));
    VirtualTimeSource time = new VirtualTimeSource();
    try (InMemoryRuntime runtime = InMemoryRuntime.builder().timeSource(time).nodes(3, Resources.of("4", "8Gi"))
             .build();
         Orchestrator orch = Orchestrator.builder().runtime(runtime).timeSource(time).build()) {
      orch.apply(spec(replicas, surge, unavailable, "web:1"));
      time.advance(Duration.ofSeconds(5));
      ServiceSpec v2 = spec(replicas, surge, unavailable, "web:2");
      RolloutPlan plan = orch.plan(v2);
      assertEquals(Set.of("web:1"), RolloutFaults.images(runtime), "planning touches nothing");
      orch.apply(v2);
      for (int step = 0; step < 120; step++) {
        time.advance(Duration.ofMillis(500));
      }
      RolloutStatus done = orch.status("web").orElseThrow().rollout();
      assertEquals(RolloutStatus.Phase.COMPLETE, done.phase(), done::toString);
      assertEquals(plan.steps(), done.steps(), () -> plan + "\n" + done);
      int[] b = resolved(replicas, surge, unavailable);
      assertTrue(plan.steps().stream().allMatch(st -> st.maxTotal() == replicas + b[0]
          && st.minAvailable() == replicas - b[1]), plan::toString);
    }
  }

  @Property(tries = 270) // about 5% are rejected (no surge and no unavailable): 250 or more schedules run
  @AddLifecycleHook(FaultScheduleTries.class)
  void underFaultsItEndsCompleteOrRolledBackWithTheOldRevisionFullyAvailable(
      @ForAll @IntRange(min = 1, max = 6) int replicas, @ForAll("bounds") IntOrPercent surge,
      @ForAll("bounds") IntOrPercent unavailable, @ForAll List<@IntRange(min = 0, max = 4) Integer> faults,
      @ForAll @IntRange(min = 1, max = 3) int node) {
    Assume.that(!(surge.value() == 0 && unavailable.value() == 0));
    VirtualTimeSource time = new VirtualTimeSource();
    List<RolloutFaults.Fault> plan = RolloutFaults.of(faults);
    boolean bad = plan.contains(RolloutFaults.Fault.NEVER_READY);
    try (InMemoryRuntime runtime = InMemoryRuntime.builder().timeSource(time).nodes(3, Resources.of("4", "8Gi"))
             .behavior("never-ready", Behaviors.notReadyFor(Duration.ZERO, Duration.ofDays(1))).build();
         Orchestrator orch = Orchestrator.builder().runtime(runtime).timeSource(time)
             .nodeLostGrace(Duration.ofSeconds(10)).build()) {
      orch.apply(spec(replicas, surge, unavailable, "web:1"));
      time.advance(Duration.ofSeconds(5));
      orch.apply(spec(replicas, surge, unavailable, bad ? "never-ready" : "web:2"));
      RolloutFaults.inject(plan, runtime, time, node);
      for (int s = 0; s < 180; s++) {
        time.advance(Duration.ofSeconds(1));
      }
      ServiceStatus s = orch.status("web").orElseThrow();
      assertTrue(s.isReady(), s::toString);
      Set<String> images = RolloutFaults.images(runtime);
      boolean rolledBack = orch.events().recent().stream().anyMatch(e -> e.reason().equals("RolledBack"));
      if (bad) {
        assertEquals(Set.of("web:1"), images, () -> "a revision that never gets ready is rolled back: " + s);
      } else {
        // Faults may stall the update past its progress deadline: then it is rolled back, never half-done.
        assertEquals(rolledBack ? Set.of("web:1") : Set.of("web:2"), images, s::toString);
      }
    }
  }

}
