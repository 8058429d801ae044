package dev.orch.docker;

import static dev.orch.docker.OrchestratedDocker.WAIT;
import static dev.orch.docker.OrchestratedDocker.owned;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.orch.api.spec.ContainerSpec;
import dev.orch.api.spec.IntOrPercent;
import dev.orch.api.spec.Probe;
import dev.orch.api.spec.RolloutStrategy;
import dev.orch.api.spec.ServiceSpec;
import dev.orch.core.OrchEvent;
import dev.orch.core.Orchestrator;
import dev.orch.core.ReplicaStatus;
import dev.orch.core.Revision;
import dev.orch.core.ServiceStatus;
import dev.orch.core.lb.Endpoint;
import dev.orch.core.lb.LoadBalancer;
import dev.orch.core.lb.Pickers;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The drain on real engines: three busybox httpd replicas answer "v1", a client sends real HTTP requests
 * (each answered after 200 ms, so that requests are in flight whenever a replica is taken away) through
 * Orch's load balancer to the ports published on 127.0.0.1, and a rolling update (surge 1, unavailable 0)
 * moves the service to replicas answering "v2". No request fails: each old replica leaves the endpoints,
 * its requests in flight finish, and only then is it stopped. Without time to drain, requests do fail. The
 * same holds through a canary (a third of the traffic to one v2 replica through the endpoints' weights, a
 * pause, then promotion), which takes exactly the steps {@code plan} listed. Needs one engine.
 */
class ZeroDowntimeRollingUpdateDockerTest {
  private static final Logger LOG = LoggerFactory.getLogger(ZeroDowntimeRollingUpdateDockerTest.class);
  private static final int HTTP_PORT = 8080;
  /** The page that answers the revision's answer after 200 ms (a CGI script). */
  static final String SLOW_PAGE = HttpLoadClient.SLOW_PAGE;

  private DockerRuntime runtime;
  private Orchestrator orch;
  private HttpLoadClient client;
  private String v1;
  private String v2;

  @AfterEach
  void tearDown() throws InterruptedException {
    if (client != null) {
      client.stop();
    }
    OrchestratedDocker.cleanUp(orch, runtime);
    if (runtime != null) {
      runtime.close();
    }
  }

  @Test
  void noRequestFailsThroughARollingUpdateAndTheAnswersSwitchFromV1ToV2() throws Exception {
    rollOut(Duration.ofSeconds(10));

    String story = client.describe() + "\n failures: " + client.failures + "\n events:\n"
        + orch.events().recent().stream().map(OrchEvent::toString).collect(Collectors.joining("\n"));
    assertEquals(0, client.failed(), () -> "failed requests; " + story);
    assertTrue(client.succeeded() >= 250, () -> "requests served; " + story);
    List<String> answers = new ArrayList<>(client.answers);
    LOG.info("rolling update v1 -> v2 under load: {}; first v2 answer at #{} of {}", client.describe(),
        answers.indexOf("v2"), answers.size());
    assertEquals("v1", answers.get(0), () -> "the first answer; " + story);
    List<String> last = answers.subList(answers.size() - 100, answers.size());
    assertTrue(last.stream().allMatch("v2"::equals), () -> "only v2 answers at the end: " + last);
    // Every answer came from the revision the load balancer said it picked.
    assertEquals(List.of(), client.mismatched(v1, v2), "answers from a replica of another revision");
  }

  @Test
  void noRequestFailsThroughACanaryThatTakesItsPlannedSteps() throws Exception {
    RolloutStrategy canary = RolloutStrategy.canary().setWeight(34).pause(Duration.ofSeconds(2)).build();
    dev.orch.core.RolloutPlan plan = rollOut(Duration.ofSeconds(10), canary, Pickers.weightedRoundRobin());

    String story = client.describe() + "\n failures: " + client.failures + "\n status: " + status(orch);
    assertEquals(0, client.failed(), () -> "failed requests; " + story);
    List<String> answers = new ArrayList<>(client.answers);
    assertEquals("v1", answers.get(0), () -> "the first answer; " + story);
    List<String> last = answers.subList(answers.size() - 100, answers.size());
    assertTrue(last.stream().allMatch("v2"::equals), () -> "only v2 answers at the end: " + last);
    assertEquals(plan.steps(), status(orch).rollout().steps(), () -> "the planned steps; " + story);
    assertEquals(List.of(), client.mismatched(v1, v2), "answers from a replica of another revision");
  }

