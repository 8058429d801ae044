package dev.orch.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.orch.api.runtime.ContainerInfo;
import dev.orch.api.runtime.ContainerListing;
import dev.orch.api.runtime.LabelSelector;
import dev.orch.api.spec.ContainerSpec;
import dev.orch.api.spec.Resources;
import dev.orch.api.spec.ServiceSpec;
import dev.orch.api.time.VirtualTimeSource;
import dev.orch.inmemory.InMemoryRuntime;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * A node that does not answer a listing (its engine just died; the runtime still calls it ready) runs what
 * it ran, as far as Orch knows: its containers are unknown, not gone, and nothing of it is replaced.
 */
class PartialListingTest {

  @Test
  void theContainersOfANodeThatDidNotAnswerAreKeptNotReplaced() {
    VirtualTimeSource time = new VirtualTimeSource();
    AtomicBoolean silent = new AtomicBoolean();
    try (InMemoryRuntime memory = InMemoryRuntime.builder().timeSource(time).nodes(3, Resources.of("4", "8Gi"))
        .build()) {
      ForwardingRuntime runtime = new ForwardingRuntime(memory) {
        @Override
        public CompletionStage<ContainerListing> listing(LabelSelector selector) {
          if (!silent.get()) {
            return super.listing(selector);
          }
          return memory.list(selector).thenApply(cs -> new ContainerListing(
              cs.stream().filter(c -> !c.nodeId().equals("node-2")).toList(), Set.of("node-2")));
        }
      };
      try (Orchestrator orch = Orchestrator.builder().runtime(runtime).timeSource(time)
          .resyncPeriod(Duration.ofSeconds(1)).build()) {
        orch.apply(ServiceSpec.builder("web").replicas(6)
            .container(ContainerSpec.builder("web:1").requests("500m", "256Mi").build()).build());
        time.advance(Duration.ofSeconds(5));
        assertTrue(orch.status("web").orElseThrow().isReady());
        Set<String> before = ids(memory);
        assertTrue(orch.status("web").orElseThrow().replicas().stream().anyMatch(r -> r.node().equals("node-2")));
        long created = created(orch);

        silent.set(true);
        time.advance(Duration.ofSeconds(10)); // ten resyncs that do not hear from node-2
        assertEquals(before, ids(memory), "nothing is replaced or duplicated");
        assertEquals(created, created(orch), () -> orch.events().recent().toString());
        assertEquals(6, orch.status("web").orElseThrow().replicas().size(), () -> orch.status("web").toString());
      }
    }
  }

  private static long created(Orchestrator orch) {
    return orch.events().recent().stream().filter(e -> e.reason().equals("Created")).count();
  }

  private static Set<String> ids(InMemoryRuntime memory) {
    return memory.list(LabelSelector.ALL).toCompletableFuture().join().stream().map(ContainerInfo::id)
        .collect(Collectors.toSet());
  }
}
