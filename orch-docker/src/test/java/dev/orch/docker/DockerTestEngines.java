package dev.orch.docker;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.core.DefaultDockerClientConfig;
import com.github.dockerjava.core.DockerClientImpl;
import com.github.dockerjava.transport.DockerHttpClient;
import com.github.dockerjava.zerodep.ZerodepDockerHttpClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;

/**
 * The Docker Engines tests run against, from the environment that {@code scripts/test-engines.sh start}
 * prints: {@code ORCH_DOCKER_HOSTS} (comma-separated endpoints), {@code ORCH_DOCKER_PIDFILES},
 * {@code ORCH_DOCKER_IMAGE} (the busybox test image) and {@code ORCH_ENGINES_SCRIPT}.
 *
 * <p>{@link #require(int)} skips the test, saying why, when fewer engines answer than it needs; with
 * {@code ORCH_REQUIRE_DOCKER=1} (as in CI) it fails instead. Stateless.
 */
final class DockerTestEngines {
  static final String HOSTS = "ORCH_DOCKER_HOSTS";
  static final String REQUIRE = "ORCH_REQUIRE_DOCKER";

  private DockerTestEngines() {
  }

  /** The endpoints of at least {@code count} answering engines; skips or fails the test otherwise. */
  static List<String> require(int count) {
    String hosts = System.getenv().getOrDefault(HOSTS, "").strip();
    List<String> endpoints = new ArrayList<>();
    for (String h : hosts.split(",")) {
      if (!h.isBlank()) {
        endpoints.add(h.strip());
      }
    }
    String problem = null;
    if (endpoints.size() < count) {
      problem = "needs " + count + " Docker engine(s) but " + HOSTS + " names " + endpoints.size() + " ("
          + (hosts.isEmpty() ? "unset" : hosts) + "); start them with scripts/test-engines.sh start";
    } else {
      for (String e : endpoints.subList(0, count)) {
        String why = ping(e);
        if (why != null) {
          problem = "Docker engine " + e + " from " + HOSTS + " does not answer: " + why;
          break;
        }
      }
    }
    if (problem != null) {
      if ("1".equals(System.getenv(REQUIRE))) {
        Assertions.fail(problem + " (" + REQUIRE + "=1, so this fails instead of skipping)");
      }
      Assumptions.abort(problem + "; Docker test skipped");
    }
    return endpoints.subList(0, count);
  }

  /** The test image (a busybox root filesystem the script imports). */
  static String image() {
    return System.getenv().getOrDefault("ORCH_DOCKER_IMAGE", "orch-test/busybox:1");
  }

  /** A runtime over the first {@code count} engines, named {@code e0}, {@code e1}, ... */
  static DockerRuntime runtime(int count) {
    List<String> endpoints = require(count);
    DockerRuntime.Builder b = DockerRuntime.builder().callTimeout(Duration.ofSeconds(20))
        .healthCheck(Duration.ofMillis(250), Duration.ofSeconds(1));
    for (int i = 0; i < endpoints.size(); i++) {
      b.engine(DockerEngine.of("e" + i, endpoints.get(i)));
    }
    return b.build();
  }

  /**
   * A runtime over as many engines as {@link #HOSTS} names, up to {@code max} and at least one, for tests that
   * use a second node where there is one and skip that part otherwise.
   */
  static DockerRuntime runtimeUpTo(int max) {
    String hosts = System.getenv().getOrDefault(HOSTS, "");
    long named = java.util.Arrays.stream(hosts.split(",")).filter(h -> !h.isBlank()).count();
    return runtime((int) Math.max(1, Math.min(max, named)));
  }

  /** A docker-java client of engine {@code endpoint}, for looking behind the runtime's back; close it. */
  static DockerClient client(String endpoint) {
    DefaultDockerClientConfig config = DefaultDockerClientConfig.createDefaultConfigBuilder()
        .withDockerHost(endpoint).withDockerTlsVerify(false).build();
    DockerHttpClient http = new ZerodepDockerHttpClient.Builder().dockerHost(config.getDockerHost())
        .connectionTimeout(Duration.ofSeconds(2)).responseTimeout(Duration.ofSeconds(30)).build();
    return DockerClientImpl.getInstance(config, http);
  }

  /** Runs {@code scripts/test-engines.sh <args>} (stop-one N, start-one N) and waits for it. */
  static void script(String... args) throws Exception {
    String script = System.getenv("ORCH_ENGINES_SCRIPT");
    Assumptions.assumeTrue(script != null && Files.isExecutable(Path.of(script)),
        "ORCH_ENGINES_SCRIPT is not set to scripts/test-engines.sh; test skipped");
    List<String> cmd = new ArrayList<>(List.of(script));
    cmd.addAll(List.of(args));
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD)
        .start();
    if (!p.waitFor(90, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      Assertions.fail("scripts/test-engines.sh " + String.join(" ", args) + " did not finish in 90 s");
    }
    Assertions.assertEquals(0, p.exitValue(), "scripts/test-engines.sh " + String.join(" ", args));
  }

  private static String ping(String endpoint) {
    try {
      DefaultDockerClientConfig config = DefaultDockerClientConfig.createDefaultConfigBuilder()
          .withDockerHost(endpoint).withDockerTlsVerify(false).build();
      try (DockerHttpClient http = new ZerodepDockerHttpClient.Builder().dockerHost(config.getDockerHost())
          .connectionTimeout(Duration.ofSeconds(2)).responseTimeout(Duration.ofSeconds(3)).build();
           DockerClient client = DockerClientImpl.getInstance(config, http)) {
        client.pingCmd().exec();
        client.inspectImageCmd(image()).exec();
        return null;
      }
    } catch (com.github.dockerjava.api.exception.NotFoundException e) {
      return "it lacks the test image " + image() + " (scripts/test-engines.sh start imports it)";
    } catch (Exception e) {
      return e.toString();
    }
  }
}
