package dev.orch.inmemory;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.orch.api.runtime.ContainerCreateRequest;
import dev.orch.api.runtime.ContainerInfo;
import dev.orch.api.runtime.LabelSelector;
import dev.orch.api.runtime.RuntimeEvent;
import dev.orch.api.spec.ContainerSpec;
import dev.orch.api.spec.Resources;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

/** Many threads calling at once on system time: no lost update, and events still in order per container. */
class ConcurrencyTest {

  @Test
  void concurrentCallsKeepEachContainersEventsInLifecycleOrder() throws Exception {
    try (InMemoryRuntime rt = InMemoryRuntime.builder().nodes(4, Resources.of("4", "8Gi"))
        .behavior("job", Behaviors.exitAfter(Duration.ofMillis(5), 2))
        .behavior("stubborn", Behaviors.ignoreSigterm()).build()) {
      List<RuntimeEvent> events = new CopyOnWriteArrayList<>();
      rt.subscribe(events::add);
      ExecutorService pool = Executors.newFixedThreadPool(6, r -> {
        Thread t = new Thread(r, "orch-test-caller");
        t.setDaemon(true);
        return t;
      });
      String[] images = {"web", "job", "stubborn"};
      try {
        List<Future<?>> workers = new ArrayList<>();
        for (int w = 0; w < 6; w++) {
          int worker = w;
          workers.add(pool.submit(() -> {
            SplittableRandom rnd = new SplittableRandom(worker);
            List<String> mine = new ArrayList<>();
            for (int i = 0; i < 150; i++) {
              int op = rnd.nextInt(6);
              if (op == 0 || mine.isEmpty()) {
                ContainerInfo c = rt.create(new ContainerCreateRequest("w" + worker + "-" + i,
                    "node-" + (1 + rnd.nextInt(4)), ContainerSpec.builder(images[rnd.nextInt(3)]).build(),
                    Map.of("worker", "" + worker))).toCompletableFuture().join();
                mine.add(c.id());
                continue;
              }
              String id = mine.get(rnd.nextInt(mine.size()));
              CompletableFuture<?> f = switch (op) {
                case 1, 2 -> rt.start(id).toCompletableFuture();
                case 3 -> rt.stop(id, Duration.ofMillis(rnd.nextInt(5))).toCompletableFuture();
                case 4 -> rt.kill(id).toCompletableFuture();
                default -> rt.inspect(id).toCompletableFuture();
              };
              f.get(10, TimeUnit.SECONDS);
            }
            return null;
          }));
        }
        for (Future<?> f : workers) {
          f.get(30, TimeUnit.SECONDS);
        }
      } finally {
        pool.shutdownNow();
      }
      List<ContainerInfo> all = rt.list(LabelSelector.ALL).toCompletableFuture().join();
      // Every running container gets killed, then removed, so each history ends in Removed.
      for (ContainerInfo c : all) {
        rt.remove(c.id()).toCompletableFuture().join();
      }
      Awaitility.await().atMost(Duration.ofSeconds(10)).until(
          () -> events.stream().filter(e -> e instanceof RuntimeEvent.ContainerRemoved).count() == all.size());
      Map<String, List<RuntimeEvent>> byContainer = new HashMap<>();
      for (RuntimeEvent e : events) {
        RuntimeEvent.ContainerEvent ce = (RuntimeEvent.ContainerEvent) e;
        byContainer.computeIfAbsent(ce.containerId(), k -> new ArrayList<>()).add(e);
      }
      assertEquals(all.size(), byContainer.size());
      for (List<RuntimeEvent> history : byContainer.values()) {
        assertEquals("removed", EventOrderProperties.checkLifecycle(history));
      }
      assertTrue(all.size() >= 6, "each worker created containers");
      assertEquals(0, rt.containerCount());
    }
  }
}
