package dev.orch.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.orch.api.runtime.ContainerCreateRequest;
import dev.orch.api.runtime.ContainerInfo;
import dev.orch.api.runtime.ContainerState;
import dev.orch.api.spec.ContainerSpec;
import dev.orch.docker.DockerEngine;
import dev.orch.docker.DockerRuntime;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.Network;
import org.testcontainers.utility.DockerImageName;

/**
 * Testcontainers 1.21.4 and orch-docker in one JVM, each starting a container on the first test engine
 * ({@code ORCH_DOCKER_HOSTS} from {@code scripts/test-engines.sh start}). Before orch-docker shaded docker-java
 * and Jackson, Maven put Testcontainers' docker-java-api 3.4.2 and jackson-annotations 2.10.3 beside Orch's
 * docker-java-core and jackson-databind, and {@code DockerRuntime} failed with
 * {@code NoClassDefFoundError: com/fasterxml/jackson/annotation/JsonKey}.
 */
class TestcontainersNeighbourTest {
  private static String host;
  private static String image;

  @BeforeAll
  static void engine() throws IOException {
    host = System.getenv().getOrDefault("ORCH_DOCKER_HOSTS", "").split(",")[0].strip();
    image = System.getenv().getOrDefault("ORCH_DOCKER_IMAGE", "orch-test/busybox:1");
    if (host.isEmpty()) {
      String why = "ORCH_DOCKER_HOSTS is unset; start engines with scripts/test-engines.sh start";
      if ("1".equals(System.getenv("ORCH_REQUIRE_DOCKER"))) {
        Assertions.fail(why + " (ORCH_REQUIRE_DOCKER=1, so this fails instead of skipping)");
      }
      Assumptions.abort(why);
    }
    // Testcontainers finds its engine through DOCKER_HOST or docker.host in ~/.testcontainers.properties;
    // user.home is this build's own directory (see the POM), so this leaves the real home alone.
    Path home = Path.of(System.getProperty("user.home"));
    Files.createDirectories(home);
    Files.writeString(home.resolve(".testcontainers.properties"), "docker.host=" + host + "\n");
  }

  @Test
  void testcontainersStartsAContainerBesideOrch() {
    try (Network network = Network.newNetwork();
         GenericContainer<?> c = new GenericContainer<>(DockerImageName.parse(image))
             .withNetwork(network)
             .withCommand("sh", "-c", "echo neighbour; sleep 100000")) {
      c.start();
      assertTrue(c.isRunning(), "Testcontainers' container runs");
    }
  }

  @Test
  void orchStartsAContainerBesideTestcontainers() throws Exception {
    String owner = "neighbour-" + UUID.randomUUID().toString().substring(0, 8);
    try (DockerRuntime runtime = DockerRuntime.builder().engine(DockerEngine.of("e0", host))
        .callTimeout(Duration.ofSeconds(20)).build()) {
      ContainerSpec spec = ContainerSpec.builder(image)
          .command("sh", "-c", "trap 'exit 0' TERM; sleep 100000 & wait").requests("10m", "8Mi").build();
      Map<String, String> labels = Map.of("orch.owner", owner, "orch.service", "neighbour", "orch.ordinal", "0");
      ContainerInfo created = runtime.create(new ContainerCreateRequest(owner + "-0", "e0", spec, labels))
          .toCompletableFuture().get(30, TimeUnit.SECONDS);
      try {
        runtime.start(created.id()).toCompletableFuture().get(30, TimeUnit.SECONDS);
        ContainerInfo running = runtime.inspect(created.id()).toCompletableFuture().get(30, TimeUnit.SECONDS);
        assertEquals(ContainerState.RUNNING, running.state(), running::toString);
      } finally {
        runtime.kill(created.id()).toCompletableFuture().exceptionally(e -> null).get(30, TimeUnit.SECONDS);
        runtime.remove(created.id()).toCompletableFuture().get(30, TimeUnit.SECONDS);
      }
    }
  }
}
