package dev.orch.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.orch.api.runtime.LabelSelector;
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
import org.junit.jupiter.api.Test;

/** The waits a test would otherwise hand-write: a rollout's end, a status predicate, a deletion. Real time. */
class OrchestratorWaitsTest {
  private static ServiceSpec web(String image) {
    return ServiceSpec.builder("web").replicas(2)
        .container(ContainerSpec.builder(image).port("http", 8080).requests("100m", "64Mi").build())
        .readiness(Probe.http("/ready", "http").withPeriod(Duration.ofMillis(100)))
        .rollout(new RolloutStrategy.RollingUpdate(IntOrPercent.of(1), IntOrPercent.of(0), Duration.ZERO,
            Duration.ofSeconds(2)))
        .build();
  }

  @Test
  void awaitRolloutReturnsHowTheRolloutEndedAndAwaitDeletedWaitsUntilEverythingIsGone() throws Exception {
    try (InMemoryRuntime runtime = InMemoryRuntime.builder().nodes(2, Resources.of("4", "8Gi"))
             .behavior("never-ready", Behaviors.notReadyFor(Duration.ZERO, Duration.ofDays(1))).build();
         Orchestrator orch = Orchestrator.builder().runtime(runtime).terminationGrace(Duration.ofMillis(100))
             .build()) {
      orch.apply(web("web:1"));
      RolloutStatus first = orch.awaitRollout("web", Duration.ofSeconds(30)).orElseThrow();
      assertEquals(RolloutStatus.Phase.COMPLETE, first.phase(), first::toString);
      assertTrue(orch.status("web").orElseThrow().isReady());

      orch.apply(web("never-ready"));
      RolloutStatus bad = orch.awaitRollout("web", Duration.ofSeconds(30)).orElseThrow();
      assertEquals(RolloutStatus.Phase.ROLLED_BACK, bad.phase(), bad::toString);

      ServiceStatus two = orch.awaitStatus("web", s -> s.ready() == 2 && s.rollout().phase()
          == RolloutStatus.Phase.ROLLED_BACK, Duration.ofSeconds(30)).orElseThrow();
      assertEquals(2, two.ready());
      assertTrue(orch.awaitStatus("web", s -> s.ready() == 99, Duration.ofMillis(300)).isEmpty(),
          "a condition that never holds times out empty");

      assertTrue(orch.delete("web"));
      assertTrue(orch.awaitDeleted("web", Duration.ofSeconds(30)));
      assertTrue(orch.status("web").isEmpty());
      assertTrue(runtime.list(LabelSelector.ALL).toCompletableFuture().join().isEmpty());
      assertTrue(orch.awaitDeleted("never-applied", Duration.ofMillis(1)));
      assertThrows(UnknownServiceException.class, () -> orch.awaitRollout("web", Duration.ofSeconds(1)));
    }
  }

  @Test
  void onVirtualTimeTheWaitsRefuseAndSayWhatToDoInstead() {
    VirtualTimeSource time = new VirtualTimeSource();
    try (InMemoryRuntime runtime = InMemoryRuntime.builder().timeSource(time).nodes(1, Resources.of("4", "8Gi"))
             .build();
         Orchestrator orch = Orchestrator.builder().runtime(runtime).timeSource(time).build()) {
      orch.apply(web("web:1"));
      IllegalStateException e = assertThrows(IllegalStateException.class,
          () -> orch.awaitRollout("web", Duration.ofSeconds(1)));
      assertTrue(e.getMessage().startsWith("awaitStatus web: blocks on real time")
          && e.getMessage().contains("VirtualClocks.advanceUntil"), e.getMessage());
      assertFalse(assertThrows(IllegalStateException.class, () -> orch.awaitDeleted("web", Duration.ofSeconds(1)))
          .getMessage().isEmpty());
    }
  }
}
