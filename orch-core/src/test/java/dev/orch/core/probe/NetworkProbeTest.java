package dev.orch.core.probe;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.orch.api.runtime.ProbeResult;
import dev.orch.api.spec.PortRef;
import dev.orch.api.spec.Probe;
import dev.orch.api.spec.ProbeAction;
import dev.orch.api.spec.Probes;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** HTTP and TCP probes against real servers on 127.0.0.1, through the prober's own NIO engine. */
class NetworkProbeTest {
  private static final Duration TIMEOUT = Duration.ofSeconds(5);

  private HttpServer server;
  private ExecutorService serverThreads;
  private final CountDownLatch release = new CountDownLatch(1);
  private final AtomicInteger flapStatus = new AtomicInteger(200);
  private HealthProber prober;

  @BeforeEach
  void startServer() throws IOException {
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 50);
    serverThreads = Executors.newCachedThreadPool(r -> {
      Thread t = new Thread(r, "orch-test-httpserver");
      t.setDaemon(true);
      return t;
    });
    server.setExecutor(serverThreads);
    server.createContext("/ok", x -> answer(x, 200, "ok"));
    server.createContext("/chunked", x -> {
      x.sendResponseHeaders(200, 0);
      try (OutputStream out = x.getResponseBody()) {
        out.write("a chunked body".getBytes(StandardCharsets.UTF_8));
      }
    });
    server.createContext("/redirect", x -> {
      x.getResponseHeaders().add("Location", "/ok");
      x.sendResponseHeaders(302, -1);
      x.close();
    });
    server.createContext("/fail", x -> answer(x, 503, "unavailable"));
    server.createContext("/close", x -> {
      x.getResponseHeaders().add("Connection", "close");
      answer(x, 200, "bye");
    });
    server.createContext("/slow", x -> {
      try {
        release.await(2, TimeUnit.SECONDS);   // answers after 2 s, or when the test ends
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      answer(x, 200, "late");
    });
    server.createContext("/flap", x -> answer(x, flapStatus.get(), "flap"));
    server.start();
    prober = HealthProber.builder().seed(7).build();
  }

  @AfterEach
  void stop() {
    prober.close();
    release.countDown();
    server.stop(0);
    serverThreads.shutdownNow();
  }

  private static void answer(HttpExchange x, int status, String body) throws IOException {
    byte[] b = body.getBytes(StandardCharsets.UTF_8);
    x.sendResponseHeaders(status, b.length);
    try (OutputStream out = x.getResponseBody()) {
      out.write(b);
    }
  }

  private ProbeTarget target() {
    return ProbeTarget.builder("web-0").host("127.0.0.1").port("http", server.getAddress().getPort()).build();
  }

  private ProbeResult get(String path, Duration timeout) throws Exception {
    return prober.probeOnce(target(), new ProbeAction.HttpGet(path, PortRef.named("http")), timeout)
        .toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  @Test
  void twoHundredsAndThreeHundredsPassOthersFail() throws Exception {
    assertTrue(get("/ok", TIMEOUT).success());
    assertTrue(get("/chunked", TIMEOUT).success());
    assertTrue(get("/redirect", TIMEOUT).success());
    ProbeResult fail = get("/fail", TIMEOUT);
    assertFalse(fail.success());
    assertEquals("HTTP 503", fail.message());
    ProbeResult missing = get("/nowhere", TIMEOUT);
    assertEquals("HTTP 404", missing.message());
    // The connection survives every answer above, chunked and bodiless ones included.
    assertTrue(get("/ok", TIMEOUT).success());
  }

  @Test
  void aServerThatClosesEachConnectionIsProbedOnAFreshOneEachTime() throws Exception {
    for (int i = 0; i < 5; i++) {
      ProbeResult r = get("/close", TIMEOUT);
      assertTrue(r.success(), r.message());
    }
  }

  /** Answers the first connection's request with {@code raw}, then closes it. */
  private ProbeResult rawAnswer(String raw) throws Exception {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      Thread t = new Thread(() -> {
        try (java.net.Socket c = s.accept()) {
          c.getInputStream().read(new byte[4096]);
          c.getOutputStream().write(raw.getBytes(StandardCharsets.ISO_8859_1));
          c.getOutputStream().flush();
        } catch (IOException e) {
          // the test's probe went away
        }
      }, "orch-test-raw");
      t.setDaemon(true);
      t.start();
      ProbeTarget raw0 = ProbeTarget.builder("raw-0").host("127.0.0.1").port(80, s.getLocalPort()).build();
      return prober.probeOnce(raw0, new ProbeAction.HttpGet("/", PortRef.number(80)), TIMEOUT)
          .toCompletableFuture().get(10, TimeUnit.SECONDS);
    }
  }

  @Test
  void aTruncatedOrNonHttpAnswerFails() throws Exception {
    ProbeResult cut = rawAnswer("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly part");
    assertFalse(cut.success());
    assertTrue(cut.message().contains("connection closed before the response was complete"), cut.message());
    ProbeResult garbage = rawAnswer("SSH-2.0-OpenSSH_9.6\r\n\r\n");
    assertFalse(garbage.success());
    assertTrue(garbage.message().contains("not an HTTP/1.x status line"), garbage.message());
    ProbeResult untilClose = rawAnswer("HTTP/1.0 204 No Content\r\n\r\n");
    assertTrue(untilClose.success(), untilClose.message());
    ProbeResult bodyUntilClose = rawAnswer("HTTP/1.1 200 OK\r\n\r\nthe body ends when the connection does");
    assertTrue(bodyUntilClose.success(), bodyUntilClose.message());
  }

