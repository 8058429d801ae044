package dev.orch.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.orch.api.policy.IngressRule;
import dev.orch.api.policy.NetworkPolicy;
import dev.orch.api.policy.PeerSelector;
import dev.orch.api.policy.PolicyMode;
import dev.orch.api.policy.PolicyPort;
import dev.orch.api.runtime.ContainerInfo;
import dev.orch.api.runtime.ContainerState;
import dev.orch.api.runtime.OrchLabels;
import dev.orch.api.spec.ContainerSpec;
import dev.orch.api.spec.Placement;
import dev.orch.api.spec.Probe;
import dev.orch.api.spec.Protocol;
import dev.orch.api.spec.Resources;
import dev.orch.api.spec.ServiceSpec;
import dev.orch.api.spec.Stateful;
import dev.orch.api.time.VirtualTimeSource;
import dev.orch.core.lb.CallRefusedException;
import dev.orch.core.lb.LoadBalancer;
import dev.orch.core.policy.Verdict;
import dev.orch.inmemory.Behaviors;
import dev.orch.inmemory.InMemoryRuntime;
import dev.orch.inmemory.SimRequest;
import dev.orch.inmemory.SimResponse;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletionException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Discovery and network policy on the in-memory runtime: a container calls another service by name and reaches
 * its ready replicas only, stateful replicas by {@code name-<ordinal>}, dependencies in the environment; a
 * policy cuts a caller off (its name no longer resolves; a denied port is dropped), counted and reported; audit
 * mode denies nothing; the load balancer refuses a denied caller; a name on another node has no route, and the
 * status and {@code check} say so.
 */
class DiscoveryTest {
  private static final NetworkPolicy INVENTORY_FROM_ORDERS = NetworkPolicy.builder("inventory-from-orders")
      .selectServices("inventory")
      .allowIngress(IngressRule.from(PeerSelector.services("orders")).on(PolicyPort.tcp("http")))
      .build();

  private final VirtualTimeSource time = new VirtualTimeSource();
  private final SimpleMeterRegistry meters = new SimpleMeterRegistry();
  private final dev.orch.core.state.InMemoryStateStore store = new dev.orch.core.state.InMemoryStateStore();
  private InMemoryRuntime runtime = runtime(1);
  private Orchestrator orch = orchestrator();

  private InMemoryRuntime runtime(int nodes) {
    // Each answer takes 200 ms, so that calls are in flight whenever a replica is taken away.
    var slow = Behaviors.serving(Behaviors.controlled(), dev.orch.inmemory.RequestModel.builder()
        .latency(Duration.ofMillis(200)).build());
    // Inventory answers with the replica's name, so that a test sees which replica a name reached.
    var named = Behaviors.serving(Behaviors.controlled(), dev.orch.inmemory.RequestModel.builder()
        .handler((p, r) -> SimResponse.ok(p.name())).build());
    InMemoryRuntime.Builder b = InMemoryRuntime.builder().timeSource(time)
        .behavior("inventory:1", named).behavior("inventory:2", named).behavior("db:1", named)
        .behavior("slow:1", slow).behavior("slow:2", slow);
    for (int i = 0; i < nodes; i++) {
      b.node("n" + i, Resources.of("8", "16Gi"), Map.of("slot", "s" + i));
    }
    return b.build();
  }

  private Orchestrator orchestrator() {
    return orchestrator(Duration.ofSeconds(2));
  }

  private Orchestrator orchestrator(Duration nameDrainDelay) {
    return Orchestrator.builder().runtime(runtime).timeSource(time).meterRegistry(meters).stateStore(store)
        .terminationGrace(Duration.ofSeconds(1)).nameDrainDelay(nameDrainDelay).build();
  }

  @AfterEach
  void close() {
    orch.close();
    runtime.close();
  }

  private static ServiceSpec.Builder service(String name, String image, int replicas) {
    return ServiceSpec.builder(name).replicas(replicas)
        .container(ContainerSpec.builder(image).port("http", 8080).requests("100m", "64Mi").build())
        .readiness(Probe.http("/ready", "http").withPeriod(Duration.ofSeconds(1)));
  }

