package dev.orch.samples;

import dev.orch.api.runtime.OrchLabels;
import dev.orch.core.lb.Endpoint;
import dev.orch.core.lb.LoadBalancer;
import dev.orch.inmemory.InMemoryRuntime;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;

/**
 * A client of a service on the in-memory runtime: about 200 requests a second through a load balancer, each
 * a real call of the picked replica ({@link InMemoryRuntime#get}), answered as its image's request model
 * says. A request fails when no replica is picked or the call fails (refused, reset); an answer with an error
 * status is served but reported to the balancer as failed (and counted as an error). Runs on its own thread
 * until {@link #stop()}.
 */
final class LiveClient {
  private final LoadBalancer lb;
  private final InMemoryRuntime runtime;
  private final AtomicBoolean running = new AtomicBoolean(true);
  private final java.util.Set<CompletableFuture<?>> inFlight = ConcurrentHashMap.newKeySet();
  private final Thread thread;
  private final Map<String, Integer> servedByRevision = new TreeMap<>();
  private int served;
  private int failed;
  private int errors;

  LiveClient(LoadBalancer lb, InMemoryRuntime runtime) {
    this.lb = lb;
    this.runtime = runtime;
    this.thread = new Thread(this::run, "demo-client");
    thread.setDaemon(true);
    thread.start();
  }

  private void run() {
    long next = System.nanoTime();
    while (running.get()) {
      long now = System.nanoTime();
      if (now >= next) {
        next += 5_000_000L;
        send();
      }
      LockSupport.parkNanos(1_000_000L);
    }
  }

  private void send() {
    Optional<Endpoint> picked = lb.tryPick();
    if (picked.isEmpty()) {
      record(false, false, null);
      return;
    }
    Endpoint e = picked.get();
    long start = System.nanoTime();
    CompletableFuture<?> call = runtime.get(e.address(), e.port(), "/").toCompletableFuture()
        .whenComplete((response, failure) -> {
          boolean ok = failure == null;
          boolean error = ok && !response.isSuccess();
          record(ok, error, e);
          lb.report(e, ok && !error, System.nanoTime() - start);
        });
    inFlight.add(call);
    call.whenComplete((v, t) -> inFlight.remove(call));
  }

  private synchronized void record(boolean ok, boolean error, Endpoint e) {
    if (ok) {
      served++;
      errors += error ? 1 : 0;
      servedByRevision.merge(e.labels().getOrDefault(OrchLabels.REVISION, "?"), 1, Integer::sum);
    } else {
      failed++;
    }
  }

  synchronized int served() {
    return served;
  }

  synchronized int failed() {
    return failed;
  }

  /** Requests a bad version answered with an error. */
  synchronized int errors() {
    return errors;
  }

  synchronized Map<String, Integer> servedByRevision() {
    return new TreeMap<>(servedByRevision);
  }

  /** Stops sending, lets the requests in flight finish (up to 5 s), and waits for the thread. */
  void stop() throws InterruptedException {
    running.set(false);
    thread.join(5_000);
    try {
      CompletableFuture.allOf(inFlight.toArray(CompletableFuture[]::new)).get(5, TimeUnit.SECONDS);
    } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
      // A call that failed is counted already; one still out after 5 s is left behind.
    }
  }
}