  @Test
  void aClosedProberRefusesNewWatches() {
    prober.close();
    IllegalStateException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalStateException.class,
        () -> prober.watch(target(), Probes.NONE, t -> { }));
    assertEquals("prober is closed: cannot watch web-0", e.getMessage());
  }

  @Test
  void anAnswerPastTheTimeoutFails() throws Exception {
    ProbeResult r = get("/slow", Duration.ofMillis(200));
    assertFalse(r.success());
    assertTrue(r.message().contains("timed out after 200ms"), r.message());
    assertTrue(get("/ok", TIMEOUT).success(), "a timed-out probe leaves the prober usable");
  }

  @Test
  void aRefusedConnectionFailsHttpAndTcpProbes() throws Exception {
    int port;
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      port = s.getLocalPort();
    }
    ProbeTarget closed = ProbeTarget.builder("gone-0").host("127.0.0.1").build();
    ProbeResult http = prober.probeOnce(closed, new ProbeAction.HttpGet("/", PortRef.number(port)), TIMEOUT)
        .toCompletableFuture().get(10, TimeUnit.SECONDS);
    assertFalse(http.success());
    assertTrue(http.message().contains("connection refused"), http.message());
    ProbeResult tcp = prober.probeOnce(closed, new ProbeAction.TcpSocket(PortRef.number(port)), TIMEOUT)
        .toCompletableFuture().get(10, TimeUnit.SECONDS);
    assertFalse(tcp.success());
    assertTrue(tcp.message().contains("connection refused"), tcp.message());
  }

  @Test
  void tcpProbePassesWhenTheConnectionIsAccepted() throws Exception {
    try (ServerSocket s = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
      ProbeTarget t = ProbeTarget.builder("db-0").host("127.0.0.1").port(5432, s.getLocalPort()).build();
      ProbeResult r = prober.probeOnce(t, new ProbeAction.TcpSocket(PortRef.number(5432)), TIMEOUT)
          .toCompletableFuture().get(10, TimeUnit.SECONDS);
      assertTrue(r.success(), r.message());
    }
  }

  @Test
  void probesReuseOneKeptAliveConnection() throws Exception {
    try (CountingHttpServer counting = new CountingHttpServer(false)) {
      ProbeTarget t = ProbeTarget.builder("api-0").host("127.0.0.1").port("http", counting.port()).build();
      for (int i = 0; i < 50; i++) {
        ProbeResult r = prober.probeOnce(t, new ProbeAction.HttpGet("/healthz", PortRef.named("http")), TIMEOUT)
            .toCompletableFuture().get(10, TimeUnit.SECONDS);
        assertTrue(r.success(), r.message());
      }
      assertEquals(1, counting.accepted());
    }
  }

  @Test
  void aStaleReusedConnectionIsRetriedOnceOnAFreshOne() throws Exception {
    try (CountingHttpServer dropping = new CountingHttpServer(true)) {
      ProbeTarget t = ProbeTarget.builder("api-0").host("127.0.0.1").port("http", dropping.port()).build();
      ProbeAction get = new ProbeAction.HttpGet("/healthz", PortRef.named("http"));
      assertTrue(prober.probeOnce(t, get, TIMEOUT).toCompletableFuture().get(10, TimeUnit.SECONDS).success());
      ProbeResult second = prober.probeOnce(t, get, TIMEOUT).toCompletableFuture().get(10, TimeUnit.SECONDS);
      assertTrue(second.success(), "the stale connection must not fail the probe: " + second.message());
      assertEquals(2, dropping.accepted());
    }
  }

  @Test
  void aFlappingServerLeavesAndRejoinsTheReadySet() {
    List<ProbeTransition> seen = new CopyOnWriteArrayList<>();
    Probe readiness = Probe.http("/flap", "http").withPeriod(Duration.ofMillis(50)).withTimeout(TIMEOUT)
        .withThresholds(1, 2);
    ProbeHandle h = prober.watch(target(), Probes.NONE.withReadiness(readiness), seen::add);
    assertFalse(h.state().ready(), "readiness starts not ready");
    await().atMost(TIMEOUT).until(() -> h.state().ready());
    flapStatus.set(500);
    await().atMost(TIMEOUT).until(() -> !h.state().ready());
    assertEquals("readiness: HTTP 500", h.state().lastFailure().orElseThrow());
    flapStatus.set(200);
    await().atMost(TIMEOUT).until(() -> h.state().ready());
    await().atMost(TIMEOUT).until(() -> seen.size() >= 3);
    assertEquals(List.of(ProbeTransition.Type.READY, ProbeTransition.Type.NOT_READY, ProbeTransition.Type.READY),
        seen.stream().map(ProbeTransition::type).collect(Collectors.toList()));
    assertEquals("readiness: HTTP 500", seen.get(1).reason());
  }

  @Test
  void aTcpLivenessProbeFailsWhenTheListenerGoesAway() throws Exception {
    List<ProbeTransition> seen = new CopyOnWriteArrayList<>();
    ServerSocket s = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    ProbeTarget t = ProbeTarget.builder("db-0").host("127.0.0.1").port("db", s.getLocalPort()).build();
    Probe liveness = Probe.tcp("db").withPeriod(Duration.ofMillis(50)).withTimeout(TIMEOUT).withThresholds(1, 3);
    ProbeHandle h = prober.watch(t, Probes.NONE.withLiveness(liveness), seen::add);
    await().atMost(TIMEOUT).until(() -> seen.size() == 1);   // READY: no readiness probe, so ready at once
    assertTrue(h.state().live());
    s.close();
    await().atMost(TIMEOUT).until(() -> !h.state().live());
    await().atMost(TIMEOUT).until(() -> seen.size() == 2);
    assertEquals(ProbeTransition.Type.LIVENESS_FAILED, seen.get(1).type());
    assertTrue(seen.get(1).reason().contains("connection refused"), seen.get(1).reason());
    h.close();
  }
}
