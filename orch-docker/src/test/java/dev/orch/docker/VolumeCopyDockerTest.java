package dev.orch.docker;

import static dev.orch.docker.OrchestratedDocker.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.github.dockerjava.api.DockerClient;
import dev.orch.api.runtime.ContainerConflictException;
import dev.orch.api.runtime.ContainerCreateRequest;
import dev.orch.api.runtime.ContainerInfo;
import dev.orch.api.runtime.ContainerRuntimeException;
import dev.orch.api.runtime.ContainerState;
import dev.orch.api.runtime.ExecResult;
import dev.orch.api.runtime.ImageNotFoundException;
import dev.orch.api.runtime.LabelSelector;
import dev.orch.api.runtime.NetworkInfo;
import dev.orch.api.runtime.OrchLabels;
import dev.orch.api.runtime.RuntimeEvent;
import dev.orch.api.runtime.Subscription;
import dev.orch.api.runtime.VolumeInfo;
import dev.orch.api.spec.ContainerSpec;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A volume copied from one real engine to another holds the same files (a nested directory, a file over 1 MiB,
 * an empty file, a symbolic link, an owner that is not root), and the source keeps them; a copy onto a volume in
 * use fails and changes nothing; a copy of a missing volume fails; listings give volume sizes; the copy's helper
 * containers never show. Needs two engines.
 */
class VolumeCopyDockerTest {
  private static final String WRITE = "mkdir -p /data/dir/sub && echo hello > /data/a.txt"
      + " && printf nested > /data/dir/sub/n.txt && : > /data/empty"
      + " && dd if=/dev/urandom of=/data/big bs=1024 count=1536 2>/dev/null"
      + " && ln -s dir/sub/n.txt /data/link && chown -h 1234:5678 /data/dir/sub/n.txt";
  /** Every path with its type, size (but a directory's), owner and mode, then every file's checksum. */
  private static final String FINGERPRINT = "cd /data && find . | sort | while read -r f; do if [ -d \"$f\" ];"
      + " then stat -c '%n %F %u:%g %a' \"$f\"; else stat -c '%n %F %s %u:%g %a' \"$f\"; fi; done"
      + " && find . -type f | sort | xargs md5sum";
  private static final long FILE_BYTES = 6 + 6 + 1536 * 1024;

  private final String owner = OrchestratedDocker.ownerId("copy");
  private final String volume = "copy-" + UUID.randomUUID().toString().substring(0, 8);
  private DockerRuntime runtime;
  private int seq;

  @AfterEach
  void tearDown() {
    if (runtime == null) {
      return;
    }
    try {
      for (ContainerInfo c : await(runtime.list(LabelSelector.of(OrchLabels.OWNER, owner)))) {
        await(runtime.remove(c.id()));
      }
      for (VolumeInfo v : await(runtime.listVolumes(LabelSelector.of(OrchLabels.OWNER, owner)))) {
        await(runtime.removeVolume(v.nodeId(), v.name()));
      }
      for (NetworkInfo n : await(runtime.listNetworks(LabelSelector.of(OrchLabels.OWNER, owner)))) {
        await(runtime.removeNetwork(n.nodeId(), n.name()));
      }
    } finally {
      runtime.close();
    }
  }

