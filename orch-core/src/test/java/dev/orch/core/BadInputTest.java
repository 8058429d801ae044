package dev.orch.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.orch.api.spec.ContainerSpec;
import dev.orch.api.spec.Resources;
import dev.orch.api.spec.ServiceSpec;
import dev.orch.api.time.VirtualTimeSource;
import dev.orch.inmemory.Behaviors;
import dev.orch.inmemory.CallFault;
import dev.orch.inmemory.InMemoryRuntime;
import org.junit.jupiter.api.Test;

/** Bad input, every time the same way: the parameter, the operation and the expected form are named. */
class BadInputTest {
  private final VirtualTimeSource time = new VirtualTimeSource();

  @Test
  void aNullArgumentIsRefusedNamingTheParameter() {
    try (InMemoryRuntime runtime = InMemoryRuntime.builder().timeSource(time).build();
         Orchestrator orch = Orchestrator.builder().runtime(runtime).timeSource(time).build()) {
      assertEquals("name", assertThrows(NullPointerException.class, () -> orch.status(null)).getMessage());
      assertEquals("name", assertThrows(NullPointerException.class, () -> orch.scale(null, 1)).getMessage());
      assertEquals("spec", assertThrows(NullPointerException.class, () -> orch.apply(null)).getMessage());
      assertEquals("revision", assertThrows(NullPointerException.class, () -> orch.rollback("web", null))
          .getMessage());
    }
  }

  @Test
  void anOperationOnAClosedOrchestratorNamesItself() {
    try (InMemoryRuntime runtime = InMemoryRuntime.builder().timeSource(time).build()) {
      Orchestrator orch = Orchestrator.builder().runtime(runtime).timeSource(time).build();
      orch.apply(ServiceSpec.builder("web").replicas(1).container(ContainerSpec.builder("web:1").build()).build());
      orch.close();
      assertEquals("scale web: the orchestrator is closed",
          assertThrows(IllegalStateException.class, () -> orch.scale("web", 2)).getMessage());
      assertEquals("pause web: the orchestrator is closed",
          assertThrows(IllegalStateException.class, () -> orch.pause("web")).getMessage());
    }
  }

  @Test
  void runtimeMessagesReadWellAndAMalformedImageShowsTheExpectedForm() {
    try (InMemoryRuntime runtime = InMemoryRuntime.builder().timeSource(time).nodes(1, Resources.of("1", "1Gi"))
        .build()) {
      runtime.injectFault(CallFault.failing().message("boom").build());
      Throwable t = assertThrows(java.util.concurrent.CompletionException.class,
          () -> runtime.nodes().toCompletableFuture().join()).getCause();
      assertEquals("in-memory: nodes failed: boom", t.getMessage());
    }
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Behaviors.fromImage("exit:abc"));
    assertTrue(e.getMessage().startsWith("image: \"exit:abc\": ") && e.getMessage().contains("not a whole number")
        && e.getMessage().endsWith("; expected exit:<code>[:after=<duration>]"), e.getMessage());
    IllegalArgumentException form = assertThrows(IllegalArgumentException.class,
        () -> Behaviors.fromImage("crash:1"));
    assertEquals("image: \"crash:1\": must have the form crash:<code>:every=<duration>", form.getMessage());
  }
}
