package dev.orch.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
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
}
