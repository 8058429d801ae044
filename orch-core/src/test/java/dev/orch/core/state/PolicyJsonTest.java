package dev.orch.core.state;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.orch.api.policy.Direction;
import dev.orch.api.policy.EgressRule;
import dev.orch.api.policy.IngressRule;
import dev.orch.api.policy.NetworkPolicy;
import dev.orch.api.policy.PeerSelector;
import dev.orch.api.policy.PolicyPort;
import dev.orch.api.runtime.LabelSelector;
import dev.orch.core.util.Json;
import java.util.List;
import org.junit.jupiter.api.Test;

/** A network policy survives the store's JSON unchanged, and a record that is not one names its field. */
class PolicyJsonTest {

  @Test
  void everyPartOfAPolicyComesBackAsItWas() {
    List<NetworkPolicy> policies = List.of(
        NetworkPolicy.builder("inventory-from-orders").selectServices("inventory")
            .allowIngress(IngressRule.from(PeerSelector.services("orders")).on(PolicyPort.tcp("http")))
            .build(),
        NetworkPolicy.builder("payments-locked").selectLabels(LabelSelector.of("tier", "pay")).audit()
            .allowIngress(IngressRule.fromAny().on(PolicyPort.tcp(8443)))
            .allowEgress(EgressRule.to(PeerSelector.labels("tier", "db"), PeerSelector.services("ledger"))
                .on(PolicyPort.udp(53)))
            .build(),
        NetworkPolicy.builder("deny-all").select(PeerSelector.all()).isolate(Direction.INGRESS, Direction.EGRESS)
            .build());
    for (NetworkPolicy p : policies) {
      assertEquals(p, PolicyJson.policy(Json.parse(Json.write(PolicyJson.tree(p)))), p::toString);
    }
  }

  @Test
  void aRecordThatIsNotAPolicyNamesTheField() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> PolicyJson.policy(Json.parse("{\"name\":\"x\",\"select\":{\"services\":[\"a\"]},\"isolates\":"
            + "[\"INGRESS\"],\"ingress\":[],\"egress\":[],\"mode\":\"LOUD\"}")));
    assertTrue(e.getMessage().contains("mode"), e::getMessage);
  }
}
