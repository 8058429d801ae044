package dev.orch.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.orch.api.policy.IngressRule;
import dev.orch.api.policy.NetworkPolicy;
import dev.orch.api.policy.PeerSelector;
import dev.orch.api.policy.PolicyPort;
import dev.orch.api.spec.ContainerSpec;
import dev.orch.api.spec.Protocol;
import dev.orch.api.spec.ServiceSpec;
import dev.orch.api.state.StateStoreException;
import dev.orch.core.policy.Verdict;
import dev.orch.core.state.InMemoryStateStore;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Network policies through the orchestrator: applied, checked against the applied services (their labels and
 * named ports), listed, deleted, kept in the store across a restart, and a policy the store cannot keep changes
 * nothing.
 */
class PolicyOperationsTest extends VirtualClusterTest {
  private final InMemoryStateStore store = new InMemoryStateStore();

  private static final NetworkPolicy INVENTORY_FROM_ORDERS = NetworkPolicy.builder("inventory-from-orders")
      .selectServices("inventory")
      .allowIngress(IngressRule.from(PeerSelector.services("orders")).on(PolicyPort.tcp("http")))
      .build();

  /** An orchestrator over the cluster that keeps its state in {@link #store}. */
  private Orchestrator onStore() {
    return Orchestrator.builder().runtime(runtime).timeSource(time).stateStore(store)
        .terminationGrace(Duration.ofSeconds(1)).build();
  }

  @BeforeEach
  void keepStateInTheStore() {
    orch.close();
    orch = onStore();
  }

  private void applyServices() {
    for (String name : List.of("orders", "payments", "inventory")) {
      orch.apply(ServiceSpec.builder(name).replicas(1)
          .container(ContainerSpec.builder(name + ":1").port("http", 8080).build()).build());
    }
  }

  @Test
  void aPolicyIsCheckedAgainstTheAppliedServicesListedAndDeleted() {
    applyServices();
    Verdict open = orch.policies().check("payments", "inventory", 8080, Protocol.TCP);
    assertTrue(open.allowed(), open::explain);

    orch.policies().apply(INVENTORY_FROM_ORDERS);
    Verdict orders = orch.policies().check("orders", "inventory", 8080, Protocol.TCP);
    assertTrue(orders.allowed(), orders::explain);
    assertTrue(orders.explain().contains("inventory-from-orders"), orders::explain);
    Verdict payments = orch.policies().check("payments", "inventory", 8080, Protocol.TCP);
    assertFalse(payments.allowed(), payments::explain);
    assertFalse(orch.policies().check("orders", "inventory", 9090, Protocol.TCP).allowed(),
        "the named port http is 8080 on inventory: 9090 is not allowed");
    assertEquals(List.of(INVENTORY_FROM_ORDERS), orch.policies().list());
    assertTrue(orch.events().recent().stream().anyMatch(e -> e.reason().equals("PolicyApplied")));

    assertTrue(orch.policies().delete("inventory-from-orders"));
    assertFalse(orch.policies().delete("inventory-from-orders"), "none left to delete");
    assertTrue(orch.policies().check("payments", "inventory", 8080, Protocol.TCP).allowed());
    assertEquals(List.of(), orch.policies().list());
  }

  @Test
  void policiesAreKeptInTheStoreAndARestartedOrchestratorChecksByThem() {
    applyServices();
    orch.policies().apply(INVENTORY_FROM_ORDERS);
    orch.close();
    orch = onStore();
    assertEquals(List.of(INVENTORY_FROM_ORDERS), orch.policies().list());
    assertFalse(orch.policies().check("payments", "inventory", 8080, Protocol.TCP).allowed());
  }

  @Test
  void aPolicyTheStoreCannotKeepChangesNothing() {
    applyServices();
    store.failWrites("disk full");
    assertThrows(StateStoreException.class, () -> orch.policies().apply(INVENTORY_FROM_ORDERS));
    store.healWrites();
    assertEquals(List.of(), orch.policies().list());
    assertTrue(orch.policies().check("payments", "inventory", 8080, Protocol.TCP).allowed());
  }
}
