package dev.orch.docker;

import static dev.orch.docker.OrchestratedDocker.WAIT;
import static dev.orch.docker.OrchestratedDocker.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.orch.api.policy.IngressRule;
import dev.orch.api.policy.NetworkPolicy;
import dev.orch.api.policy.PeerSelector;
import dev.orch.api.policy.PolicyPort;
import dev.orch.api.runtime.ExecResult;
import dev.orch.api.runtime.LabelSelector;
import dev.orch.api.runtime.OrchLabels;
import dev.orch.api.spec.ContainerSpec;
import dev.orch.api.spec.IntOrPercent;
import dev.orch.api.spec.Probe;
import dev.orch.api.spec.Protocol;
import dev.orch.api.spec.RolloutStrategy;
import dev.orch.api.spec.ServiceSpec;
import dev.orch.core.Condition;
import dev.orch.core.Orchestrator;
import dev.orch.core.ReplicaStatus;
import dev.orch.core.ServiceStatus;
import dev.orch.core.policy.Verdict;
import java.time.Duration;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Discovery and network policy on real engines: {@code orders} reaches {@code inventory} by name from inside its
 * container, with its address in its environment; a policy applied at run time cuts {@code payments} off (its
 * connection fails within a bounded time) while a load from inside {@code orders} loses no request; deleting the
 * policy restores access; a replica that stops being ready leaves the name; a rolling update under load from
 * inside a container fails no request; nothing of Orch's networks is left after {@code closeAndRemoveAll}; and a
 * name does not reach across engines, which the status and {@code check} say. Needs two engines.
 */
class DiscoveryDockerTest {
  private static final int PORT = 8080;
  private static final Pattern ADDRESS = Pattern.compile("Address(?: \\d+)?:\\s*(10\\.[0-9.]+)");
  private static final NetworkPolicy INVENTORY_FROM_ORDERS = NetworkPolicy.builder("inventory-from-orders")
      .selectServices("inventory")
      .allowIngress(IngressRule.from(PeerSelector.services("orders")).on(PolicyPort.tcp("http")))
      .build();

  private DockerRuntime runtime;
  private Orchestrator orch;

  @AfterEach
  void tearDown() throws InterruptedException {
    OrchestratedDocker.cleanUp(orch, runtime);
    if (runtime != null) {
      runtime.close();
    }
  }

  private void start(int engines, String hint) {
    runtime = DockerTestEngines.runtime(engines);
    orch = Orchestrator.builder().runtime(runtime).ownerId(OrchestratedDocker.ownerId(hint))
        .terminationGrace(Duration.ofSeconds(2)).build();
  }

  /** Busybox httpd replicas answering {@code answer} at /index.html and, after 200 ms, at the slow page. */
  private static ServiceSpec inventory(String answer, int replicas) {
    ServiceSpec web = ZeroDowntimeRollingUpdateDockerTest.web(answer, RolloutStrategy.RollingUpdate.of(
        IntOrPercent.of(1), IntOrPercent.of(0)));
    return ServiceSpec.builder("inventory").replicas(replicas).container(web.container()).probes(web.probes())
        .rollout(web.rollout()).build();
  }

  /** One engine running {@code replicas} of inventory answering {@code answer}, and orders calling it, ready. */
  private void inventoryAndOrders(String hint, String answer, int replicas) {
    start(1, hint);
    orch.apply(inventory(answer, replicas));
    orch.apply(caller("orders", "inventory"));
    awaitReady("inventory", "orders");
  }

  private static ServiceSpec caller(String name, String... dependencies) {
    return ServiceSpec.builder(name).replicas(1)
        .container(ContainerSpec.builder(DockerTestEngines.image())
            .command(OrchestratedDocker.sleeper().toArray(String[]::new)).requests("50m", "8Mi").build())
        .dependsOn(dependencies).build();
  }

  private String containerOf(String service) {
    return orch.status(service).orElseThrow().replicas().get(0).containerId();
  }

  private ExecResult exec(String service, String script) {
    return await(runtime.exec(containerOf(service), List.of("sh", "-c", script), Duration.ofSeconds(20)));
  }

  /** What a GET of {@code path} on inventory:8080, by name from inside {@code service}, answered. */
  private String get(String service, String path) {
    return exec(service, "printf 'GET " + path + " HTTP/1.0\\r\\n\\r\\n' | nc -w 3 inventory " + PORT + " 2>&1")
        .stdout();
  }

  private void awaitReady(String... services) {
    for (String s : services) {
      OrchestratedDocker.awaitUntil(s + " ready", () -> orch.status(s).toString(),
          () -> orch.status(s).map(ServiceStatus::isReady).orElse(false));
    }
  }

