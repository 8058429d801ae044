package dev.orch.inmemory;

import static dev.orch.inmemory.SimFixture.failure;
import static dev.orch.inmemory.SimFixture.join;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.orch.api.runtime.Subscription;
import dev.orch.api.spec.ContainerSpec;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Calls from inside a container ({@link InMemoryRuntime#callFrom}): names resolve on the caller's networks only
 * (aliases, and containers' own names), in turn; containers that share no network do not reach each other; a
 * changed alias moves the name; a connection filter refuses as a dropped connection would, with its reason.
 */
class InContainerCallsTest {
  private final SimFixture f = new SimFixture(2);
  private final String caller = f.run("caller", "node-1", "caller:1");
  private final String a = f.run("a", "node-1", ContainerSpec.builder("a:1").port("http", 8080).build());
  private final String b = f.run("b", "node-1", ContainerSpec.builder("b:1").port("http", 8080).build());

  @AfterEach
  void close() {
    f.close();
  }

  private SimResponse call(String from, String address) {
    return join(f.runtime.callFrom(from, address, 8080, SimRequest.get("/")));
  }

  private Throwable failed(String from, String address) {
    return failure(f.runtime.callFrom(from, address, 8080, SimRequest.get("/")));
  }

  @Test
  void aNameResolvesOnTheCallersNetworksToEachContainerInTurn() {
    join(f.runtime.createNetwork("node-1", "net", Map.of()));
    join(f.runtime.connect(caller, "net", Set.of()));
    join(f.runtime.connect(a, "net", Set.of("svc")));
    join(f.runtime.connect(b, "net", Set.of("svc")));
    Set<String> answered = new HashSet<>();
    for (int i = 0; i < 4; i++) {
      answered.add(call(caller, "svc").body());
    }
    assertEquals(Set.of("a:1", "b:1"), answered);
    assertEquals("a:1", call(caller, "a").body(), "a container's own name resolves on a shared network");

    join(f.runtime.connect(b, "net", Set.of())); // b leaves the name, and stays on the network
    for (int i = 0; i < 3; i++) {
      assertEquals("a:1", call(caller, "svc").body());
    }
    assertEquals("b:1", call(caller, "b").body());
  }

  @Test
  void containersThatShareNoNetworkDoNotReachEachOther() {
    join(f.runtime.createNetwork("node-1", "net", Map.of()));
    join(f.runtime.connect(a, "net", Set.of("svc")));
    assertInstanceOf(java.net.UnknownHostException.class, failed(caller, "svc"), "the name is not on its networks");
    assertInstanceOf(java.net.SocketTimeoutException.class, failed(caller, "a"), "a's name is known, no route");
    join(f.runtime.createNetwork("node-2", "net", Map.of()));
    String far = f.run("far", "node-2", "far:1");
    join(f.runtime.connect(far, "net", Set.of()));
    assertInstanceOf(java.net.UnknownHostException.class, failed(far, "svc"),
        "networks are node-local: a name of node-1's network does not reach node-2");
  }

  @Test
  void aFilterRefusesAsADroppedConnectionWouldWithItsReason() {
    join(f.runtime.createNetwork("node-1", "net", Map.of()));
    join(f.runtime.connect(caller, "net", Set.of()));
    join(f.runtime.connect(a, "net", Set.of("svc")));
    try (Subscription s = f.runtime.filterConnections((from, to, port, protocol) ->
        "a".equals(to.get("app")) && port == 8080 ? "rule 7 denies it" : null)) {
      Throwable t = failed(caller, "svc");
      assertInstanceOf(java.net.SocketTimeoutException.class, t);
      assertTrue(t.getMessage().contains("rule 7 denies it"), t::getMessage);
    }
    assertEquals("a:1", call(caller, "svc").body(), "closing the filter ends it");
  }
}
