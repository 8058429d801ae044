package dev.orch.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.orch.api.spec.ContainerSpec;
import dev.orch.api.spec.Resources;
import dev.orch.api.spec.ServiceSpec;
import dev.orch.api.time.VirtualTimeSource;
import dev.orch.inmemory.CallFault;
import dev.orch.inmemory.InMemoryRuntime;
import dev.orch.inmemory.RuntimeOperation;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Status a person can read, and that tells the truth: a short summary from {@code toString()}, replicas that
 * have no container listed with why, and no COMPLETE while replicas of the revision cannot be placed.
 */
class StatusReadingTest {
  private final VirtualTimeSource time = new VirtualTimeSource();
  private final InMemoryRuntime runtime = InMemoryRuntime.builder().timeSource(time).nodes(2, Resources.of("4", "8Gi"))
      .build();
  private final Orchestrator orch = Orchestrator.builder().runtime(runtime).timeSource(time).build();

  @AfterEach
  void tearDown() {
    orch.close();
    runtime.close();
  }

  private static ServiceSpec web(int replicas, String image) {
    return ServiceSpec.builder("web").replicas(replicas)
        .container(ContainerSpec.builder(image).requests("1", "256Mi").build()).build();
  }

  @Test
  void aStatusPrintsAsAShortSummary() {
    orch.apply(web(2, "web:1"));
    time.advance(Duration.ofSeconds(3));
    ServiceStatus s = orch.status("web").orElseThrow();
    String text = s.toString();
    String revision = s.rollout().revision();
    assertTrue(text.startsWith("web: 2/2 ready, revision " + revision + ", rollout COMPLETE\n  web-0-"), text);
    assertEquals(3, text.lines().count(), text);
    assertTrue(text.lines().skip(1).allMatch(l -> l.matches("  web-[01]-\\w+ on node-[12]: RUNNING, ready, "
        + "revision " + revision)), text);
    assertEquals("RollingUpdate to " + revision + ": COMPLETE (revision " + revision + " is available)",
        s.rollout().toString());
    assertFalse(text.contains("ServiceStatus["), text);
  }

  @Test
  void aReplicaThatCannotBeCreatedIsInTheStatusWithItsLastError() {
    runtime.injectFault(CallFault.refusing().operations(RuntimeOperation.CREATE)
        .message("no such image exit:abc").build());
    orch.apply(web(1, "exit:abc"));
    time.advance(Duration.ofSeconds(3));
    ServiceStatus s = orch.status("web").orElseThrow();
    assertEquals(1, s.pending().size(), s::toString);
    PendingReplica p = s.pending().get(0);
    assertEquals(0, p.ordinal());
    assertTrue(p.reason().contains("no such image exit:abc"), p::toString);
    assertTrue(s.toString().contains("replica 0 of " + s.rollout().revision() + ": pending (create web-0-"),
        s::toString);
  }

  @Test
  void aScaleUpBeyondTheClusterIsNotCompleteAndListsWhatCannotBePlaced() {
    orch.apply(web(2, "web:1"));
    time.advance(Duration.ofSeconds(3));
    assertEquals(RolloutStatus.Phase.COMPLETE, orch.status("web").orElseThrow().rollout().phase());
    orch.scale("web", 20); // 2 nodes of 4 CPUs: 8 fit
    time.advance(Duration.ofSeconds(10));
    ServiceStatus s = orch.status("web").orElseThrow();
    assertEquals(8, s.ready(), s::toString);
    assertEquals(RolloutStatus.Phase.PROGRESSING, s.rollout().phase(), s::toString);
    assertTrue(s.rollout().reason().contains("8/20"), s.rollout()::toString);
    assertEquals(12, s.pending().size(), s::toString);
    assertTrue(s.pending().stream().allMatch(p -> p.reason().startsWith("not placed: ")), s::toString);

    orch.scale("web", 8);
    time.advance(Duration.ofSeconds(5));
    ServiceStatus fits = orch.status("web").orElseThrow();
    assertEquals(RolloutStatus.Phase.COMPLETE, fits.rollout().phase(), fits::toString);
    assertEquals(0, fits.pending().size(), fits::toString);
  }
}
