package dev.orch.core;

import dev.orch.api.runtime.ContainerInfo;
import dev.orch.api.runtime.OrchLabels;
import dev.orch.api.time.VirtualTimeSource;
import dev.orch.core.lb.Endpoint;
import dev.orch.core.lb.LoadBalancer;
import dev.orch.inmemory.InMemoryRuntime;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * A client load on virtual time: every 20 ms it sends {@code perTick} requests of 300 ms through a load
 * balancer and reports each outcome. A request fails when no endpoint can be picked or its replica is not
 * running when the answer is due; a replica whose image contains "bad" answers every other request with
 * an error (reported as a failure, counted apart). Counts the revision that answered each request.
 */
final class LoadClient {
  private final VirtualTimeSource time;
  private final InMemoryRuntime runtime;
  final LoadBalancer lb;
  private final int perTick;
  int succeeded;
  /** Requests lost: no endpoint, or the replica stopped under them. */
  int failed;
  /** Requests a bad revision answered with an error. */
  int errors;
  private int badAnswers;
  final List<String> answeredBy = new ArrayList<>();
  private boolean running = true;

  LoadClient(VirtualTimeSource time, InMemoryRuntime runtime, LoadBalancer lb, int perTick) {
    this.time = time;
    this.runtime = runtime;
    this.lb = lb;
    this.perTick = perTick;
    tick();
  }

  void stop() {
    running = false;
  }

  private void tick() {
    if (!running) {
      return;
    }
    for (int i = 0; i < perTick; i++) {
      request();
    }
    time.schedule(Duration.ofMillis(20), this::tick);
  }

  private void request() {
    Optional<Endpoint> picked = lb.tryPick();
    if (picked.isEmpty()) {
      failed++;
      return;
    }
    Endpoint e = picked.get();
    String id = e.labels().get(OrchLabels.CONTAINER_ID);
    if (container(id).isEmpty()) {
      failed++;
      lb.report(e, false, 0);
      return;
    }
    time.schedule(Duration.ofMillis(300), () -> {
      Optional<ContainerInfo> c = container(id); // the replica must still serve when the answer is due
      boolean ok = c.isPresent() && !(c.get().image().contains("bad") && badAnswers++ % 2 == 0);
      if (c.isEmpty()) {
        failed++;
      } else if (!ok) {
        errors++;
      } else {
        succeeded++;
      }
      if (c.isPresent()) {
        answeredBy.add(e.labels().get(OrchLabels.REVISION));
      }
      lb.report(e, ok, Duration.ofMillis(300).toNanos());
    });
  }

  /** How many of the last {@code n} answers came from {@code revision}. */
  long lastAnsweredBy(String revision, int n) {
    return answeredBy.subList(Math.max(0, answeredBy.size() - n), answeredBy.size()).stream()
        .filter(revision::equals).count();
  }

  private Optional<ContainerInfo> container(String id) {
    try {
      ContainerInfo c = runtime.inspect(id).toCompletableFuture().getNow(null);
      return c != null && c.isRunning() ? Optional.of(c) : Optional.empty();
    } catch (RuntimeException gone) {
      return Optional.empty();
    }
  }
}
