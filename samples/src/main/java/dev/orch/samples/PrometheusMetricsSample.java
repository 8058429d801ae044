package dev.orch.samples;

import dev.orch.api.spec.ContainerSpec;
import dev.orch.api.spec.Probe;
import dev.orch.api.spec.Resources;
import dev.orch.api.spec.ServiceSpec;
import dev.orch.core.CrashLoopBackoff;
import dev.orch.core.Orchestrator;
import dev.orch.inmemory.InMemoryRuntime;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.time.Duration;

/**
 * Orch's Micrometer meters on a Prometheus endpoint: an {@link Orchestrator} on a 3-node in-memory cluster
 * reports to a {@link PrometheusMeterRegistry}, which the JDK's HTTP server serves at
 * {@code http://127.0.0.1:<port>/metrics} (a free port, loopback only). The sample applies one service,
 * {@value #SERVICE}, with two replicas and an HTTP readiness probe, so that the reconcile, scheduler and
 * probe meters have values from the start. Every engine meter carries the tag {@code owner="}{@value #OWNER}{@code "}.
 *
 * <p>To wire your own orchestrator the same way, pass the registry to the builder:
 * <pre>{@code
 * PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
 * Orchestrator orch = Orchestrator.builder().runtime(runtime).meterRegistry(registry).build();
 * // serve registry.scrape() at /metrics
 * }</pre>
 *
 * <p>Thread-safe. {@link #close()} stops the endpoint, then the orchestrator, the runtime and the registry.
 */
public final class PrometheusMetricsSample implements AutoCloseable {
  /** The sample orchestrator's owner id, the {@code owner} tag of every engine meter. */
  public static final String OWNER = "prometheus-sample";
  /** The service the sample applies. */
  public static final String SERVICE = "orders";

  private final PrometheusMeterRegistry registry;
  private final InMemoryRuntime runtime;
  private final Orchestrator orchestrator;
  private final PrometheusEndpoint endpoint;

  private PrometheusMetricsSample(PrometheusMeterRegistry registry, InMemoryRuntime runtime,
                                  Orchestrator orchestrator, PrometheusEndpoint endpoint) {
    this.registry = registry;
    this.runtime = runtime;
    this.orchestrator = orchestrator;
    this.endpoint = endpoint;
  }

  /**
   * Builds the cluster and the orchestrator, applies {@value #SERVICE} and starts serving the meters; returns
   * at once, before the replicas are ready ({@code orchestrator().awaitReady(SERVICE, timeout)} waits for them).
   *
   * @throws IOException when no loopback port can be bound; nothing is left running then
   */
  public static PrometheusMetricsSample start() throws IOException {
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    InMemoryRuntime runtime = InMemoryRuntime.builder().nodes(3, Resources.of("4", "8Gi")).build();
    // A short crash-loop backoff, so that a crashed replica comes back (and orch.restarts moves) within a second.
    Orchestrator orchestrator = Orchestrator.builder().runtime(runtime).meterRegistry(registry).ownerId(OWNER)
        .crashLoopBackoff(new CrashLoopBackoff(Duration.ofMillis(200), Duration.ofSeconds(5), Duration.ofMinutes(1)))
        .build();
    PrometheusEndpoint endpoint;
    try {
      // A literal address: no name lookup, and never an interface other than loopback.
      endpoint = PrometheusEndpoint.start(registry, new InetSocketAddress("127.0.0.1", 0));
      orchestrator.apply(ServiceSpec.builder(SERVICE).replicas(2)
          .container(ContainerSpec.builder("orders:1.0").port("http", 8080).requests("500m", "256Mi").build())
          .readiness(Probe.http("/ready", "http").withPeriod(Duration.ofMillis(200)))
          .build());
    } catch (IOException | RuntimeException e) {
      orchestrator.close();
      runtime.close();
      registry.close();
      throw e;
    }
    return new PrometheusMetricsSample(registry, runtime, orchestrator, endpoint);
  }

  /** Where the meters are served: {@code http://127.0.0.1:<port>/metrics}. */
  public URI metricsUri() {
    return endpoint.uri();
  }

  /** The orchestrator whose meters are served. */
  public Orchestrator orchestrator() {
    return orchestrator;
  }

  /** The in-memory cluster the orchestrator runs on (to crash a container or fail a node, say). */
  public InMemoryRuntime runtime() {
    return runtime;
  }

  /** The registry the orchestrator reports to and the endpoint serves. */
  public PrometheusMeterRegistry registry() {
    return registry;
  }

  @Override
  public void close() {
    endpoint.close();
    orchestrator.close();
    runtime.close();
    registry.close();
  }

  /**
   * Runs the sample: waits for {@value #SERVICE} to be ready, prints the endpoint's address and Orch's meters as
   * Prometheus reads them, then serves until Enter is pressed (or standard input closes). Exits 1, saying why,
   * when the service is not ready within 30 s.
   */
  public static void main(String[] args) throws Exception {
    try (PrometheusMetricsSample sample = start()) {
      if (!sample.orchestrator().awaitReady(SERVICE, Duration.ofSeconds(30))) {
        System.out.println("FAILED: " + SERVICE + " did not become ready within 30 s: "
            + sample.orchestrator().status(SERVICE).orElseThrow());
        System.exit(1);
      }
      System.out.println("Orch's meters, as Prometheus scrapes them from " + sample.metricsUri() + ":");
      sample.registry().scrape(PrometheusEndpoint.CONTENT_TYPE).lines()
          .filter(line -> line.startsWith("orch_") || line.startsWith("# TYPE orch_"))
          .forEach(line -> System.out.println("  " + line));
      System.out.println();
      System.out.println("Serving " + sample.metricsUri() + " (try: curl " + sample.metricsUri() + "); press Enter to stop.");
      int ignored = System.in.read();
    }
  }
}
