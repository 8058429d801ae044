package dev.orch.docker;

import static dev.orch.docker.OrchestratedDocker.owned;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.orch.api.runtime.RuntimeEvent;
import dev.orch.api.runtime.Subscription;
import dev.orch.api.spec.ContainerSpec;
import dev.orch.api.spec.ServiceSpec;
import dev.orch.core.CrashLoopBackoff;
import dev.orch.core.OrchEvent;
import dev.orch.core.Orchestrator;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** A container over its memory limit is reported OOM-killed and restarted with growing backoff. Needs Docker. */
class OomRestartDockerTest {

  @Test
  void aContainerOverItsMemoryLimitIsReportedOomKilledAndRestartedWithBackoff() throws Exception {
    DockerRuntime runtime = DockerTestEngines.runtime(1);
    List<RuntimeEvent> events = new CopyOnWriteArrayList<>();
    Orchestrator orch = null;
    try (Subscription s = runtime.subscribe(events::add)) {
      orch = Orchestrator.builder().runtime(runtime).ownerId(OrchestratedDocker.ownerId("oom"))
          .crashLoopBackoff(new CrashLoopBackoff(Duration.ofMillis(500), Duration.ofSeconds(4), Duration.ofMinutes(5)))
          .build();
      // Doubles a shell string until the 16 MiB limit (without swap) is hit.
      orch.apply(ServiceSpec.builder("hog").replicas(1)
          .container(ContainerSpec.builder(DockerTestEngines.image())
              .command("sh", "-c", "x=aaaaaaaaaaaaaaaa; while true; do x=$x$x; done")
              .requests("100m", "16Mi").limits("500m", "16Mi").build())
          .build());
      Orchestrator o = orch;
      OrchestratedDocker.awaitUntil("two OOM kills reported with restarts", () -> o.events().recent().toString(),
          () -> backoffs(o).size() >= 2);
      List<Long> delays = backoffs(o);
      assertTrue(delays.get(1) > delays.get(0), "the backoff grows: " + delays);
      assertTrue(events.stream().anyMatch(e -> e instanceof RuntimeEvent.ContainerOomKilled),
          "the runtime reports ContainerOomKilled: " + events);
      assertTrue(events.stream().anyMatch(e -> e instanceof RuntimeEvent.ContainerExited x && x.oomKilled()
          && x.exitCode() == 137), "the runtime reports an OOM exit with code 137: " + events);
      OrchestratedDocker.awaitUntil("the replica restarted", () -> o.status("hog").toString(),
          () -> o.status("hog").orElseThrow().replicas().stream().anyMatch(r -> r.restarts() >= 1));
      assertTrue(owned(runtime, o.ownerId()).stream().allMatch(c -> c.labels().containsKey("orch.service")));
    } finally {
      OrchestratedDocker.cleanUp(orch, runtime);
      runtime.close();
    }
  }

  /** The restart delays Orch announced for OOM kills, in order. */
  private static List<Long> backoffs(Orchestrator o) {
    Pattern delay = Pattern.compile("in (\\d+)ms");
    List<Long> out = new ArrayList<>();
    for (OrchEvent e : o.events().recent()) {
      if (e.reason().equals("OOMKilled")) {
        Matcher m = delay.matcher(e.message());
        if (m.find()) {
          out.add(Long.parseLong(m.group(1)));
        }
      }
    }
    return out;
  }
}
