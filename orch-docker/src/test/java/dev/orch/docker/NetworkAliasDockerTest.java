package dev.orch.docker;

import static dev.orch.docker.OrchestratedDocker.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.model.ContainerNetwork;
import dev.orch.api.runtime.ContainerCreateRequest;
import dev.orch.api.runtime.ContainerInfo;
import dev.orch.api.runtime.ContainerState;
import dev.orch.api.runtime.ExecResult;
import dev.orch.api.runtime.LabelSelector;
import dev.orch.api.runtime.NetworkInfo;
import dev.orch.api.runtime.OrchLabels;
import dev.orch.api.runtime.PortBinding;
import dev.orch.api.spec.ContainerSpec;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Network aliases on real engines: a name finds the replica connected under it and leaves it when its aliases
 * change, while the replica keeps its address and a request in flight to it completes; connecting again under
 * the same aliases changes nothing; containers of an owner do not reach each other over the owner's network,
 * though their published ports answer on 127.0.0.1. Needs one engine.
 */
class NetworkAliasDockerTest {
  private static final int HTTP_PORT = 8080;
  private static final Duration EXEC = Duration.ofSeconds(30);
  /** A CGI page that marks its start, then answers after 5 s (time for the re-join to happen in between). */
  private static final String SLOW_CGI = "mkdir -p /www/cgi-bin && printf '%s\\n' '#!/bin/sh'"
      + " 'touch /tmp/slow-started' 'sleep 5' \"printf 'Content-Type: text/plain\\\\r\\\\n\\\\r\\\\nslow-ok'\""
      + " > /www/cgi-bin/slow && chmod +x /www/cgi-bin/slow";

  private final String owner = OrchestratedDocker.ownerId("alias");
  private final String run = "alias-" + UUID.randomUUID().toString().substring(0, 8);
  private DockerRuntime runtime;
  private DockerClient docker;
  private int seq;

  @BeforeEach
  void engines() {
    String endpoint = DockerTestEngines.require(1).get(0);
    runtime = DockerTestEngines.runtime(1);
    docker = DockerTestEngines.client(endpoint);
  }

  @AfterEach
  void tearDown() throws IOException {
    try {
      if (runtime != null) {
        for (ContainerInfo c : await(runtime.list(LabelSelector.of(OrchLabels.OWNER, owner)))) {
          await(runtime.remove(c.id()));
        }
        for (NetworkInfo n : await(runtime.listNetworks(LabelSelector.of(OrchLabels.OWNER, owner)))) {
          await(runtime.removeNetwork(n.nodeId(), n.name()));
        }
      }
    } finally {
      if (runtime != null) {
        runtime.close();
      }
      if (docker != null) {
        docker.close();
      }
    }
  }

  @Test
  void aNameFindsTheReplicaConnectedUnderItAndLeavesItWhileItsAddressStays() {
    String net = network("svc");
    String filler = started(sleeper());
    String server = started(sleeper());
    String caller = started(sleeper());
    await(runtime.connect(filler, net, Set.of()));
    await(runtime.connect(server, net, Set.of("inv")));
    await(runtime.connect(caller, net, Set.of()));
    freeALowerAddress(filler, net);
    String before = address(server, net);

    OrchestratedDocker.awaitUntil("inv resolves to " + before, () -> exec(caller, "nslookup inv").toString(),
        () -> exec(caller, "nslookup inv").stdout().contains("Address: " + before));

    await(runtime.connect(server, net, Set.of()));
    ExecResult gone = exec(caller, "nslookup inv");
    assertNotEquals(0, gone.exitCode(), gone::toString);
    assertTrue(gone.stdout().contains("NXDOMAIN") || gone.stderr().contains("NXDOMAIN"), gone::toString);
    assertEquals(before, address(server, net), "the address on the network stays");
    assertFalse(endpoint(server, net).getAliases() != null && endpoint(server, net).getAliases().contains("inv"),
        () -> "aliases: " + endpoint(server, net).getAliases());

    await(runtime.connect(server, net, Set.of("inv", "inv-v2")));
    assertEquals(before, address(server, net), "and stays when a name comes back");
    OrchestratedDocker.awaitUntil("inv-v2 resolves to " + before, () -> exec(caller, "nslookup inv-v2").toString(),
        () -> exec(caller, "nslookup inv-v2").stdout().contains("Address: " + before));
  }