  @Test
  void withoutTimeToDrainRequestsDoFail() throws Exception {
    // The counter-test: the same update, with in-flight requests given no time, loses requests.
    rollOut(Duration.ofNanos(1));
    LOG.info("rolling update v1 -> v2 without drain: {}; failures: {}", client.describe(), client.failures);
    assertTrue(client.failed() > 0, () -> "failed requests: " + client.describe());
  }

  private void rollOut(Duration drainTimeout) throws Exception {
    rollOut(drainTimeout, RolloutStrategy.RollingUpdate.of(IntOrPercent.of(1), IntOrPercent.of(0)),
        Pickers.roundRobin());
  }

  /**
   * Runs "web" on v1, starts the client, updates to v2 with {@code strategy}, waits until only three ready
   * v2 replicas remain and 100 more requests are served, then stops the client; returns the plan made just
   * before the update.
   */
  private dev.orch.core.RolloutPlan rollOut(Duration drainTimeout, RolloutStrategy strategy,
                                            dev.orch.core.lb.Picker picker) throws Exception {
    runtime = DockerTestEngines.runtime(1);
    orch = Orchestrator.builder().runtime(runtime).ownerId(OrchestratedDocker.ownerId("zero-downtime"))
        .terminationGrace(Duration.ofSeconds(2)).drainTimeout(drainTimeout).build();
    Orchestrator o = orch;
    orch.apply(web("v1", strategy));
    assertTrue(orch.awaitReady("web", WAIT), () -> "web not ready on v1: " + status(o));
    v1 = lastRevision(orch);

    client = new HttpLoadClient(orch.loadBalancer("web", picker));
    HttpLoadClient c = client;
    OrchestratedDocker.awaitUntil("the client is served by v1", c::describe, () -> c.succeeded() >= 50);

    dev.orch.core.RolloutPlan plan = orch.plan(web("v2", strategy));
    orch.apply(web("v2", strategy));
    v2 = lastRevision(orch);
    assertNotEquals(v1, v2, "a new env is a new revision");
    String target = v2;
    OrchestratedDocker.awaitUntil("three ready replicas on revision " + v2 + " and no other container",
        () -> status(o) + "\n owned: " + owned(runtime, o.ownerId()) + "\n client: " + c.describe(), () -> {
          ServiceStatus s = status(o);
          return s.isReady() && s.replicas().stream().map(ReplicaStatus::revision).allMatch(target::equals)
              && owned(runtime, o.ownerId()).size() == 3;
        });
    // Keep the load on a little longer: only v2 is left to answer.
    int atEnd = client.succeeded();
    OrchestratedDocker.awaitUntil("100 more requests served on v2", c::describe,
        () -> c.succeeded() >= atEnd + 100);
    client.stop();
    return plan;
  }

  /**
   * Service "web": three busybox httpd replicas serving {@code answer} at /index.html (the readiness
   * probe's page) and, after 200 ms, at {@link #SLOW_PAGE}; the shell ends on SIGTERM at once.
   */
  static ServiceSpec web(String answer, RolloutStrategy strategy) {
    String script = "trap 'exit 0' TERM; mkdir -p /www/cgi-bin && echo \"$ANSWER\" > /www/index.html"
        + " && printf '%s\\n' '#!/bin/sh' 'echo Content-Type: text/plain' 'echo' 'sleep 0.2' \"echo $ANSWER\""
        + " > /www" + SLOW_PAGE + " && chmod +x /www" + SLOW_PAGE
        + " && httpd -f -p " + HTTP_PORT + " -h /www & wait";
    return ServiceSpec.builder("web").replicas(3)
        .container(ContainerSpec.builder(DockerTestEngines.image()).command("sh", "-c", script)
            .env("ANSWER", answer).port("http", HTTP_PORT).requests("100m", "16Mi").build())
        .readiness(Probe.http("/index.html", "http").withPeriod(Duration.ofMillis(500)))
        .rollout(strategy)
        .build();
  }

  private static ServiceStatus status(Orchestrator o) {
    return o.status("web").orElseThrow();
  }

  private static String lastRevision(Orchestrator o) {
    List<Revision> revisions = o.revisions("web");
    return revisions.get(revisions.size() - 1).id();
  }
}
