package dev.orch.inmemory;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.orch.api.runtime.ContainerCreateRequest;
import dev.orch.api.runtime.ContainerInfo;
import dev.orch.api.runtime.ContainerState;
import dev.orch.api.runtime.LabelSelector;
import dev.orch.api.runtime.RuntimeEvent;
import dev.orch.api.spec.ContainerSpec;
import dev.orch.api.spec.Resources;
import dev.orch.api.time.VirtualTimeSource;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** 10,000 containers over 1,000 nodes on virtual time: an ordinary load. Asserts counts, not time. */
class ScaleTest {

  @Test
  void tenThousandContainersOverAThousandNodes() {
    VirtualTimeSource clock = new VirtualTimeSource();
    try (InMemoryRuntime rt = InMemoryRuntime.builder().nodes(1000, Resources.of("16", "64Gi")).timeSource(clock)
        .behavior("job", Behaviors.exitAfter(Duration.ofSeconds(30), 0))
        .behavior("flaky", Behaviors.crashEvery(Duration.ofSeconds(10), 1)).build()) {
      AtomicInteger started = new AtomicInteger();
      AtomicInteger exited = new AtomicInteger();
      AtomicInteger lost = new AtomicInteger();
      rt.subscribe(e -> {
        if (e instanceof RuntimeEvent.ContainerStarted) {
          started.incrementAndGet();
        } else if (e instanceof RuntimeEvent.ContainerExited) {
          exited.incrementAndGet();
        } else if (e instanceof RuntimeEvent.NodeLost) {
          lost.incrementAndGet();
        }
      });
      String[] images = {"web", "job", "flaky", "web"};
      List<String> ids = new ArrayList<>();
      for (int i = 0; i < 10_000; i++) {
        String image = images[i % 4];
        ContainerInfo c = SimFixture.join(rt.create(new ContainerCreateRequest("c-" + i, "node-" + (1 + i % 1000),
            ContainerSpec.builder(image).build(), Map.of("svc", image))));
        SimFixture.join(rt.start(c.id()));
        ids.add(c.id());
      }
      clock.runDue();
      assertEquals(10_000, started.get());
      assertEquals(10_000, SimFixture.join(rt.list(LabelSelector.ALL)).size());
      assertEquals(2_500, SimFixture.join(rt.list(LabelSelector.of("svc", "job"))).size());

      clock.advance(Duration.ofSeconds(30));
      assertEquals(5_000, exited.get(), "every job and every flaky one ended");
      long running = SimFixture.join(rt.list(LabelSelector.ALL)).stream()
          .filter(c -> c.state() == ContainerState.RUNNING).count();
      assertEquals(5_000, running);

      for (int n = 1; n <= 100; n++) {
        rt.failNode("node-" + n);
      }
      clock.runDue();
      assertEquals(100, lost.get());
      assertEquals(9_000, rt.containerCount());
      for (String id : ids) {
        rt.remove(id);
      }
      assertEquals(0, rt.containerCount());
      clock.runDue();
      assertEquals(0, clock.pendingTasks(), "no timer is left behind by removed or lost containers");
    }
  }
}
