package dev.orch.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.orch.api.runtime.ProbeTransport;
import dev.orch.api.spec.ContainerSpec;
import dev.orch.api.spec.Probe;
import dev.orch.api.spec.Resources;
import dev.orch.api.spec.ServiceSpec;
import dev.orch.api.time.VirtualTimeSource;
import dev.orch.inmemory.InMemoryRuntime;
import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * A runtime that publishes no ports and has no probe transport cannot have its replicas probed: the replica's
 * status and an event say so, in place of a silent {@code ready=false}.
 */
class CannotProbeTest {

  @Test
  void aReplicaThatCannotBeProbedSaysSoInItsStatusAndAnEvent() {
    VirtualTimeSource time = new VirtualTimeSource();
    try (InMemoryRuntime memory = InMemoryRuntime.builder().timeSource(time).nodes(1, Resources.of("4", "8Gi"))
        .build()) {
      ForwardingRuntime tiny = new ForwardingRuntime(memory) {
        @Override
        public String name() {
          return "tiny";
        }

        @Override
        public Optional<ProbeTransport> probeTransport() {
          return Optional.empty(); // probes go over the network, and no port is ever published
        }
      };
      try (Orchestrator orch = Orchestrator.builder().runtime(tiny).timeSource(time).build()) {
        orch.apply(ServiceSpec.builder("web").replicas(1)
            .container(ContainerSpec.builder("web:1").port("http", 8080).build())
            .readiness(Probe.http("/ready", "http")).build());
        time.advance(Duration.ofSeconds(10));
        ServiceStatus s = orch.status("web").orElseThrow();
        ReplicaStatus r = s.replicas().get(0);
        assertEquals(false, r.ready());
        String why = r.lastProbeFailure().orElseThrow(() -> new AssertionError("silent: " + s));
        assertTrue(why.startsWith("cannot probe: port http is not published by runtime tiny"), why);
        assertEquals(1, orch.events().recent().stream().filter(e -> e.reason().equals("CannotProbe")
            && e.message().startsWith("cannot probe: port http is not published by runtime tiny")).count(),
            () -> "one event: " + orch.events().recent());
      }
    }
  }
}
