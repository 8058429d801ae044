package dev.orch.core.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.orch.api.policy.NetworkPolicy;
import dev.orch.api.runtime.ContainerInfo;
import dev.orch.api.runtime.OrchLabels;
import dev.orch.api.spec.ContainerSpec;
import dev.orch.api.spec.PortSpec;
import dev.orch.api.spec.Protocol;
import dev.orch.api.spec.Resources;
import dev.orch.api.spec.ServiceSpec;
import dev.orch.api.time.VirtualTimeSource;
import dev.orch.core.Orchestrator;
import dev.orch.inmemory.InMemoryRuntime;
import dev.orch.inmemory.SimRequest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.statistics.Statistics;

/**
 * The network policy as the in-memory runtime enforces it: for random services, labels and policy sets, every
 * call from inside one service's replica to another service by name, on each port it declares, succeeds exactly
 * when the brute-force oracle of {@link PolicyEvaluatorProperties} allows it (the wiring of the networks and the
 * connection filter together), and again after a policy is deleted at run time.
 */
class EnforcementProperties {

  @Property(tries = 40)
  void everyCallSucceedsExactlyWhenTheOracleAllowsIt(@ForAll long seed) {
    Random random = new Random(seed);
    PolicyEvaluatorProperties.World w = PolicyEvaluatorProperties.World.random(random);
    List<PolicySubject> services = tcpOnly(w.services());
    VirtualTimeSource time = new VirtualTimeSource();
    try (InMemoryRuntime runtime = InMemoryRuntime.builder().timeSource(time).node("n0", Resources.of("64", "64Gi"))
        .build();
         Orchestrator orch = Orchestrator.builder().runtime(runtime).timeSource(time)
             .terminationGrace(Duration.ofSeconds(1)).build()) {
      for (PolicySubject s : services) {
        ContainerSpec.Builder c = ContainerSpec.builder(s.name() + ":1").requests("10m", "16Mi");
        s.ports().forEach(c::port);
        ServiceSpec.Builder b = ServiceSpec.builder(s.name()).replicas(1).container(c.build());
        s.labels().forEach(b::label);
        orch.apply(b.build());
      }
      w.policies().forEach(orch.policies()::apply);
      settle(time);
      int denied = assertCallsMatch(runtime, time, services, w.policies(), "under " + w);
      Statistics.label("some call denied").collect(denied > 0)
          .coverage(c -> c.check(true).percentage(p -> p > 10));
      if (!w.policies().isEmpty()) {
        NetworkPolicy gone = w.policies().get(random.nextInt(w.policies().size()));
        orch.policies().delete(gone.name());
        settle(time);
        List<NetworkPolicy> left = new ArrayList<>(w.policies());
        left.remove(gone);
        assertCallsMatch(runtime, time, services, left, "after deleting " + gone.name() + " from " + w);
      }
    }
  }

  /** The services with their TCP ports only, each port number once (in-memory calls are TCP). */
  private static List<PolicySubject> tcpOnly(List<PolicySubject> services) {
    List<PolicySubject> out = new ArrayList<>();
    for (PolicySubject s : services) {
      Set<Integer> numbers = new HashSet<>();
      List<PortSpec> ports = s.ports().stream().filter(p -> p.protocol() == Protocol.TCP)
          .filter(p -> numbers.add(p.containerPort())).toList();
      out.add(new PolicySubject(s.name(), s.labels(), ports));
    }
    return out;
  }

  private static void settle(VirtualTimeSource time) {
    for (int i = 0; i < 50; i++) {
      time.advance(Duration.ofMillis(100));
    }
  }

  /** Calls every declared port of every service from every other one; returns how many the oracle denied. */
  private static int assertCallsMatch(InMemoryRuntime runtime, VirtualTimeSource time, List<PolicySubject> services,
                                      List<NetworkPolicy> policies, String when) {
    PolicyEvaluatorProperties.Oracle oracle = new PolicyEvaluatorProperties.Oracle(policies, services);
    int denied = 0;
    for (PolicySubject from : services) {
      ContainerInfo caller = runtime.allContainers().stream()
          .filter(c -> from.name().equals(c.labels().get(OrchLabels.SERVICE))).findFirst().orElseThrow();
      for (PolicySubject to : services) {
        if (to.name().equals(from.name())) {
          continue; // one replica each: a service calling itself is the same container
        }
        String container = runtime.allContainers().stream()
            .filter(c -> to.name().equals(c.labels().get(OrchLabels.SERVICE))).findFirst().orElseThrow().name();
        for (PortSpec port : to.ports()) {
          boolean expected = oracle.expect(from.name(), to.name(), port.containerPort(), Protocol.TCP).allowed();
          // By the service's name, and by the container's own name (which bypasses no network rule).
          for (String address : List.of(to.name(), container)) {
            CompletableFuture<?> call = runtime.callFrom(caller.id(), address, port.containerPort(),
                SimRequest.get("/")).toCompletableFuture();
            time.advance(Duration.ofMillis(1));
            String what = from.name() + " -> " + address + ":" + port.containerPort() + " " + when;
            assertTrue(call.isDone(), () -> what + ": still pending");
            boolean reached = !call.isCompletedExceptionally();
            assertEquals(expected, reached, () -> what + (reached ? ": reached"
                : ": " + call.handle((v, e) -> e.getCause() == null ? e : e.getCause()).join()));
          }
          denied += expected ? 0 : 1;
        }
      }
    }
    return denied;
  }
}
