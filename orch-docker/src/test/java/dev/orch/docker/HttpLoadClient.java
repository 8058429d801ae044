package dev.orch.docker;

import dev.orch.core.lb.Endpoint;
import dev.orch.core.lb.LoadBalancer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
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

/**
 * A client that starts a request every 5 ms with at most 8 in flight: it picks a replica from the load
 * balancer (none is a failure), GETs {@code /cgi-bin/answer} on its published 127.0.0.1 port with a 5 s
 * timeout, counts a 200 saying "v1" or "v2" as a success and anything else as a failure, and reports
 * the outcome to the balancer. It stops by itself after 60,000 requests or 3 minutes. Thread-safe.
 */
final class HttpLoadClient {
  /** The page that answers its revision's answer after 200 ms. */
  static final String SLOW_PAGE = "/cgi-bin/answer";
  private static final int MAX_IN_FLIGHT = 8;
  private static final int MAX_REQUESTS = 60_000;
  private static final long MAX_NANOS = TimeUnit.MINUTES.toNanos(3);

  private volatile LoadBalancer lb;
  private final ScheduledExecutorService ticker = Executors.newSingleThreadScheduledExecutor(
      daemon("orch-test-client-tick"));
  private final ExecutorService io = Executors.newFixedThreadPool(2, daemon("orch-test-client-io"));
  private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
      .connectTimeout(Duration.ofSeconds(5)).executor(io).build();
  private final Semaphore slots = new Semaphore(MAX_IN_FLIGHT);
  private final long startNanos = System.nanoTime();
  private final AtomicInteger started = new AtomicInteger();
  private final AtomicInteger succeeded = new AtomicInteger();
  private final AtomicInteger failed = new AtomicInteger();
  /** The bodies of the successful answers, in the order they came. */
  final ConcurrentLinkedQueue<String> answers = new ConcurrentLinkedQueue<>();
  /** Each success as "revision label=body", to check that a replica answers for its revision. */
  private final ConcurrentLinkedQueue<String> answeredBy = new ConcurrentLinkedQueue<>();
  /** What went wrong with each failed request, with the time since the client started. */
  final ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();

  HttpLoadClient(LoadBalancer lb) {
    this.lb = lb;
    ticker.scheduleWithFixedDelay(this::tick, 0, 5, TimeUnit.MILLISECONDS);
  }

  /**
   * Picks through {@code next} from now on (the balancer of an orchestrator that took over); the old one is
   * closed once its requests in flight have reported.
   */
  void use(LoadBalancer next) {
    lb = next;
  }

  int succeeded() {
    return succeeded.get();
  }

  int failed() {
    return failed.get();
  }

  private void tick() {
    if (started.get() >= MAX_REQUESTS || System.nanoTime() - startNanos > MAX_NANOS) {
      ticker.shutdown();
      return;
    }
    if (!slots.tryAcquire()) {
      return;
    }
    started.incrementAndGet();
    LoadBalancer from = lb; // the balancer this request reports to, even if the client switches meanwhile
    Optional<Endpoint> picked = from.tryPick();
    if (picked.isEmpty()) {
      fail(null, "no endpoint to pick: " + from);
      slots.release();
      return;
    }
    Endpoint e = picked.get();
    long sent = System.nanoTime();
    HttpRequest request = HttpRequest.newBuilder(URI.create("http://" + e.hostPort() + SLOW_PAGE))
        .timeout(Duration.ofSeconds(5)).build();
    http.sendAsync(request, HttpResponse.BodyHandlers.ofString()).whenComplete((r, error) -> {
      try {
        long latency = System.nanoTime() - sent;
        String body = r == null ? null : r.body().strip();
        boolean ok = error == null && r.statusCode() == 200 && ("v1".equals(body) || "v2".equals(body));
        from.report(e, ok, latency);
        if (ok) {
          answers.add(body);
          answeredBy.add(e.revision().orElse("?") + "=" + body);
          succeeded.incrementAndGet();
        } else {
          fail(e, error != null ? error.toString() : "HTTP " + r.statusCode() + " '" + body + "'");
        }
      } finally {
        slots.release();
      }
    });
  }

  private void fail(Endpoint e, String why) {
    failed.incrementAndGet();
    long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNanos);
    failures.add("+" + ms + "ms " + (e == null ? "" : e.id() + " " + e.hostPort() + " rev "
        + e.revision().orElse("?") + ": ") + why);
  }

  /** The successes whose body is not the answer of the revision the endpoint was labelled with. */
  List<String> mismatched(String v1, String v2) {
    return answeredBy.stream().filter(a -> !a.equals(v1 + "=v1") && !a.equals(v2 + "=v2")).toList();
  }

  /** Stops sending and waits (at most 10 s) for the requests in flight. Idempotent. */
  void stop() throws InterruptedException {
    ticker.shutdownNow();
    ticker.awaitTermination(5, TimeUnit.SECONDS);
    if (slots.tryAcquire(MAX_IN_FLIGHT, 10, TimeUnit.SECONDS)) {
      slots.release(MAX_IN_FLIGHT);
    }
    io.shutdownNow();
    lb.close();
  }

  String describe() {
    return started.get() + " requests sent, " + succeeded.get() + " served, " + failed.get() + " failed, "
        + (MAX_IN_FLIGHT - slots.availablePermits()) + " in flight, after "
        + TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNanos) + " ms";
  }

  private static ThreadFactory daemon(String name) {
    AtomicInteger n = new AtomicInteger();
    return r -> {
      Thread t = new Thread(r, name + "-" + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    };
  }
}
