package dev.orch.jmh;

import dev.orch.api.runtime.ProbeResult;
import dev.orch.api.spec.PortRef;
import dev.orch.api.spec.Probe;
import dev.orch.api.spec.ProbeAction;
import dev.orch.api.spec.Probes;
import dev.orch.core.probe.HealthProber;
import dev.orch.core.probe.ProbeTarget;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.lang.management.ThreadMXBean;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * HTTP probes per second against a loopback server ({@link LoopbackHttpServer}: one NIO thread, kept-alive
 * connections, a fixed {@code 200 ok}): Orch's prober, through its own engine ({@link HealthProber#probeOnce},
 * one selector thread, pooled kept-alive connections) beside the JDK's {@link HttpClient} async API, the
 * baseline. One operation is one probe; each invocation keeps {@value #BATCH} probes in flight and waits
 * for them all.
 *
 * <pre>java -jar jmh/target/benchmarks.jar ProbeBenchmark</pre>
 *
 * <p>{@link #main} is the second report: the CPU that 10,000 watched targets at a 1 s period cost the
 * prober, in CPU-seconds per wall-second ({@code java -cp jmh/target/benchmarks.jar dev.orch.jmh.ProbeBenchmark}).
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
@State(Scope.Benchmark)
public class ProbeBenchmark {
  static final int BATCH = 64;

  LoopbackHttpServer server;
  HealthProber prober;
  ProbeTarget target;
  ProbeAction action;
  HttpClient jdk;
  HttpRequest request;
  final CompletableFuture<?>[] pending = new CompletableFuture<?>[BATCH];

  @Setup(Level.Trial)
  public void setUp() throws Exception {
    server = new LoopbackHttpServer();
    prober = HealthProber.builder().maxInFlight(BATCH).build();
    target = ProbeTarget.builder("bench-0").host("127.0.0.1").port("http", server.port()).build();
    action = new ProbeAction.HttpGet("/healthz", PortRef.named("http"));
    jdk = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(1)).build();
    request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + "/healthz"))
        .timeout(Duration.ofSeconds(1)).GET().build();
  }

  @TearDown(Level.Trial)
  public void tearDown() throws Exception {
    prober.close();
    server.close();
  }

  /** Orch's engine: {@value #BATCH} probes in flight, kept-alive connections. */
  @Benchmark
  @OperationsPerInvocation(BATCH)
  public int orch() {
    for (int i = 0; i < BATCH; i++) {
      pending[i] = prober.probeOnce(target, action, Probe.DEFAULT_TIMEOUT).toCompletableFuture();
    }
    int passed = 0;
    for (int i = 0; i < BATCH; i++) {
      if (((ProbeResult) pending[i].join()).success()) {
        passed++;
      }
    }
    return passed;
  }

  /** The baseline: the JDK's HttpClient, async, {@value #BATCH} requests in flight. */
  @Benchmark
  @OperationsPerInvocation(BATCH)
  public int jdkHttpClient() {
    for (int i = 0; i < BATCH; i++) {
      pending[i] = jdk.sendAsync(request, HttpResponse.BodyHandlers.discarding());
    }
    int passed = 0;
    for (int i = 0; i < BATCH; i++) {
      int status = ((HttpResponse<?>) pending[i].join()).statusCode();
      if (status >= 200 && status < 400) {
        passed++;
      }
    }
    return passed;
  }

  /**
   * Watches 10,000 targets (HTTP readiness probes, 1 s period, on the loopback server) and reports the CPU
   * they cost over a measured window, per thread group: the prober's threads ({@code orch-probe-io},
   * {@code orch-timer}), the server's, and the whole process. After a warm-up of 3 periods' worth of probes,
   * the window lasts until {@code seconds} periods' worth more have run (about {@code seconds} seconds).
   *
   * <p>Arguments: {@code [targets] [seconds]}, default 10000 and 10.
   */
  public static void main(String[] args) throws Exception {
    int targets = args.length > 0 ? Integer.parseInt(args[0]) : 10_000;
    int seconds = args.length > 1 ? Integer.parseInt(args[1]) : 10;
    ThreadMXBean threads = ManagementFactory.getThreadMXBean();
    com.sun.management.OperatingSystemMXBean os =
        (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    try (LoopbackHttpServer server = new LoopbackHttpServer();
         HealthProber prober = HealthProber.builder().maxInFlight(1000).seed(1).meterRegistry(registry).build()) {
      Probes spec = Probes.NONE.withReadiness(Probe.http("/healthz", "http").withPeriod(Duration.ofSeconds(1)));
      for (int i = 0; i < targets; i++) {
        prober.watch(ProbeTarget.builder("c-" + i).host("127.0.0.1").port("http", server.port()).build(), spec,
            t -> { });
      }
      // Warm-up: first runs are spread over one period, then the JIT settles.
      awaitProbes(registry, 3.0 * targets, Duration.ofSeconds(30));
      Map<String, Long> cpu0 = cpuByGroup(threads, server.threadName());
      long process0 = os.getProcessCpuTime();
      double probes0 = probes(registry);
      long wall0 = System.nanoTime();
      awaitProbes(registry, probes0 + (double) targets * seconds, Duration.ofSeconds(3L * seconds + 10));
      long wall = System.nanoTime() - wall0;
      double probes = probes(registry) - probes0;
      Map<String, Long> cpu1 = cpuByGroup(threads, server.threadName());
      long process = os.getProcessCpuTime() - process0;
      double wallS = wall / 1e9;
      System.out.printf(Locale.ROOT, "targets %d, period 1s, window %.1fs, cores %d%n", targets, wallS,
          Runtime.getRuntime().availableProcessors());
      System.out.printf(Locale.ROOT, "probes/s                      %10.0f%n", probes / wallS);
      double proberCpu = 0;
      for (String g : new String[] {"orch-probe-io", "orch-timer", "server", "other"}) {
        double s = (cpu1.getOrDefault(g, 0L) - cpu0.getOrDefault(g, 0L)) / 1e9;
        if (g.startsWith("orch-")) {
          proberCpu += s;
        }
        System.out.printf(Locale.ROOT, "cpu-s/s %-22s%10.3f%n", g, s / wallS);
      }
      System.out.printf(Locale.ROOT, "cpu-s/s %-22s%10.3f%n", "prober (io + timer)", proberCpu / wallS);
      System.out.printf(Locale.ROOT, "cpu-s/s %-22s%10.3f%n", "process", process / 1e9 / wallS);
      System.out.printf(Locale.ROOT, "probes per prober cpu-second  %10.0f%n", probes / proberCpu);
      System.out.printf(Locale.ROOT, "connections opened            %10.0f%n",
          registry.get("orch.probe.connections.opened").functionCounter().count());
      System.out.printf(Locale.ROOT, "stale connections retried     %10.0f%n",
          registry.get("orch.probe.connections.stale").functionCounter().count());
      System.out.printf(Locale.ROOT, "failed probes                 %10.0f%n",
          registry.get("orch.probe.results").tag("outcome", "failure").counters().stream()
              .mapToDouble(c -> c.count()).sum());
    }
  }

  /**
   * Polls every 10 ms until the prober has run {@code atLeast} probes in all, or {@code timeout} passes
   * (then says so: the figures cover fewer periods than asked).
   */
  private static void awaitProbes(SimpleMeterRegistry registry, double atLeast, Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (probes(registry) < atLeast) {
      if (System.nanoTime() >= deadline) {
        System.out.printf(Locale.ROOT, "only %.0f of %.0f probes ran within %s%n", probes(registry), atLeast, timeout);
        return;
      }
      LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(10));
    }
  }

  private static double probes(SimpleMeterRegistry registry) {
    return registry.find("orch.probe.results").counters().stream().mapToDouble(c -> c.count()).sum();
  }

  private static Map<String, Long> cpuByGroup(ThreadMXBean threads, String serverThread) {
    Map<String, Long> out = new HashMap<>();
    for (ThreadInfo info : threads.getThreadInfo(threads.getAllThreadIds())) {
      if (info == null) {
        continue;
      }
      long t = threads.getThreadCpuTime(info.getThreadId());
      if (t < 0) {
        continue;
      }
      String n = info.getThreadName();
      String group = n.equals("orch-probe-io") ? n : n.equals("orch-timer") ? n : n.equals(serverThread) ? "server" : "other";
      out.merge(group, t, Long::sum);
    }
    return out;
  }
}
