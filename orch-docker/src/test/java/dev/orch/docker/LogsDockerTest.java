package dev.orch.docker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.model.LogConfig;
import dev.orch.api.runtime.LogLine;
import dev.orch.api.runtime.LogOptions;
import dev.orch.api.spec.ContainerSpec;
import dev.orch.api.spec.Probe;
import dev.orch.api.spec.ServiceSpec;
import dev.orch.core.OrchEvent;
import dev.orch.core.Orchestrator;
import dev.orch.core.ReplicaStatus;
import dev.orch.core.ServiceLogs;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Logs on a real engine: the merged log of a busybox httpd service follows its replicas while it serves requests
 * through the balancer and scales from 2 to 3 (lines of all three appear, each prefixed with its replica, standard
 * error told apart); a container that crashes has its last lines in its status and its {@code Exited} event; and
 * every container Orch starts gets a bounded json-file log (the default, or the spec's limits). Needs one engine.
 */
class LogsDockerTest {
  private static final int PORT = 8080;
  private DockerRuntime runtime;
  private Orchestrator orch;
  private HttpLoadClient client;

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

  /** An httpd that says which container it is on start and, for each request to its page, on standard error. */
  private static ServiceSpec talker(int replicas) {
    String script = "trap 'exit 0' TERM; echo \"up on $(hostname)\"; mkdir -p /www/cgi-bin && echo ok > /www/index.html"
        + " && printf '%s\\n' '#!/bin/sh' 'echo \"served $(hostname)\" >&2' 'echo Content-Type: text/plain' 'echo'"
        + " 'echo v1' > /www" + HttpLoadClient.SLOW_PAGE + " && chmod +x /www" + HttpLoadClient.SLOW_PAGE
        + " && httpd -f -p " + PORT + " -h /www & wait";
    return ServiceSpec.builder("talker").replicas(replicas)
        .container(ContainerSpec.builder(DockerTestEngines.image()).command("sh", "-c", script)
            .port("http", PORT).build())
        .readiness(Probe.http("/index.html", "http").withPeriod(Duration.ofMillis(500)))
        .build();
  }

  @Test
  void theMergedLogFollowsEveryReplicaWhileTheServiceServesAndScalesFromTwoToThree() throws Exception {
    runtime = DockerTestEngines.runtime(1);
    orch = Orchestrator.builder().runtime(runtime).ownerId(OrchestratedDocker.ownerId("logs"))
        .terminationGrace(Duration.ofSeconds(2)).build();
    orch.apply(talker(2));
    assertTrue(orch.awaitReady("talker", OrchestratedDocker.WAIT), () -> "not ready: " + orch.status("talker"));
    Map<String, Set<String>> heard = new ConcurrentHashMap<>();
    try (ServiceLogs logs = orch.logs("talker", LogOptions.defaults().following())) {
      client = new HttpLoadClient(orch.loadBalancer("talker").build());
      readUntil(logs, heard, 2);
      orch.scale("talker", 3);
      assertTrue(orch.awaitReady("talker", OrchestratedDocker.WAIT), () -> "not ready: " + orch.status("talker"));
      readUntil(logs, heard, 3);
    }
    client.stop();
    Set<String> replicas = new java.util.TreeSet<>();
    orch.status("talker").orElseThrow().replicas().forEach(r -> replicas.add(r.name()));
    assertEquals(replicas, new java.util.TreeSet<>(heard.keySet()), "lines of all three, by replica");
    for (Map.Entry<String, Set<String>> e : heard.entrySet()) {
      assertTrue(e.getValue().contains("STDOUT up"), () -> e.getKey() + " said it was up: " + e.getValue());
      assertTrue(e.getValue().contains("STDERR served"), () -> e.getKey() + " served on stderr: " + e.getValue());
    }
    assertEquals(0, client.failed(), client::describe);
    String one = orch.status("talker").orElseThrow().replicas().get(0).containerId();
    DockerClient docker = DockerTestEngines.client(DockerTestEngines.require(1).get(0));
    try (docker) {
      LogConfig log = docker.inspectContainerCmd(one.substring(one.indexOf('/') + 1)).exec().getHostConfig()
          .getLogConfig();
      assertEquals(Map.of("max-size", "10240k", "max-file", "3"), log.getConfig(), "the default limits");
    }
  }

  /** Reads the merged log until {@code want} replicas have each said they were up and served a request. */
  private void readUntil(ServiceLogs logs, Map<String, Set<String>> heard, int want) throws InterruptedException {
    long deadline = System.nanoTime() + OrchestratedDocker.WAIT.toNanos();
    while (System.nanoTime() < deadline && heard.values().stream().filter(s -> s.size() == 2).count() < want) {
      ServiceLogs.Line l = logs.poll(Duration.ofMillis(500));
      if (l == null) {
        continue;
      }
      assertTrue(l.toString().startsWith(l.replica() + " | "), l::toString);
      String text = l.line().text();
      String kind = text.startsWith("up on ") ? "up" : text.startsWith("served ") ? "served" : null;
      if (kind != null) {
        heard.computeIfAbsent(l.replica(), k -> ConcurrentHashMap.newKeySet()).add(l.line().source() + " " + kind);
      }
    }
    assertTrue(heard.values().stream().filter(s -> s.size() == 2).count() >= want, () -> "heard " + heard
        + " from " + logs + "; status " + orch.status("talker") + "; client " + client.describe());
  }

  @Test
  void aCrashedContainersLastLinesAreInItsStatusAndItsEventAndLogsAreBounded() throws Exception {
    runtime = DockerTestEngines.runtime(1);
    orch = Orchestrator.builder().runtime(runtime).ownerId(OrchestratedDocker.ownerId("lastwords"))
        .terminationGrace(Duration.ofSeconds(2)).build();
    orch.apply(ServiceSpec.builder("dier").replicas(1).container(ContainerSpec.builder(DockerTestEngines.image())
        .command("sh", "-c", "echo 'loading config'; echo 'fatal: no config' >&2; exit 3")
        .logLimits("1Mi", 2).build()).build());
    OrchestratedDocker.awaitUntil("an Exited event with the last lines", () -> orch.events().recent().toString(),
        () -> orch.events().recent().stream().anyMatch(e -> e.reason().equals("Exited")
            && e.message().contains("last lines:")));
    OrchEvent exited = orch.events().recent().stream().filter(e -> e.reason().equals("Exited")
        && e.message().contains("last lines:")).findFirst().orElseThrow();
    assertTrue(exited.message().contains("loading config") && exited.message().contains("fatal: no config"),
        exited::message);
    ReplicaStatus r = orch.status("dier").orElseThrow().replicas().get(0);
    assertTrue(r.lastWords().containsAll(List.of("loading config", "fatal: no config")), r::toString);

    DockerClient docker = DockerTestEngines.client(DockerTestEngines.require(1).get(0));
    try (docker) {
      LogConfig spec = docker.inspectContainerCmd(r.containerId().substring(r.containerId().indexOf('/') + 1))
          .exec().getHostConfig().getLogConfig();
      assertEquals("json-file", spec.getType().getType());
      assertEquals(Map.of("max-size", "1024k", "max-file", "2"), spec.getConfig(), "the spec's limits");
    }
    try (var stream = runtime.streamLogs(r.containerId(), LogOptions.defaults().withStreams(false, true))) {
      LogLine only = stream.poll(Duration.ofSeconds(10));
      assertEquals("fatal: no config", only == null ? null : only.text(), "standard error alone");
      assertEquals(LogLine.Source.STDERR, only.source());
    }
  }
}
