package dev.orch.docker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.orch.api.runtime.ContainerCreateRequest;
import dev.orch.api.runtime.ContainerRuntimeException;
import dev.orch.api.runtime.LabelSelector;
import dev.orch.api.runtime.NoSuchContainerException;
import dev.orch.api.runtime.NoSuchNodeException;
import dev.orch.api.runtime.NodeInfo;
import dev.orch.api.runtime.NodeNotReadyException;
import dev.orch.api.spec.ContainerSpec;
import dev.orch.api.spec.Resources;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The runtime without any engine: validation, an engine that does not answer, ids of no engine. */
class DockerRuntimeTest {

  @Test
  void aTlsDirectoryWithoutItsCertificatesIsRefusedWhenBuiltNamingWhatIsMissing(@TempDir Path dir) throws Exception {
    java.nio.file.Files.writeString(dir.resolve("ca.pem"), "x");
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> DockerRuntime.builder()
        .engine(DockerEngine.of("tls", "tcp://127.0.0.1:1").withTls(dir)).build());
    assertTrue(e.getMessage().contains("engine tls.tlsCerts") && e.getMessage().contains(dir.toString())
        && e.getMessage().contains("missing or unreadable: cert.pem, key.pem"), e.getMessage());
  }

  @Test
  void anAnswerOfTheEngineIsARefusalAndOnlyTransportCountsAgainstIt() {
    DockerEngine engine = DockerEngine.of("e0", "unix:///run/e0.sock");
    Throwable bind = DockerErrors.translate(engine, "start web-0", new com.github.dockerjava.api.exception
        .InternalServerErrorException("driver failed programming external connectivity: listen tcp4 "
            + "127.0.0.1:18080: bind: address already in use"), "e0/abc", null);
    assertInstanceOf(dev.orch.api.runtime.RequestRefusedException.class, bind);
    assertTrue(bind.getMessage().contains("HTTP 500") && bind.getMessage().contains("address already in use"),
        bind.getMessage());
    Throwable image = DockerErrors.translate(engine, "create web-0", new com.github.dockerjava.api.exception
        .NotFoundException("No such image: orch-test/does-not-exist:9"), null, "web-0");
    assertEquals("orch-test/does-not-exist:9",
        assertInstanceOf(dev.orch.api.runtime.ImageNotFoundException.class, image).image());
    Throwable name = DockerErrors.translate(engine, "create web-0", new com.github.dockerjava.api.exception
        .ConflictException("Conflict. The container name \"/web-0\" is already in use"), null, "web-0");
    assertEquals("web-0", assertInstanceOf(dev.orch.api.runtime.NameInUseException.class, name).name());
    Throwable memory = DockerErrors.translate(engine, "create web-0", new com.github.dockerjava.api.exception
        .BadRequestException("Minimum memory limit allowed is 6MB"), null, "web-0");
    assertInstanceOf(dev.orch.api.runtime.RequestRefusedException.class, memory);
    assertInstanceOf(dev.orch.api.runtime.RuntimeUnavailableException.class, DockerErrors.translate(engine,
        "start web-0", new RuntimeException(new java.net.ConnectException("Connection refused")), "e0/abc", null));
    assertInstanceOf(dev.orch.api.runtime.RuntimeUnavailableException.class, DockerErrors.translate(engine,
        "start web-0", new java.util.concurrent.TimeoutException(), "e0/abc", null));
  }

  @Test
  void everyBadSettingIsNamedAtOnce() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> DockerRuntime.builder()
        .callTimeout(Duration.ZERO).retries(-1).build());
    assertTrue(e.getMessage().contains("3 problems"), e.getMessage());
    assertTrue(e.getMessage().contains("engines: []"), e.getMessage());
    assertTrue(e.getMessage().contains("callTimeout: PT0S: must be positive"), e.getMessage());
    assertTrue(e.getMessage().contains("retries: -1: must be >= 0"), e.getMessage());
    IllegalArgumentException dup = assertThrows(IllegalArgumentException.class, () -> DockerRuntime.builder()
        .engine("a", "unix:///x.sock").engine("a", "unix:///y.sock").build());
    assertTrue(dup.getMessage().contains("\"a\": node ids must be unique"), dup.getMessage());
  }

  @Test
  void anEngineThatDoesNotAnswerIsANodeNotReadyAndCallsFailFast(@TempDir Path dir) throws Exception {
    String socket = "unix://" + dir.resolve("none.sock");
    try (DockerRuntime runtime = DockerRuntime.builder()
        .engine(DockerEngine.of("gone", socket).withCapacity(Resources.of("2", "2Gi")))
        .healthCheck(Duration.ofMillis(100), Duration.ofMillis(500)).build()) {
      List<NodeInfo> nodes = runtime.nodes().toCompletableFuture().get();
      assertEquals(1, nodes.size());
      assertFalse(nodes.get(0).ready());
      assertEquals(Resources.of("2", "2Gi"), nodes.get(0).capacity());
      Throwable t = failure(runtime.create(new ContainerCreateRequest("c", "gone",
          ContainerSpec.builder("img").build(), Map.of())));
      assertInstanceOf(NodeNotReadyException.class, t);
      assertTrue(t.getMessage().contains("gone") && t.getMessage().contains(socket), t.getMessage());
      assertEquals(List.of(), runtime.list(LabelSelector.ALL).toCompletableFuture().get(),
          "only reachable nodes are listed");
    }
  }

  @Test
  void unknownNodesAndIdsOfNoEngineFailWithTheirExceptions(@TempDir Path dir) throws Exception {
    try (DockerRuntime runtime = DockerRuntime.builder().engine("e0", "unix://" + dir.resolve("x.sock"))
        .healthCheck(Duration.ofMillis(100), Duration.ofMillis(500)).build()) {
      Throwable node = failure(runtime.create(new ContainerCreateRequest("c", "nowhere",
          ContainerSpec.builder("img").build(), Map.of())));
      assertInstanceOf(NoSuchNodeException.class, node);
      assertTrue(node.getMessage().contains("nowhere"), node.getMessage());
      for (String id : List.of("abc", "zz/abc", "e0/")) {
        Throwable t = failure(runtime.inspect(id));
        assertInstanceOf(NoSuchContainerException.class, t);
        assertTrue(t.getMessage().contains(id), t.getMessage());
      }
      assertInstanceOf(ContainerRuntimeException.class, failure(runtime.stop("e0/abc", Duration.ofSeconds(1))));
    }
  }

  @Test
  void theProviderRefusesMissingHostsAndUnknownKeys() {
    DockerRuntimeProvider p = new DockerRuntimeProvider();
    assertEquals("docker", p.name());
    ContainerRuntimeException none = assertThrows(ContainerRuntimeException.class, () -> p.create(Map.of()));
    assertTrue(none.getMessage().contains("docker.hosts"), none.getMessage());
    ContainerRuntimeException typo = assertThrows(ContainerRuntimeException.class,
        () -> p.create(Map.of("docker.host", "unix:///x")));
    assertTrue(typo.getMessage().contains("docker.host:") && typo.getMessage().contains("unknown"),
        typo.getMessage());
  }

  private static Throwable failure(CompletionStage<?> stage) throws Exception {
    try {
      stage.toCompletableFuture().get(10, TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      return e.getCause();
    }
    throw new AssertionError("expected a failure");
  }
}