  private void applyAll() {
    orch.apply(service("inventory", "inventory:1", 2).build());
    orch.apply(service("orders", "orders:1", 1).dependsOn("inventory").build());
    orch.apply(service("payments", "payments:1", 1).build());
    settle();
  }

  private void settle() {
    for (int i = 0; i < 100; i++) {
      time.advance(Duration.ofMillis(100));
    }
  }

  private List<ContainerInfo> replicas(String service) {
    return runtime.allContainers().stream().filter(c -> service.equals(c.labels().get(OrchLabels.SERVICE)))
        .filter(c -> c.state() == ContainerState.RUNNING).toList();
  }

  /** Calls {@code address}:{@code port} from inside {@code service}'s first replica. */
  private SimResponse callFrom(String service, String address, int port) {
    var call = runtime.process(replicas(service).get(0).id()).orElseThrow()
        .call(address, port, SimRequest.get("/")).toCompletableFuture();
    time.advance(Duration.ofMillis(1));
    return call.join();
  }

  private Throwable failureFrom(String service, String address, int port) {
    CompletionException e = assertThrows(CompletionException.class, () -> callFrom(service, address, port));
    return e.getCause();
  }

  @Test
  void aContainerCallsAServiceByNameAndReachesItsReadyReplicasOnly() {
    applyAll();
    Set<String> all = new HashSet<>(replicas("inventory").stream().map(ContainerInfo::name).toList());
    assertEquals(all, answers(6), "the name goes to each ready replica in turn");
    ContainerInfo unready = replicas("inventory").get(0);
    Map<String, Set<String>> before = runtime.networksOf(unready.id());
    assertEquals(Set.of("inventory"), before.get("orch.orch.inventory"), "a ready replica carries the name");

    runtime.process(unready.id()).orElseThrow().attributes().put(Behaviors.READY, Boolean.FALSE);
    settle();
    assertEquals(Set.of(), runtime.networksOf(unready.id()).get("orch.orch.inventory"),
        "a replica that is not ready keeps its place on the network without the name");
    ContainerInfo ready = replicas("inventory").get(1);
    assertEquals(Set.of(ready.name()), answers(4), "only the ready replica answers to the name");
    assertEquals(Set.of("inventory"), runtime.networksOf(ready.id()).get("orch.orch.inventory"));
  }

  /** Who answered {@code n} calls to inventory by name from orders. */
  private Set<String> answers(int n) {
    Set<String> answered = new HashSet<>();
    for (int i = 0; i < n; i++) {
      SimResponse r = callFrom("orders", "inventory", 8080);
      assertEquals(200, r.status());
      answered.add(r.body());
    }
    return answered;
  }

  @Test
  void aRestartedOrchestratorLeavesTheNamesOnReplicasItHasNotProbedYet() {
    applyAll();
    Set<String> all = answers(6);
    orch.close();
    orch = orchestrator();
    for (int i = 0; i < 30; i++) { // 3 s: start-up, adoption and the first probes (every second)
      time.advance(Duration.ofMillis(100));
      assertEquals(200, callFrom("orders", "inventory", 8080).status(), "after " + (i + 1) * 100 + " ms");
    }
    assertEquals(all, answers(6), "both replicas still carry the name");
  }

  /**
   * Runs a rolling update of inventory (3 replicas, slow:1 to slow:2, surge 1) while orders calls it by name
   * from inside its container every 50 ms; returns the failed calls and the answers.
   */
  private List<String> rollOutUnderLoad(List<String> answers) {
    orch.apply(service("inventory", "slow:1", 3).rollout(dev.orch.api.spec.RolloutStrategy.RollingUpdate.of(
        dev.orch.api.spec.IntOrPercent.of(1), dev.orch.api.spec.IntOrPercent.of(0))).build());
    orch.apply(service("orders", "orders:1", 1).build());
    settle();
    String caller = replicas("orders").get(0).id();
    List<String> failures = new java.util.concurrent.CopyOnWriteArrayList<>();
    orch.apply(service("inventory", "slow:2", 3).rollout(dev.orch.api.spec.RolloutStrategy.RollingUpdate.of(
        dev.orch.api.spec.IntOrPercent.of(1), dev.orch.api.spec.IntOrPercent.of(0))).build());
    for (int i = 0; i < 600; i++) { // 30 s
      runtime.callFrom(caller, "inventory", 8080, SimRequest.get("/")).whenComplete((r, e) -> {
        if (e != null) {
          failures.add(e.toString());
        } else {
          answers.add(r.body());
        }
      });
      time.advance(Duration.ofMillis(50));
    }
    settle();
    assertTrue(replicas("inventory").stream().allMatch(c -> c.labels().get(OrchLabels.REVISION)
        .equals(orch.revisions("inventory").get(1).id())) && replicas("inventory").size() == 3,
        () -> "the update finished: " + orch.status("inventory"));
    return failures;
  }

