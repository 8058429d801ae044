package dev.orch.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.orch.api.spec.ContainerSpec;
import dev.orch.api.spec.Probe;
import dev.orch.api.spec.Resources;
import dev.orch.api.spec.RolloutStrategy;
import dev.orch.api.spec.ServiceSpec;
import dev.orch.api.time.VirtualTimeSource;
import dev.orch.core.util.Revisions;
import dev.orch.inmemory.Behaviors;
import dev.orch.inmemory.InMemoryRuntime;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.lifecycle.AddLifecycleHook;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;

/**
 * Blue/green and canary rollouts, for generated replica counts, strategies and fault sequences: with no
 * fault the stable revision keeps every replica available until promotion and the rollout takes exactly
 * the planned steps; under faults it always ends complete on the new revision, or rolled back with the old
 * one fully available.
 */
class RolloutStrategyProperties {

  @Provide
  Arbitrary<RolloutStrategy> strategies() {
    Arbitrary<RolloutStrategy> blueGreen = Arbitraries.integers().between(0, 20).map(delay ->
        RolloutStrategy.blueGreen().withScaleDownDelay(Duration.ofSeconds(delay))
            .withProgressDeadline(Duration.ofSeconds(30)));
    Arbitrary<RolloutStrategy> canary = Combinators.combine(
        Arbitraries.integers().between(1, 999).list().ofMinSize(0).ofMaxSize(4),
        Arbitraries.integers().between(0, 10).list().ofMaxSize(4)).as((tenths, pauses) -> {
          RolloutStrategy.Canary.Builder b = RolloutStrategy.canary().progressDeadline(Duration.ofSeconds(30));
          List<Integer> sorted = tenths.stream().sorted().toList();
          for (int i = 0; i < sorted.size(); i++) {
            b.setWeight(sorted.get(i) / 10.0);
            if (i < pauses.size() && pauses.get(i) > 0) {
              b.pause(Duration.ofSeconds(pauses.get(i)));
            }
          }
          return b.build();
        });
    return Arbitraries.oneOf(blueGreen, canary);
  }

  private static ServiceSpec spec(int replicas, RolloutStrategy strategy, String image) {
    return ServiceSpec.builder("web").replicas(replicas)
        .container(ContainerSpec.builder(image).port("http", 8080).requests("250m", "256Mi").build())
        .readiness(Probe.http("/ready", "http").withPeriod(Duration.ofSeconds(1)))
        .rollout(strategy)
        .build();
  }

  @Property(tries = 40)
  void withoutFaultsTheStableSetStaysFullAndThePlannedStepsAreTaken(
      @ForAll @IntRange(min = 1, max = 6) int replicas, @ForAll("strategies") RolloutStrategy strategy) {
    VirtualTimeSource time = new VirtualTimeSource();
    try (InMemoryRuntime runtime = InMemoryRuntime.builder().timeSource(time).nodes(3, Resources.of("4", "8Gi"))
             .build();
         Orchestrator orch = Orchestrator.builder().runtime(runtime).timeSource(time).build()) {
      ServiceSpec v1 = spec(replicas, strategy, "web:1");
      String r1 = Revisions.revision(v1);
      orch.apply(v1);
      time.advance(Duration.ofSeconds(5));
      ServiceSpec v2 = spec(replicas, strategy, "web:2");
      RolloutPlan plan = orch.plan(v2);
      EndpointFloor floor = EndpointFloor.watch(orch, "web", replicas);
      orch.apply(v2);
      boolean promoted = false;
      for (int step = 0; step < 200 && !promoted; step++) {
        time.advance(Duration.ofMillis(250));
        RolloutStatus s = orch.status("web").orElseThrow().rollout();
        promoted = s.steps().stream().anyMatch(st -> st.action().equals("promote"));
        int stableAvailable = s.revisions().getOrDefault(r1, new RolloutStatus.Counts(0, 0, 0, 0)).available();
        assertTrue(promoted || stableAvailable == replicas, () -> "the stable set lost a replica: " + s);
      }
      for (int step = 0; step < 60; step++) {
        time.advance(Duration.ofSeconds(1));
      }
      RolloutStatus done = orch.status("web").orElseThrow().rollout();
      assertEquals(RolloutStatus.Phase.COMPLETE, done.phase(), done::toString);
      assertEquals(plan.steps(), done.steps(), () -> plan + "\n" + done);
      assertEquals(Set.of("web:2"), RolloutFaults.images(runtime));
      assertEquals(replicas, floor.lowest(), floor::describe);
    }
  }

  @Property(tries = 250)
  @AddLifecycleHook(FaultScheduleTries.class)
  void underFaultsItEndsCompleteOrRolledBackWithTheOldRevisionFullyAvailable(
      @ForAll @IntRange(min = 1, max = 5) int replicas, @ForAll("strategies") RolloutStrategy strategy,
      @ForAll List<@IntRange(min = 0, max = 4) Integer> faults, @ForAll @IntRange(min = 1, max = 3) int node) {
    VirtualTimeSource time = new VirtualTimeSource();
    List<RolloutFaults.Fault> plan = RolloutFaults.of(faults);
    boolean bad = plan.contains(RolloutFaults.Fault.NEVER_READY);
    try (InMemoryRuntime runtime = InMemoryRuntime.builder().timeSource(time).nodes(3, Resources.of("4", "8Gi"))
             .behavior("never-ready", Behaviors.notReadyFor(Duration.ZERO, Duration.ofDays(1))).build();
         Orchestrator orch = Orchestrator.builder().runtime(runtime).timeSource(time)
             .nodeLostGrace(Duration.ofSeconds(10)).build()) {
      orch.apply(spec(replicas, strategy, "web:1"));
      time.advance(Duration.ofSeconds(5));
      orch.apply(spec(replicas, strategy, bad ? "never-ready" : "web:2"));
      RolloutFaults.inject(plan, runtime, time, node);
      for (int s = 0; s < 180; s++) {
        time.advance(Duration.ofSeconds(1));
      }
      ServiceStatus s = orch.status("web").orElseThrow();
      assertTrue(s.isReady(), s::toString);
      Set<String> images = RolloutFaults.images(runtime);
      boolean rolledBack = s.rollout().phase() == RolloutStatus.Phase.ROLLED_BACK;
      if (bad) {
        assertEquals(Set.of("web:1"), images, () -> "a revision that never gets ready is rolled back: " + s);
        assertTrue(rolledBack, s::toString);
      } else {
        assertEquals(rolledBack ? Set.of("web:1") : Set.of("web:2"), images, s::toString);
        assertTrue(rolledBack || s.rollout().phase() == RolloutStatus.Phase.COMPLETE, s::toString);
      }
    }
  }

}