  /**
   * The server leaves its name and gets it back while a request to it is in flight; each time the request
   * completes. (Two CI runs once saw it hang: a MASQUERADE rule a killed engine had left on the host for the same
   * subnet NATed the connection, which the re-join's conntrack flush then broke; the engines' script now removes
   * such leftovers.)
   */
  @Test
  void aRequestInFlightCompletesWhileTheServersAliasesChange() {
    String net = network("svc");
    String filler = started(sleeper());
    String server = started(httpd());
    assertEquals(0, exec(server, SLOW_CGI).exitCode());
    String caller = started(sleeper());
    await(runtime.connect(filler, net, Set.of()));
    await(runtime.connect(server, net, Set.of("inv")));
    await(runtime.connect(caller, net, Set.of()));
    freeALowerAddress(filler, net);
    String ip = address(server, net);

    for (Set<String> aliases : List.of(Set.<String>of(), Set.of("inv"))) {
      assertEquals(0, exec(server, "rm -f /tmp/slow-started").exitCode());
      CompletableFuture<ExecResult> request = runtime.exec(caller, List.of("sh", "-c",
          "printf 'GET /cgi-bin/slow HTTP/1.0\\r\\n\\r\\n' | nc -w 20 " + ip + " " + HTTP_PORT),
          EXEC).toCompletableFuture();
      OrchestratedDocker.awaitUntil("the slow page started", () -> "request " + request,
          () -> exec(server, "test -e /tmp/slow-started").exitCode() == 0);
      await(runtime.connect(server, net, aliases));
      assertFalse(request.isDone(), () -> "the alias change came after the request had ended: " + request.join());
      ExecResult done = request.join();
      assertTrue(done.stdout().contains("slow-ok"), () -> "the request in flight completes: " + done);
      assertEquals(ip, address(server, net), "the address on the network stays");
    }
  }

  @Test
  void connectingAgainUnderTheSameAliasesChangesNothing() {
    String net = network("svc");
    String server = started(sleeper());
    await(runtime.connect(server, net, Set.of("inv")));
    ContainerNetwork first = endpoint(server, net);

    await(runtime.connect(server, net, Set.of("inv")));
    ContainerNetwork again = endpoint(server, net);
    assertEquals(first.getIpAddress(), again.getIpAddress(), "the same address");
    assertEquals(first.getEndpointId(), again.getEndpointId(), "the same endpoint: it never left");
  }

  @Test
  void aCreatedContainersAliasesChangeBeforeItHasAnAddress() {
    String net = network("svc");
    String created = await(runtime.create(request(sleeper()))).id();
    await(runtime.connect(created, net, Set.of("inv")));
    await(runtime.connect(created, net, Set.of("inv-v2")));
    List<String> aliases = endpoint(created, net).getAliases();
    assertTrue(aliases.contains("inv-v2") && !aliases.contains("inv"), () -> "aliases: " + aliases);

    await(runtime.start(created));
    awaitRunning(created);
    assertTrue(endpoint(created, net).getAliases().contains("inv-v2"), () -> endpoint(created, net).toString());
  }

  @Test
  void onANetworkWithoutItsOwnSubnetAliasesStillChange() {
    String net = run + "-plain";
    docker.createNetworkCmd().withName(net).withDriver("bridge")
        .withLabels(Map.of(OrchLabels.OWNER, owner, DockerRuntime.NETWORK_LABEL, "true")).exec();
    String server = started(sleeper());
    String caller = started(sleeper());
    await(runtime.connect(server, net, Set.of("inv")));
    await(runtime.connect(caller, net, Set.of()));

    await(runtime.connect(server, net, Set.of("inv-v2")));
    String now = address(server, net);
    OrchestratedDocker.awaitUntil("inv-v2 resolves to " + now, () -> exec(caller, "nslookup inv-v2").toString(),
        () -> exec(caller, "nslookup inv-v2").stdout().contains("Address: " + now));
    assertNotEquals(0, exec(caller, "nslookup inv").exitCode(), "the old name is gone");
  }

