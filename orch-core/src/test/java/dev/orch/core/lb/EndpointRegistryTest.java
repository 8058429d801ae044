package dev.orch.core.lb;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.orch.api.runtime.Subscription;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class EndpointRegistryTest {
  private static Endpoint ep(String id) {
    return Endpoint.of(id, "127.0.0.1", 8080);
  }

  @Test
  void publishesASnapshotPerChangeAndSubscribersSeeEveryOne() {
    EndpointRegistry reg = new EndpointRegistry();
    List<Endpoints> seen = new ArrayList<>();
    Subscription sub = reg.subscribe("orders", seen::add);

    reg.update("orders", List.of(ep("a"), ep("b")));
    reg.upsert("orders", ep("c"));
    reg.setReady("orders", "b", false);
    reg.setReady("orders", "b", false); // no change: nothing published
    reg.remove("orders", "a");
    reg.upsert("orders", ep("c").withWeight(5)); // replaced in place

    assertEquals(List.of(0L, 1L, 2L, 3L, 4L, 5L), seen.stream().map(Endpoints::version).toList());
    Endpoints last = reg.endpoints("orders");
    assertEquals(seen.get(seen.size() - 1), last);
    assertEquals(List.of("b", "c"), last.all().stream().map(Endpoint::id).toList());
    assertEquals(List.of("c"), last.ready().stream().map(Endpoint::id).toList());
    assertEquals(5, last.get("c").orElseThrow().weight());

    sub.close();
    reg.clear("orders");
    assertEquals(6, seen.size());
    assertEquals(0, reg.endpoints("orders").size());
  }

  @Test
  void servicesAreIndependentAndUnknownOnesAreEmpty() {
    EndpointRegistry reg = new EndpointRegistry();
    reg.update("a", List.of(ep("x")));
    assertEquals(0, reg.endpoints("b").size());
    assertEquals(1, reg.endpoints("a").size());
    assertTrue(reg.services().contains("a"));
    assertFalse(reg.remove("a", "nope"));
    assertFalse(reg.setReady("a", "nope", true));
  }

  @Test
  void aFailingSubscriberDoesNotStopOthers() {
    EndpointRegistry reg = new EndpointRegistry();
    List<Long> seen = new ArrayList<>();
    reg.subscribe("s", e -> {
      if (e.version() > 0) {
        throw new IllegalStateException("boom");
      }
    });
    reg.subscribe("s", e -> seen.add(e.version()));
    reg.update("s", List.of(ep("a")));
    assertEquals(List.of(0L, 1L), seen);
  }

  @Test
  void rejectsDuplicateIdsAndBadEndpoints() {
    EndpointRegistry reg = new EndpointRegistry();
    IllegalArgumentException dup = assertThrows(IllegalArgumentException.class,
        () -> reg.update("s", List.of(ep("a"), ep("a"))));
    assertTrue(dup.getMessage().contains("id: a"), dup.getMessage());
    IllegalArgumentException port = assertThrows(IllegalArgumentException.class,
        () -> Endpoint.of("a", "127.0.0.1", 0));
    assertEquals("endpoint a: port: 0: must be in 1..65535", port.getMessage());
    IllegalArgumentException weight = assertThrows(IllegalArgumentException.class,
        () -> ep("a").withWeight(-1));
    assertEquals("endpoint a: weight: -1: must be >= 0", weight.getMessage());
    assertThrows(IllegalArgumentException.class, () -> Endpoint.of(" ", "h", 1));
  }

  @Test
  void endpointCarriesRevisionAndLabels() {
    Endpoint e = ep("a").withLabels(Map.of("orch.revision", "v2")).withZone("eu-1");
    assertEquals("v2", e.revision().orElseThrow());
    assertEquals("eu-1", e.zone());
    assertEquals("127.0.0.1:8080", e.hostPort());
    assertTrue(ep("b").revision().isEmpty());
  }
}
