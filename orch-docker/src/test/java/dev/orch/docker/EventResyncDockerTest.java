package dev.orch.docker;

import static dev.orch.docker.OrchestratedDocker.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.orch.api.runtime.ContainerCreateRequest;
import dev.orch.api.runtime.ContainerState;
import dev.orch.api.runtime.OrchLabels;
import dev.orch.api.runtime.RuntimeEvent;
import dev.orch.api.runtime.Subscription;
import dev.orch.api.spec.ContainerSpec;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/** An exit that happens while the event stream is down is reported once it reconnects. Needs Docker. */
class EventResyncDockerTest {

  @Test
  void anExitMissedWhileTheStreamWasDownIsReportedAfterTheResync() throws Exception {
    DockerTestEngines.require(1);
    String endpoint = DockerTestEngines.require(1).get(0);
    // A slow health check keeps the stream down long enough for the kill to happen without it.
    try (DockerRuntime runtime = DockerRuntime.builder().engine("e0", endpoint)
        .healthCheck(Duration.ofSeconds(2), Duration.ofSeconds(1)).build()) {
      List<RuntimeEvent> events = new CopyOnWriteArrayList<>();
      String owner = OrchestratedDocker.ownerId("resync");
      String id = await(runtime.create(new ContainerCreateRequest(owner + "-c", "e0",
          ContainerSpec.builder(DockerTestEngines.image()).command(OrchestratedDocker.sleeper()
              .toArray(String[]::new)).build(), Map.of(OrchLabels.OWNER, owner)))).id();
      try (Subscription s = runtime.subscribe(events::add)) {
        await(runtime.start(id));
        OrchestratedDocker.awaitUntil("the start is reported", events::toString,
            () -> kinds(events, id).contains("ContainerStarted"));

        runtime.dropEventStream("e0");
        await(runtime.kill(id));
        assertEquals(ContainerState.EXITED, await(runtime.inspect(id)).state());

        OrchestratedDocker.awaitUntil("the missed exit is reported", events::toString,
            () -> kinds(events, id).contains("ContainerExited"));
        RuntimeEvent.ContainerExited exited = events.stream()
            .filter(e -> e instanceof RuntimeEvent.ContainerExited x && x.containerId().equals(id))
            .map(RuntimeEvent.ContainerExited.class::cast).findFirst().orElseThrow();
        assertEquals(137, exited.exitCode());
        assertEquals(1, kinds(events, id).stream().filter("ContainerExited"::equals).count(), "reported once");
        assertTrue(exited.labels().containsKey(OrchLabels.OWNER));
      } finally {
        await(runtime.remove(id));
      }
    }
  }

  private static List<String> kinds(List<RuntimeEvent> events, String id) {
    return events.stream().filter(e -> e instanceof RuntimeEvent.ContainerEvent ce && ce.containerId().equals(id))
        .map(e -> e.getClass().getSimpleName()).toList();
  }
}
