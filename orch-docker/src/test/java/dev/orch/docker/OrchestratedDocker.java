package dev.orch.docker;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.orch.api.runtime.ContainerInfo;
import dev.orch.api.runtime.ContainerRuntime;
import dev.orch.api.runtime.LabelSelector;
import dev.orch.api.runtime.OrchLabels;
import dev.orch.api.runtime.VolumeInfo;
import dev.orch.core.Orchestrator;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

/** Helpers for tests that run an Orchestrator over real engines. Stateless. */
final class OrchestratedDocker {
  static final Duration WAIT = Duration.ofSeconds(60);

  private OrchestratedDocker() {
  }

  /** An owner id unique to one test, so that tests never see each other's containers. */
  static String ownerId(String hint) {
    return "test-" + hint + "-" + UUID.randomUUID().toString().substring(0, 8);
  }

  /** The busybox httpd, ending on SIGTERM at once (PID 1 ignores it unless it traps it). */
  static List<String> httpd(int port) {
    return List.of("sh", "-c", "trap 'exit 0' TERM; httpd -f -p " + port + " -h /www & wait");
  }

  /** A process that runs until stopped and ends on SIGTERM. */
  static List<String> sleeper() {
    return List.of("sh", "-c", "trap 'exit 0' TERM; sleep 100000 & wait");
  }

  static <T> T await(CompletionStage<T> stage) {
    try {
      return stage.toCompletableFuture().get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
    } catch (ExecutionException e) {
      if (e.getCause() instanceof RuntimeException re) {
        throw re;
      }
      throw new AssertionError(e.getCause());
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  /** The containers {@code owner} has on the runtime's reachable engines. */
  static List<ContainerInfo> owned(ContainerRuntime runtime, String owner) {
    return await(runtime.list(LabelSelector.of(OrchLabels.OWNER, owner)));
  }

  /** GETs {@code http://127.0.0.1:port/} and checks that the busybox httpd serves the test page. */
  static void assertServes(int port) throws Exception {
    HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/"))
        .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
    assertEquals(200, r.statusCode(), "GET 127.0.0.1:" + port);
    assertEquals("orch test image", r.body().strip(), "body from 127.0.0.1:" + port);
  }

  /** Waits up to {@link #WAIT} until {@code condition} holds; on timeout, fails with {@code state} described. */
  static void awaitUntil(String what, java.util.function.Supplier<String> state,
                         java.util.concurrent.Callable<Boolean> condition) {
    try {
      org.awaitility.Awaitility.await().atMost(WAIT).pollInterval(Duration.ofMillis(200)).alias(what)
          .until(condition);
    } catch (org.awaitility.core.ConditionTimeoutException e) {
      throw new AssertionError(what + ": not reached in " + WAIT + "; state: " + state.get(), e);
    }
  }

  /** Removes what the orchestrator owns (containers, then volumes) and closes it. */
  static void cleanUp(Orchestrator orch, ContainerRuntime runtime) throws InterruptedException {
    if (orch == null) {
      return;
    }
    orch.closeAndRemoveAll(Duration.ofSeconds(30));
    for (VolumeInfo v : await(runtime.listVolumes(LabelSelector.of(OrchLabels.OWNER, orch.ownerId())))) {
      await(runtime.removeVolume(v.nodeId(), v.name()));
    }
  }
}
