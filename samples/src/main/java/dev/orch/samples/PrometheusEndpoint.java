package dev.orch.samples;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Objects;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * Serves a {@link PrometheusMeterRegistry}'s meters at {@code /metrics} over the JDK's own HTTP server, in
 * Prometheus' text format 0.0.4 (which every Prometheus server reads). {@code GET} and {@code HEAD} only; any
 * other path answers 404. Requests are handled one at a time on one daemon thread, {@code prometheus-endpoint}.
 *
 * <p>Thread-safe. {@link #close()} stops the server at once (a scrape in flight is cut) and its thread; it
 * does not close the registry.
 */
final class PrometheusEndpoint implements AutoCloseable {
  /** The path Prometheus scrapes by default. */
  static final String PATH = "/metrics";
  /** The text exposition format's content type, as Prometheus' own client libraries send it. */
  static final String CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

  private final HttpServer server;
  private final ExecutorService executor;
  private final URI uri;

  private PrometheusEndpoint(HttpServer server, ExecutorService executor) {
    this.server = server;
    this.executor = executor;
    InetSocketAddress bound = server.getAddress();
    this.uri = URI.create("http://" + bound.getAddress().getHostAddress() + ":" + bound.getPort() + PATH);
  }

  /**
   * Starts serving {@code registry} on {@code address}; port 0 takes a free port, which {@link #uri()} then names.
   *
   * @throws IOException when the address cannot be bound (in use, not an address of this machine)
   */
  static PrometheusEndpoint start(PrometheusMeterRegistry registry, InetSocketAddress address) throws IOException {
    Objects.requireNonNull(registry, "registry");
    Objects.requireNonNull(address, "address");
    HttpServer server = HttpServer.create(address, 0);
    ExecutorService executor = Executors.newSingleThreadExecutor(r -> {
      Thread t = new Thread(r, "prometheus-endpoint");
      t.setDaemon(true);
      return t;
    });
    server.createContext(PATH, exchange -> serve(registry, exchange));
    server.setExecutor(executor);
    server.start();
    return new PrometheusEndpoint(server, executor);
  }

  /** The address to scrape: {@code http://<bound address>:<bound port>/metrics}. */
  URI uri() {
    return uri;
  }

  @Override
  public void close() {
    server.stop(0);
    executor.shutdownNow();
  }

  private static void serve(PrometheusMeterRegistry registry, HttpExchange exchange) throws IOException {
    try (exchange) {
      String method = exchange.getRequestMethod();
      // The context matches every path that starts with /metrics; only /metrics itself is the endpoint.
      if (!exchange.getRequestURI().getPath().equals(PATH)) {
        exchange.sendResponseHeaders(404, -1);
        return;
      }
      if (!method.equals("GET") && !method.equals("HEAD")) {
        exchange.getResponseHeaders().set("Allow", "GET, HEAD");
        exchange.sendResponseHeaders(405, -1);
        return;
      }
      byte[] body = registry.scrape(CONTENT_TYPE).getBytes(StandardCharsets.UTF_8);
      exchange.getResponseHeaders().set("Content-Type", CONTENT_TYPE);
      if (method.equals("HEAD")) {
        exchange.sendResponseHeaders(200, -1);
        return;
      }
      exchange.sendResponseHeaders(200, body.length);
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(body);
      }
    }
  }
}