  @Test
  void containersOfAnOwnerDoNotReachEachOtherOnItsNetworkButTheirPublishedPortsAnswer() throws Exception {
    String server = started(httpd());
    String caller = started(sleeper());
    String ownerNet = DockerRuntime.DEFAULT_NETWORK + "-" + owner;
    assertEquals("false", docker.inspectNetworkCmd().withNetworkId(ownerNet).exec().getOptions()
        .get(DockerNetworks.ICC_OPTION), "the owner's network is made with traffic between containers off");

    ExecResult blocked = exec(caller, get(address(server, ownerNet), "/"));
    assertFalse(blocked.stdout().contains("orch test image"), () -> "reached over the owner's network: " + blocked);

    int hostPort = await(runtime.inspect(server)).ports().stream().filter(p -> p.name().equals("http"))
        .mapToInt(PortBinding::hostPort).findFirst().orElseThrow();
    OrchestratedDocker.assertServes(hostPort);

    String net = network("svc");
    await(runtime.connect(server, net, Set.of("inv")));
    await(runtime.connect(caller, net, Set.of()));
    ExecResult wired = exec(caller, get(address(server, net), "/"));
    assertTrue(wired.stdout().contains("orch test image"), () -> "not reached over a wired network: " + wired);
  }

  /**
   * Disconnects {@code filler}, connected before the server: the engine would give its address, lower than
   * the server's, to a container joining at whatever address, so that keeping the server's shows.
   */
  private void freeALowerAddress(String filler, String net) {
    await(runtime.disconnect(filler, net));
  }

  private static String get(String ip, String path) {
    return "printf 'GET " + path + " HTTP/1.0\\r\\n\\r\\n' | nc -w 2 " + ip + " " + HTTP_PORT;
  }

  /** Network {@code run-suffix} on e0, made through the SPI and labelled with the test's owner. */
  private String network(String suffix) {
    String name = run + "-" + suffix;
    await(runtime.createNetwork("e0", name, Map.of(OrchLabels.OWNER, owner)));
    return name;
  }

  private static ContainerSpec sleeper() {
    return ContainerSpec.builder(DockerTestEngines.image())
        .command(OrchestratedDocker.sleeper().toArray(String[]::new)).build();
  }

  private static ContainerSpec httpd() {
    return ContainerSpec.builder(DockerTestEngines.image())
        .command(OrchestratedDocker.httpd(HTTP_PORT).toArray(String[]::new)).port("http", HTTP_PORT).build();
  }

  private ContainerCreateRequest request(ContainerSpec spec) {
    return new ContainerCreateRequest(run + "-" + seq++, "e0", spec, Map.of(OrchLabels.OWNER, owner));
  }

  /** Creates and starts a container of {@code spec} on e0; returns its id once it runs. */
  private String started(ContainerSpec spec) {
    String id = await(runtime.create(request(spec))).id();
    await(runtime.start(id));
    awaitRunning(id);
    return id;
  }

  private void awaitRunning(String id) {
    OrchestratedDocker.awaitUntil(id + " running", () -> await(runtime.inspect(id)).toString(),
        () -> await(runtime.inspect(id)).state() == ContainerState.RUNNING);
  }

  private ExecResult exec(String id, String script) {
    return await(runtime.exec(id, List.of("sh", "-c", script), EXEC));
  }

  /** The container's endpoint on {@code network}, as the engine reports it. */
  private ContainerNetwork endpoint(String id, String network) {
    String dockerId = id.substring(id.indexOf(DockerRuntime.ID_SEPARATOR) + 1);
    ContainerNetwork e = docker.inspectContainerCmd(dockerId).exec().getNetworkSettings().getNetworks().get(network);
    assertNotNull(e, () -> id + " is not on " + network);
    return e;
  }

  private String address(String id, String network) {
    String ip = endpoint(id, network).getIpAddress();
    assertTrue(ip != null && !ip.isEmpty(), () -> id + " has no address on " + network);
    return ip;
  }
}
