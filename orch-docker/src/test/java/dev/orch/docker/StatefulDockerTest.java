package dev.orch.docker;

import static dev.orch.docker.OrchestratedDocker.WAIT;
import static dev.orch.docker.OrchestratedDocker.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.orch.api.runtime.ExecResult;
import dev.orch.api.runtime.LabelSelector;
import dev.orch.api.runtime.OrchLabels;
import dev.orch.api.spec.ContainerSpec;
import dev.orch.api.spec.ServiceSpec;
import dev.orch.api.spec.Stateful;
import dev.orch.core.DrainReport;
import dev.orch.core.Orchestrator;
import dev.orch.core.ReplicaStatus;
import dev.orch.core.ServiceVolume;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A stateful replica on a real engine writes a file into its volume; the file is still there after its
 * container is killed and restarted, after an update replaces the container, and after a scale to 0 and back
 * (the volume retained meanwhile); deleting the service with {@code whenDeleted: Delete} leaves no volume
 * behind. And a drain of its engine moves it, with its data, to the other engine. Needs two engines.
 */
class StatefulDockerTest {
  private DockerRuntime runtime;
  private Orchestrator orch;

  @AfterEach
  void tearDown() throws InterruptedException {
    OrchestratedDocker.cleanUp(orch, runtime);
    if (runtime != null) {
      runtime.close();
    }
  }

  private static ServiceSpec db(String version, int replicas) {
    return ServiceSpec.builder("db").replicas(replicas)
        .container(ContainerSpec.builder(DockerTestEngines.image())
            .command(OrchestratedDocker.sleeper().toArray(String[]::new)).env("VERSION", version)
            .requests("50m", "8Mi").build())
        .stateful(Stateful.builder().volume("data", "/data").whenScaled(Stateful.Retention.RETAIN)
            .whenDeleted(Stateful.Retention.DELETE).build())
        .build();
  }

  private ReplicaStatus replica() {
    return orch.status("db").orElseThrow().replicas().get(0);
  }

  private String read() {
    ExecResult r = await(runtime.exec(replica().containerId(), List.of("cat", "/data/file"), Duration.ofSeconds(10)));
    assertEquals(0, r.exitCode(), () -> "read: " + r);
    return r.stdout().strip();
  }

  private void awaitOne(String what, java.util.function.Predicate<ReplicaStatus> also) {
    OrchestratedDocker.awaitUntil(what, () -> orch.status("db").toString(), () -> orch.status("db")
        .map(s -> s.isReady() && s.replicas().size() == 1 && also.test(s.replicas().get(0))).orElse(false));
  }

  @Test
  void aReplicasDataSurvivesARestartAnUpdateAndAScaleToZeroAndBackAndDeleteRemovesIt() {
    runtime = DockerTestEngines.runtime(1);
    orch = Orchestrator.builder().runtime(runtime).ownerId(OrchestratedDocker.ownerId("stateful"))
        .terminationGrace(Duration.ofSeconds(1)).build();
    orch.apply(db("1", 1));
    awaitOne("db-0 ready", r -> true);
    assertEquals("db-0", replica().name(), "a stable name");
    ExecResult w = await(runtime.exec(replica().containerId(), List.of("sh", "-c", "echo kept > /data/file"),
        Duration.ofSeconds(10)));
    assertEquals(0, w.exitCode(), () -> "write: " + w);

    String first = replica().containerId();
    await(runtime.kill(first));
    awaitOne("db-0 restarted", r -> r.restarts() >= 1);
    assertEquals("kept", read(), "after a restart");

    orch.apply(db("2", 1));
    awaitOne("db-0 replaced by the update", r -> !r.containerId().equals(first) && r.revision().equals(
        orch.revisions("db").get(orch.revisions("db").size() - 1).id()));
    assertEquals("kept", read(), "after an update");

    orch.scale("db", 0);
    OrchestratedDocker.awaitUntil("no replica", () -> orch.status("db").toString(),
        () -> orch.status("db").orElseThrow().replicas().isEmpty());
    List<ServiceVolume> retained = orch.volumes("db");
    assertEquals(List.of("db-data-0"), retained.stream().map(ServiceVolume::name).toList());
    assertTrue(!retained.get(0).inUse(), retained::toString);
    orch.scale("db", 1);
    awaitOne("db-0 back", r -> true);
    assertEquals("kept", read(), "after a scale to 0 and back");

    assertTrue(orch.delete("db"));
    OrchestratedDocker.awaitUntil("the service and its volume gone", () -> orch.volumes("db").toString(),
        () -> orch.status("db").isEmpty() && orch.volumes("db").isEmpty());
    assertEquals(List.of(), await(runtime.listVolumes(LabelSelector.of(OrchLabels.OWNER, orch.ownerId()))));
  }

  @Test
  void aDrainOfItsEngineMovesTheReplicaWithItsDataToTheOtherEngine() throws Exception {
    runtime = DockerTestEngines.runtime(2);
    orch = Orchestrator.builder().runtime(runtime).ownerId(OrchestratedDocker.ownerId("drain"))
        .terminationGrace(Duration.ofSeconds(1)).build();
    orch.apply(db("1", 1));
    awaitOne("db-0 ready", r -> true);
    ExecResult w = await(runtime.exec(replica().containerId(), List.of("sh", "-c",
        "echo kept > /data/file && mkdir -p /data/dir && head -c 300000 /dev/urandom > /data/dir/blob "
            + "&& md5sum /data/dir/blob > /data/sum"), Duration.ofSeconds(10)));
    assertEquals(0, w.exitCode(), () -> "write: " + w);
    String from = replica().node();

    DrainReport report = orch.drain(from, Duration.ofMinutes(2)).get(3, java.util.concurrent.TimeUnit.MINUTES);

    assertTrue(report.complete(), report::toString);
    assertEquals(List.of("db-0"), report.moved());
    awaitOne("db-0 ready on the other engine", r -> !r.node().equals(from));
    assertEquals("db-0", replica().name(), "the same stable name");
    assertEquals("kept", read(), "the data moved with it");
    ExecResult sum = await(runtime.exec(replica().containerId(), List.of("md5sum", "-c", "/data/sum"),
        Duration.ofSeconds(10)));
    assertEquals(0, sum.exitCode(), () -> "the 300 kB file is intact: " + sum);
    OrchestratedDocker.awaitUntil("the original volume removed from " + from, () -> orch.volumes("db").toString(),
        () -> orch.volumes("db").stream().map(ServiceVolume::node).toList().equals(List.of(replica().node())));
    long size = orch.volumes("db").get(0).sizeBytes();
    assertTrue(size >= 300_000, () -> "the engine reports the volume's size: " + size);
    assertEquals(List.of(from), orch.cordoned());
  }
}