  @Test
  void noCallByNameFailsThroughARollingUpdate() {
    List<String> answers = new java.util.concurrent.CopyOnWriteArrayList<>();
    List<String> failures = rollOutUnderLoad(answers);
    assertEquals(List.of(), failures);
    assertTrue(answers.contains("slow:1") && answers.contains("slow:2"), answers::toString);
    assertEquals("slow:2", answers.get(answers.size() - 1));
  }

  @Test
  void withoutTheNameDrainDelayCallsInFlightAreCut() {
    orch.close();
    orch = orchestrator(Duration.ZERO);
    List<String> failures = rollOutUnderLoad(new java.util.concurrent.CopyOnWriteArrayList<>());
    assertFalse(failures.isEmpty(), "a replica that stops as soon as it leaves the name cuts calls in flight");
    assertTrue(failures.stream().allMatch(f -> f.contains("connection reset")), failures::toString);
  }

  @Test
  void dependenciesAreInTheEnvironment() {
    applyAll();
    ContainerSpec spec = runtime.process(replicas("orders").get(0).id()).orElseThrow().spec();
    assertEquals("inventory", spec.env().get("INVENTORY_HOST"));
    assertEquals("8080", spec.env().get("INVENTORY_PORT"));
    assertFalse(runtime.process(replicas("payments").get(0).id()).orElseThrow().spec().env()
        .containsKey("INVENTORY_HOST"), "payments names no dependency");
  }

  @Test
  void aPolicyCutsACallerOffCountsAndReportsItAndDeletingItRestoresAccess() {
    applyAll();
    assertEquals(200, callFrom("payments", "inventory", 8080).status(), "no policy: everything is allowed");

    orch.policies().apply(INVENTORY_FROM_ORDERS);
    settle();
    assertEquals(200, callFrom("orders", "inventory", 8080).status());
    assertInstanceOf(java.net.UnknownHostException.class, failureFrom("payments", "inventory", 8080),
        "payments is no longer on inventory's network: the name does not resolve for it");
    Throwable port = failureFrom("orders", "inventory", 9090);
    assertInstanceOf(java.net.SocketTimeoutException.class, port, "a port the policy does not allow is dropped");
    assertTrue(port.getMessage().contains("inventory-from-orders"), port::getMessage);
    assertEquals(1.0, meters.get("orch.policy.verdicts").tags("from", "orders", "to", "inventory", "verdict", "denied")
        .counter().count());
    assertTrue(orch.events().recent().stream().anyMatch(e -> e.reason().equals("PolicyDenied")
        && e.message().contains("orders -> inventory:9090 denied")));

    assertTrue(orch.policies().delete("inventory-from-orders"));
    settle();
    assertEquals(200, callFrom("payments", "inventory", 8080).status(), "deleting the policy restores access");
  }

  @Test
  void anAuditPolicyDeniesNothingAndSaysWhatItWouldDeny() {
    applyAll();
    orch.policies().apply(NetworkPolicy.builder("audit").selectServices("inventory").mode(PolicyMode.AUDIT)
        .allowIngress(IngressRule.from(PeerSelector.services("orders"))).build());
    settle();
    assertEquals(200, callFrom("payments", "inventory", 8080).status());
    assertEquals(1.0, meters.get("orch.policy.verdicts").tags("from", "payments", "verdict", "audit-denied")
        .counter().count());
    assertTrue(orch.events().recent().stream().anyMatch(e -> e.reason().equals("PolicyAudit")));
  }

