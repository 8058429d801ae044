package dev.orch.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.orch.api.spec.ContainerSpec;
import dev.orch.api.spec.ServiceSpec;
import dev.orch.api.time.VirtualTimeSource;
import dev.orch.core.Orchestrator;
import dev.orch.inmemory.InMemoryRuntime;
import java.time.Duration;
import org.junit.jupiter.api.Test;

@OrchTest(nodes = 2)
class OrchExtensionTest {

  @Test
  void handsATestAWorkingClusterOnVirtualTime(OrchCluster cluster, Orchestrator orch, InMemoryRuntime runtime,
                                               VirtualTimeSource time) {
    assertSame(cluster.orchestrator(), orch);
    assertSame(cluster.runtime(), runtime);
    assertSame(cluster.virtualTime().orElseThrow(), time);
    orch.apply(ServiceSpec.builder("orders").replicas(3).container(ContainerSpec.builder("orders:1").build()).build());
    assertFalse(orch.status("orders").orElseThrow().isReady(), "nothing runs before time moves");
    cluster.advance(Duration.ofSeconds(2));
    assertTrue(orch.status("orders").orElseThrow().isReady());
    assertEquals(2, orch.nodes().size());
  }

  @org.junit.jupiter.api.Nested
  class Nested {
    @Test
    void aNestedClassFindsTheEnclosingAnnotation(Orchestrator orch, OrchCluster cluster) {
      cluster.advance(Duration.ofMillis(1));
      assertEquals(2, orch.nodes().size());
    }
  }

  @Test
  @OrchTest(nodes = 5, seed = 9)
  void aMethodAnnotationWins(Orchestrator orch, OrchCluster cluster) {
    cluster.advance(Duration.ofMillis(1));
    assertEquals(5, orch.nodes().size());
  }

  /** Keeps two revisions: the test's own orchestrator setting. */
  public static final class TwoRevisions implements OrchestratorCustomizer {
    @Override
    public void customize(dev.orch.core.OrchestratorBuilder builder) {
      builder.revisionHistoryLimit(2).ownerId("custom");
    }
  }

  @Test
  @OrchTest(nodes = 4, zones = {"a", "b"}, nodeLabels = "disk=ssd", images = "web:2=exit:3",
      orchestrator = TwoRevisions.class)
  void zonesLabelsImagesAndOrchestratorSettingsComeFromTheAnnotation(Orchestrator orch, InMemoryRuntime runtime,
                                                                     OrchCluster cluster) {
    cluster.advance(Duration.ofMillis(1));
    assertEquals(java.util.List.of("a", "b", "a", "b"), orch.nodes().stream().map(n -> n.labels().get("zone"))
        .toList());
    assertTrue(orch.nodes().stream().allMatch(n -> "ssd".equals(n.labels().get("disk"))));
    assertEquals("custom", orch.ownerId());
    orch.apply(ServiceSpec.builder("web").replicas(1).container(ContainerSpec.builder("web:2").build()).build());
    cluster.advanceUntil(() -> orch.status("web").orElseThrow().replicas().stream()
        .anyMatch(r -> r.lastExit().orElse(0) == 3), Duration.ofSeconds(10), () -> orch.status("web").toString());
  }

  @Test
  @OrchTest(virtualTime = false, fastTimings = true, nodes = 1, images = "stubborn=ignore-sigterm")
  void fastTimingsShortenTheGracesOnRealTime(Orchestrator orch) throws Exception {
    orch.apply(ServiceSpec.builder("web").replicas(1).container(ContainerSpec.builder("stubborn").build()).build());
    assertTrue(orch.awaitReady("web", Duration.ofSeconds(10)));
    assertTrue(orch.delete("web"));
    // It ignores SIGTERM, so its stop waits out the termination grace: 1 s here, 30 s by default.
    assertTrue(orch.awaitDeleted("web", Duration.ofSeconds(10)), () -> orch.events().recent().toString());
  }

  @Test
  void theClusterRefusesNullArgumentsNamingThem(OrchCluster cluster) {
    assertEquals("condition", assertThrows(NullPointerException.class,
        () -> cluster.advanceUntil(null, Duration.ofSeconds(1), () -> "")).getMessage());
  }
}