  @Test
  void aCopiedVolumeHoldsTheSameFilesTheSourceKeepsThemAndAVolumeInUseIsLeftAlone() {
    runtime = DockerTestEngines.runtime(2);
    String writer = sleeper("e0");
    exec(writer, WRITE);
    String source = exec(writer, FINGERPRINT);
    await(runtime.remove(writer));

    List<RuntimeEvent> events = new CopyOnWriteArrayList<>();
    Subscription subscription = runtime.subscribe(events::add);
    VolumeInfo copy;
    try {
      copy = await(runtime.copyVolume("e0", volume, "e1"));
    } finally {
      subscription.close();
    }
    assertEquals(volume, copy.name());
    assertEquals("e1", copy.nodeId());
    assertEquals(owner, copy.labels().get(OrchLabels.OWNER), "the source's labels: " + copy.labels());
    assertEquals(FILE_BYTES, copy.sizeBytes(), "the bytes of its regular files");
    assertTrue(events.stream().noneMatch(e -> e instanceof RuntimeEvent.ContainerEvent c
        && c.labels().containsKey(DockerVolumeCopy.HELPER_LABEL)),
        () -> "the copy's helper containers raise no events: " + events);
    assertTrue(await(runtime.list(LabelSelector.of(OrchLabels.OWNER, owner))).isEmpty(),
        "and are not listed");
    assertNoHelpersLeft();

    String reader = sleeper("e1");
    assertEquals(source, exec(reader, FINGERPRINT), "the copy holds the same files");
    String kept = sleeper("e0");
    assertEquals(source, exec(kept, FINGERPRINT), "the source keeps them");
    await(runtime.remove(kept));

    exec(reader, "echo only-here > /data/b-only");
    String inUse = exec(reader, FINGERPRINT);
    Throwable conflict = failure(runtime.copyVolume("e0", volume, "e1"));
    assertInstanceOf(ContainerConflictException.class, conflict);
    assertTrue(conflict.getMessage().contains("in use"), conflict.getMessage());
    assertEquals(inUse, exec(reader, FINGERPRINT), "a volume in use is left as it was");
    assertNoHelpersLeft();

    await(runtime.remove(reader));
    await(runtime.copyVolume("e0", volume, "e1"));
    assertEquals(source, exec(sleeper("e1"), FINGERPRINT), "a volume copied onto is emptied first");
  }

  @Test
  void copyingAMissingVolumeFailsAndLeavesNothingOnTheTarget() {
    runtime = DockerTestEngines.runtime(2);
    Throwable t = failure(runtime.copyVolume("e0", volume, "e1"));
    assertInstanceOf(ContainerRuntimeException.class, t);
    assertTrue(t.getMessage().contains(volume), t.getMessage());
    assertTrue(await(runtime.listVolumes(LabelSelector.ALL)).stream().noneMatch(v -> v.name().equals(volume)),
        "no volume made on either engine");
    assertNoHelpersLeft();
  }

  @Test
  void theHelpersAreMadeOfTheConfiguredImageAndOneTheEnginesLackFailsTheCopyChangingNothing() {
    List<String> endpoints = DockerTestEngines.require(2);
    runtime = DockerRuntime.builder().engine("e0", endpoints.get(0)).engine("e1", endpoints.get(1))
        .volumeCopyImage("orch-test/none:0").build();
    String writer = sleeper("e0");
    exec(writer, WRITE);
    await(runtime.remove(writer));
    String other = sleeper("e1");
    exec(other, "echo only-here > /data/b-only");
    String before = exec(other, FINGERPRINT);
    await(runtime.remove(other));
    Throwable t = failure(runtime.copyVolume("e0", volume, "e1"));
    assertInstanceOf(ImageNotFoundException.class, t);
    assertTrue(t.getMessage().contains("orch-test/none:0"), t.getMessage());
    assertEquals(before, exec(sleeper("e1"), FINGERPRINT), "the target is left as it was");
    assertNoHelpersLeft();
    runtime.close();

    runtime = DockerRuntime.builder().engine("e0", endpoints.get(0)).engine("e1", endpoints.get(1))
        .volumeCopyImage(DockerTestEngines.image()).build();
    for (ContainerInfo c : await(runtime.list(LabelSelector.of(OrchLabels.OWNER, owner)))) {
      await(runtime.remove(c.id()));
    }
    assertEquals(FILE_BYTES, await(runtime.copyVolume("e0", volume, "e1")).sizeBytes());
    assertNoHelpersLeft();
  }