  /**
   * Starts a load inside {@code service}'s container: GETs of {@code path} on inventory by name, one after
   * another, each line of /tmp/load.log {@code ok <answer>} or {@code FAIL <what came back>}, until /tmp/stop.
   */
  private void startLoad(String service, String path) {
    // busybox nc's -w bounds the connect only: timeout bounds the whole request, so one that hangs shows as a
    // FAIL line (exit 143) instead of stalling the loop. timeout runs nc itself: were it to run a shell around nc,
    // it would end the shell and leave nc holding the command substitution's pipe, and the loop would hang (ci2).
    String request = "printf 'GET " + path + " HTTP/1.0\\r\\n\\r\\n' | timeout 15 nc -w 5 inventory " + PORT
        + " 2>&1 || echo \"exit $?\"";
    String loop = "n=0; while [ ! -f /tmp/stop ] && [ $n -lt 20000 ]; do n=$((n+1)); out=$(" + request + ");"
        + " case \"$out\" in *'200 OK'*) echo \"ok $(echo \"$out\" | tail -1)\";;"
        + " *) echo \"FAIL $(echo \"$out\" | tr '\\n' ' ')\";; esac; done >> /tmp/load.log; echo END >> /tmp/load.log";
    ExecResult r = exec(service, "rm -f /tmp/stop /tmp/load.log; (" + loop + ") > /dev/null 2>&1 &");
    assertEquals(0, r.exitCode(), r::toString);
  }

  private List<String> loadLines(String service) {
    return exec(service, "cat /tmp/load.log 2>/dev/null").stdout().lines().toList();
  }

  private static List<String> last(List<String> lines) {
    return lines.subList(Math.max(0, lines.size() - 10), lines.size());
  }

  private List<String> stopLoad(String service) {
    exec(service, "touch /tmp/stop");
    OrchestratedDocker.awaitUntil("the load in " + service + " ends", () -> "", () ->
        loadLines(service).contains("END"));
    return loadLines(service).stream().filter(l -> !l.equals("END")).toList();
  }

  private static List<String> addresses(String nslookup) {
    Matcher m = ADDRESS.matcher(nslookup);
    java.util.List<String> out = new java.util.ArrayList<>();
    while (m.find()) {
      out.add(m.group(1));
    }
    return out.stream().sorted().toList();
  }

  @Test
  void ordersReachesInventoryByNameAPolicyCutsPaymentsOffAtRunTimeAndDeletingItRestoresAccess() throws Exception {
    start(1, "discovery");
    orch.apply(inventory("inv-v1", 2));
    orch.apply(caller("orders", "inventory"));
    orch.apply(caller("payments"));
    awaitReady("inventory", "orders", "payments");
    OrchestratedDocker.awaitUntil("orders reaches inventory by name", () -> get("orders", "/index.html"),
        () -> get("orders", "/index.html").contains("inv-v1"));
    assertEquals("inventory:8080", exec("orders", "echo $INVENTORY_HOST:$INVENTORY_PORT").stdout().strip());
    assertTrue(get("payments", "/index.html").contains("inv-v1"), "no policy: payments reaches inventory too");

    startLoad("orders", "/index.html");
    OrchestratedDocker.awaitUntil("the load in orders runs", () -> loadLines("orders").toString(),
        () -> loadLines("orders").size() >= 20);
    long t0 = System.nanoTime();
    orch.policies().apply(INVENTORY_FROM_ORDERS);
    OrchestratedDocker.awaitUntil("payments is cut off", () -> get("payments", "/index.html"),
        () -> !get("payments", "/index.html").contains("inv-v1"));
    long cutMillis = (System.nanoTime() - t0) / 1_000_000;
    long c0 = System.nanoTime();
    String cut = get("payments", "/index.html");
    assertTrue((System.nanoTime() - c0) / 1_000_000 < 10_000, "the refused call ends within a bounded time");
    assertTrue(cut.contains("bad address") || cut.isBlank(), () -> "payments' call: " + cut);
    String address = addresses(exec("orders", "nslookup inventory").stdout()).get(0);
    String direct = exec("payments", "printf 'GET /index.html HTTP/1.0\\r\\n\\r\\n' | nc -w 2 " + address + " "
        + PORT + " 2>&1; echo rc=$?").stdout();
    assertFalse(direct.contains("inv-v1"), () -> "payments by inventory's address " + address + ": " + direct);
    Verdict v = orch.policies().check("payments", "inventory", PORT, Protocol.TCP);
    assertFalse(v.allowed(), v::explain);
    assertTrue(v.explain().contains("limit: on docker networks decide by service pair"), v::explain);

    assertTrue(orch.policies().delete("inventory-from-orders"));
    OrchestratedDocker.awaitUntil("payments reaches inventory again", () -> get("payments", "/index.html"),
        () -> get("payments", "/index.html").contains("inv-v1"));
    List<String> lines = stopLoad("orders");
    List<String> failed = lines.stream().filter(l -> l.startsWith("FAIL")).toList();
    assertEquals(List.of(), failed, () -> "requests from orders failed (policy enforced after " + cutMillis + " ms)");
    assertTrue(lines.size() >= 20, lines::toString);

    String owner = orch.ownerId();
    assertFalse(await(runtime.listNetworks(LabelSelector.of(OrchLabels.OWNER, owner))).isEmpty());
    assertTrue(orch.closeAndRemoveAll(Duration.ofSeconds(60)));
    assertEquals(List.of(), await(runtime.listNetworks(LabelSelector.of(OrchLabels.OWNER, owner))),
        "nothing of Orch's networks is left");
    orch = null;
  }