  @Test
  void theLoadBalancerRefusesADeniedCallerNamingTheRule() {
    applyAll();
    orch.policies().apply(INVENTORY_FROM_ORDERS);
    try (LoadBalancer orders = orch.loadBalancer("inventory").caller("orders").build();
         LoadBalancer payments = orch.loadBalancer("inventory").caller("payments").build()) {
      settle();
      orders.release(orders.pick());
      CallRefusedException refused = assertThrows(CallRefusedException.class, payments::pick);
      assertTrue(refused.getMessage().startsWith("payments may not call inventory"), refused::getMessage);
      assertTrue(refused.getMessage().contains("inventory-from-orders"), refused::getMessage);
      assertEquals(1.0, meters.get("orch.policy.verdicts").tags("from", "payments", "verdict", "denied")
          .counter().count());

      orch.policies().delete("inventory-from-orders");
      payments.release(payments.pick());
    }
  }

  @Test
  void aStatefulReplicaIsReachedByItsOwnNameAndItsPeersReachItBeforeItIsReady() {
    orch.apply(service("db", "db:1", 2).stateful(Stateful.builder().build()).build());
    orch.apply(service("orders", "orders:1", 1).build());
    settle();
    assertEquals("db-1", callFrom("orders", "db-1", 8080).body());
    ContainerInfo db0 = replicas("db").stream().filter(c -> c.name().equals("db-0")).findFirst().orElseThrow();
    runtime.process(db0.id()).orElseThrow().attributes().put(Behaviors.READY, Boolean.FALSE);
    settle();
    assertEquals(Set.of("db-1"), new HashSet<>(List.of(callFrom("orders", "db", 8080).body(),
        callFrom("orders", "db", 8080).body())), "the service's name: ready replicas only");
    var fromPeer = runtime.callFrom(replicas("db").stream().filter(c -> c.name().equals("db-1")).findFirst()
        .orElseThrow().id(), "db-0", 8080, SimRequest.get("/")).toCompletableFuture();
    time.advance(Duration.ofMillis(1));
    assertEquals("db-0", fromPeer.join().body(), "a peer reaches a replica that is not ready by its own name");
    ContainerInfo db1 = replicas("db").stream().filter(c -> "1".equals(c.labels().get(OrchLabels.ORDINAL)))
        .findFirst().orElseThrow();
    assertEquals(Set.of("db", "db-1"), runtime.networksOf(db1.id()).get("orch.orch.db"));
  }

  @Test
  void aNameOnAnotherNodeHasNoRouteAndTheStatusAndCheckSaySo() {
    orch.close();
    runtime.close();
    runtime = runtime(2);
    orch = orchestrator();
    orch.apply(service("inventory", "inventory:1", 1).placement(Placement.builder().nodeSelector("slot", "s1")
        .build()).build());
    orch.apply(service("orders", "orders:1", 1).dependsOn("inventory")
        .placement(Placement.builder().nodeSelector("slot", "s0").build()).build());
    settle();
    assertInstanceOf(java.net.UnknownHostException.class, failureFrom("orders", "inventory", 8080));
    Condition reachable = orch.status("orders").orElseThrow().conditions().stream()
        .filter(c -> c.type().equals("DependenciesReachable")).findFirst().orElseThrow();
    assertFalse(reachable.status());
    assertTrue(reachable.message().contains("inventory has no ready replica on n0"), reachable::message);
    Verdict v = orch.policies().check("orders", "inventory", 8080, Protocol.TCP);
    assertTrue(v.allowed());
    assertTrue(v.explain().contains("limit: no route: inventory has no ready replica on n0"), v::explain);
  }

  @Test
  void theNetworksGoOnceTheirServicesAreDeleted() {
    applyAll();
    var owned = dev.orch.api.runtime.LabelSelector.of(OrchLabels.OWNER, "orch");
    assertFalse(runtime.listNetworks(owned).toCompletableFuture().join().isEmpty());
    List.of("orders", "payments", "inventory").forEach(orch::delete);
    settle();
    assertEquals(List.of(), runtime.allContainers());
    assertEquals(List.of(), runtime.listNetworks(owned).toCompletableFuture().join());
  }
}