  @Test
  void listedVolumesHaveTheirSizes() {
    runtime = DockerTestEngines.runtime(2);
    String writer = sleeper("e0");
    exec(writer, WRITE);
    await(runtime.remove(writer));
    await(runtime.copyVolume("e0", volume, "e1"));
    List<VolumeInfo> listed = await(runtime.listVolumes(LabelSelector.of(OrchLabels.OWNER, owner)));
    assertEquals(2, listed.size(), () -> "on both engines: " + listed);
    for (VolumeInfo v : listed) {
      // The engine counts a symbolic link's target name too.
      assertTrue(v.sizeBytes() >= FILE_BYTES && v.sizeBytes() < FILE_BYTES + 4096, () -> "size of " + v);
    }
    assertEquals(listed.get(0).sizeBytes(), listed.get(1).sizeBytes(), () -> "equal copies: " + listed);
    assertEquals(-1, await(runtime.createVolume("e1", volume + "-new", Map.of(OrchLabels.OWNER, owner)))
        .sizeBytes(), "a created volume's size is not asked for");
  }

  @Test
  void aContainerMarkedAsACopyHelperIsNeitherListedNorReported() {
    runtime = DockerTestEngines.runtime(2);
    String endpoint = DockerTestEngines.require(1).get(0);
    List<RuntimeEvent> events = new CopyOnWriteArrayList<>();
    Subscription subscription = runtime.subscribe(events::add);
    try (DockerClient docker = DockerTestEngines.client(endpoint)) {
      String id = docker.createContainerCmd(DockerTestEngines.image()).withName("orch-copy-" + volume + "-test")
          .withCmd(DockerVolumeCopy.HELPER_COMMAND)
          .withLabels(Map.of(OrchLabels.OWNER, owner, DockerVolumeCopy.HELPER_LABEL, volume)).exec().getId();
      try {
        String marker = sleeper("e0"); // its events come after the helper's, on the same stream
        OrchestratedDocker.awaitUntil("the marker's create event", events::toString, () -> events.stream()
            .anyMatch(e -> e instanceof RuntimeEvent.ContainerCreated c && c.containerId().equals(marker)));
        assertEquals(List.of(marker), await(runtime.list(LabelSelector.of(OrchLabels.OWNER, owner))).stream()
            .map(ContainerInfo::id).toList(), "the helper is not listed");
        assertTrue(events.stream().noneMatch(e -> e instanceof RuntimeEvent.ContainerEvent c
            && c.containerId().endsWith(id)), () -> "nor reported: " + events);
      } finally {
        docker.removeContainerCmd(id).withForce(true).exec();
      }
    } catch (java.io.IOException e) {
      throw new AssertionError(e);
    } finally {
      subscription.close();
    }
  }

  private void assertNoHelpersLeft() {
    for (String endpoint : DockerTestEngines.require(2)) {
      try (DockerClient docker = DockerTestEngines.client(endpoint)) {
        assertEquals(List.of(), docker.listContainersCmd().withShowAll(true)
            .withLabelFilter(List.of(DockerVolumeCopy.HELPER_LABEL)).exec().stream().map(c -> c.getNames()[0])
            .toList(), "copy helpers left on " + endpoint);
      } catch (java.io.IOException e) {
        throw new AssertionError(e);
      }
    }
  }

  /** Starts a container on {@code node} with the volume at {@code /data}; returns its id once it runs. */
  private String sleeper(String node) {
    ContainerSpec spec = ContainerSpec.builder(DockerTestEngines.image())
        .command(OrchestratedDocker.sleeper().toArray(String[]::new)).volume(volume, "/data").build();
    String id = await(runtime.create(new ContainerCreateRequest("copy-" + volume + "-" + seq++, node, spec,
        Map.of(OrchLabels.OWNER, owner)))).id();
    await(runtime.start(id));
    OrchestratedDocker.awaitUntil(id + " running", () -> await(runtime.inspect(id)).toString(),
        () -> await(runtime.inspect(id)).state() == ContainerState.RUNNING);
    return id;
  }

  private String exec(String id, String script) {
    ExecResult r = await(runtime.exec(id, List.of("sh", "-c", script), Duration.ofSeconds(30)));
    assertEquals(0, r.exitCode(), () -> script + ": " + r);
    return r.stdout();
  }

  private static Throwable failure(java.util.concurrent.CompletionStage<?> stage) {
    return assertThrows(RuntimeException.class, () -> await(stage));
  }
}