  @Test
  void aReplicaThatStopsBeingReadyLeavesTheName() {
    inventoryAndOrders("discovery-ready", "inv-v1", 2);
    OrchestratedDocker.awaitUntil("inventory's name stands for both replicas",
        () -> exec("orders", "nslookup inventory").stdout(),
        () -> addresses(exec("orders", "nslookup inventory").stdout()).size() == 2);
    List<String> both = addresses(exec("orders", "nslookup inventory").stdout());
    ReplicaStatus unready = orch.status("inventory").orElseThrow().replicas().get(0);
    ExecResult rm = await(runtime.exec(unready.containerId(), List.of("rm", "/www/index.html"),
        Duration.ofSeconds(10)));
    assertEquals(0, rm.exitCode(), rm::toString);
    OrchestratedDocker.awaitUntil("the unready replica leaves the name",
        () -> exec("orders", "nslookup inventory").stdout() + orch.status("inventory"),
        () -> addresses(exec("orders", "nslookup inventory").stdout()).size() == 1);
    List<String> one = addresses(exec("orders", "nslookup inventory").stdout());
    assertTrue(both.containsAll(one), () -> both + " then " + one);
    assertTrue(get("orders", "/index.html").contains("inv-v1"), "the ready replica still answers by name");
  }

  @Test
  void noRequestFromInsideAContainerFailsThroughARollingUpdate() {
    inventoryAndOrders("discovery-rollout", "v1", 3);
    OrchestratedDocker.awaitUntil("orders reaches inventory by name", () -> get("orders", "/index.html"),
        () -> get("orders", "/index.html").contains("v1"));
    startLoad("orders", ZeroDowntimeRollingUpdateDockerTest.SLOW_PAGE);
    OrchestratedDocker.awaitUntil("the load runs", () -> loadLines("orders").toString(),
        () -> loadLines("orders").size() >= 10);

    orch.apply(inventory("v2", 3));
    String v2 = orch.revisions("inventory").get(orch.revisions("inventory").size() - 1).id();
    OrchestratedDocker.awaitUntil("three ready v2 replicas and no other", () -> orch.status("inventory").toString(),
        () -> {
          ServiceStatus s = orch.status("inventory").orElseThrow();
          return s.isReady() && s.replicas().size() == 3
              && s.replicas().stream().allMatch(r -> r.revision().equals(v2));
        });
    int atEnd = loadLines("orders").size();
    OrchestratedDocker.awaitUntil("more requests on v2", () -> "the load's last lines: " + last(loadLines("orders")),
        () -> loadLines("orders").size() >= atEnd + 10);
    List<String> lines = stopLoad("orders");
    assertEquals(List.of(), lines.stream().filter(l -> l.startsWith("FAIL")).toList(),
        () -> "requests from inside orders failed; events: " + orch.events().recent());
    assertTrue(lines.contains("ok v1") && lines.contains("ok v2"), () -> "answers: " + lines);
    assertEquals("ok v2", lines.get(lines.size() - 1));
  }

  @Test
  void aNameDoesNotReachAcrossEnginesAndTheStatusAndCheckSaySo() {
    start(2, "discovery-engines");
    List<String> nodes = runtime.nodeIds().stream().sorted().toList();
    await(orch.started());
    orch.cordon(nodes.get(1));
    orch.apply(inventory("inv-v1", 1));
    awaitReady("inventory");
    orch.uncordon(nodes.get(1));
    orch.cordon(nodes.get(0));
    orch.apply(caller("orders", "inventory"));
    awaitReady("orders");
    assertEquals(nodes.get(1), orch.status("orders").orElseThrow().replicas().get(0).node());
    OrchestratedDocker.awaitUntil("orders says inventory is out of reach", () -> orch.status("orders").toString(),
        () -> orch.status("orders").orElseThrow().conditions().stream().anyMatch(c ->
            c.type().equals("DependenciesReachable") && !c.status()));
    Condition c = orch.status("orders").orElseThrow().conditions().stream()
        .filter(x -> x.type().equals("DependenciesReachable")).findFirst().orElseThrow();
    assertTrue(c.message().contains("inventory has no ready replica on " + nodes.get(1)), c::message);
    Verdict v = orch.policies().check("orders", "inventory", PORT, Protocol.TCP);
    assertTrue(v.allowed(), v::explain);
    assertTrue(v.explain().contains("no route: inventory has no ready replica on " + nodes.get(1)), v::explain);
    String answer = get("orders", "/index.html");
    assertFalse(answer.contains("inv-v1"), () -> "across engines: " + answer);
    assertTrue(answer.contains("bad address"), () -> "across engines: " + answer);
  }
}
