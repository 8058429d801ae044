package dev.orch.samples;

import dev.orch.api.runtime.ContainerInfo;
import dev.orch.api.runtime.ContainerRuntime;
import dev.orch.api.runtime.OrchLabels;
import dev.orch.core.lb.Endpoint;
import dev.orch.core.lb.LoadBalancer;
import java.util.ArrayDeque;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;

/**
 * A simulated client of a service on the in-memory runtime: about 200 requests a second through a load
 * balancer, each taking 50 ms; a request fails when no replica is picked, or when its replica is not
 * running at the start or at the end. A replica whose image contains "bad" answers every other request
 * with an error: the request is served, but reported to the balancer as failed (and counted as an error).
 * Runs on its own thread until {@link #stop()}.
 */
final class LiveClient {
  private record InFlight(Endpoint endpoint, String containerId, long dueNanos) {
  }

  private final LoadBalancer lb;
  private final ContainerRuntime runtime;
  private final AtomicBoolean running = new AtomicBoolean(true);
  private final Thread thread;
  private final Map<String, Integer> servedByRevision = new TreeMap<>();
  private int served;
  private int failed;
  private int errors;
  private long badAnswers;

  LiveClient(LoadBalancer lb, ContainerRuntime runtime) {
    this.lb = lb;
    this.runtime = runtime;
    this.thread = new Thread(this::run, "demo-client");
    thread.setDaemon(true);
    thread.start();
  }

  private void run() {
    ArrayDeque<InFlight> inFlight = new ArrayDeque<>();
    long next = System.nanoTime();
    while (running.get() || !inFlight.isEmpty()) {
      long now = System.nanoTime();
      while (!inFlight.isEmpty() && inFlight.peekFirst().dueNanos() <= now) {
        InFlight r = inFlight.pollFirst();
        ContainerInfo c = running(r.containerId());
        boolean ok = c != null;
        boolean error = ok && c.image().contains("bad") && badAnswers++ % 2 == 0;
        record(ok, error, r.endpoint());
        lb.report(r.endpoint(), ok && !error, 50_000_000L);
      }
      if (running.get() && now >= next) {
        next += 5_000_000L;
        Optional<Endpoint> e = lb.tryPick();
        if (e.isEmpty()) {
          record(false, false, null);
        } else {
          String id = e.get().labels().get(OrchLabels.CONTAINER_ID);
          if (running(id) != null) {
            inFlight.addLast(new InFlight(e.get(), id, now + 50_000_000L));
          } else {
            record(false, false, null);
            lb.report(e.get(), false, 0);
          }
        }
      }
      LockSupport.parkNanos(1_000_000L);
    }
  }

  /** The container if it runs, else null. */
  private ContainerInfo running(String containerId) {
    try {
      ContainerInfo c = runtime.inspect(containerId).toCompletableFuture().getNow(null);
      return c != null && c.isRunning() ? c : null;
    } catch (RuntimeException gone) {
      return null;
    }
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

  /** Stops sending, lets the requests in flight finish, and waits for the thread. */
  void stop() throws InterruptedException {
    running.set(false);
    thread.join(5_000);
  }
}
