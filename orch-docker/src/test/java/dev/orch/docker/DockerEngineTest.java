package dev.orch.docker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.orch.api.spec.Resources;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;

class DockerEngineTest {

  @Test
  void anEngineKeepsItsIdHostLabelsAndCapacity() {
    DockerEngine e = DockerEngine.of("node-a", "unix:///run/a.sock").withLabel("zone", "a")
        .withCapacity(Resources.of("2", "4Gi"));
    assertEquals("node-a", e.id());
    assertEquals("unix:///run/a.sock", e.host().toString());
    assertEquals(Map.of("zone", "a"), e.labels());
    assertEquals(Resources.of("2", "4Gi"), e.capacity().orElseThrow());
    assertTrue(DockerEngine.of("b", "tcp://127.0.0.1:2376").withTls(Path.of("/certs")).tlsCerts().isPresent());
  }

  @Test
  void badFieldsAreNamedWithTheValueAndTheRule() {
    IllegalArgumentException id = assertThrows(IllegalArgumentException.class,
        () -> DockerEngine.of("Node_A", "unix:///run/a.sock"));
    assertTrue(id.getMessage().contains("engine.id") && id.getMessage().contains("Node_A"), id.getMessage());
    IllegalArgumentException host = assertThrows(IllegalArgumentException.class,
        () -> DockerEngine.of("a", "http://localhost:2375"));
    assertTrue(host.getMessage().contains("a.host") && host.getMessage().contains("unix://"), host.getMessage());
    IllegalArgumentException tls = assertThrows(IllegalArgumentException.class,
        () -> DockerEngine.of("a", "unix:///run/a.sock").withTls(Path.of("/certs")));
    assertTrue(tls.getMessage().contains("tlsCerts"), tls.getMessage());
  }

  @Test
  void refusesNullArgumentsNamingThem() {
    DockerEngine e = DockerEngine.of("node-a", "unix:///run/a.sock");
    assertEquals("capacity", assertThrows(NullPointerException.class, () -> e.withCapacity(null)).getMessage());
    assertEquals("engines", assertThrows(NullPointerException.class,
        () -> DockerRuntime.builder().engines(null)).getMessage());
  }
}
