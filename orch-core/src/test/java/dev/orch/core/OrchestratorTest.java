package dev.orch.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.orch.api.runtime.ContainerCreateRequest;
import dev.orch.api.runtime.ContainerInfo;
import dev.orch.api.runtime.LabelSelector;
import dev.orch.api.runtime.OrchLabels;
import dev.orch.api.spec.ContainerSpec;
import dev.orch.api.spec.InvalidSpecException;
import dev.orch.api.spec.Resources;
import dev.orch.api.spec.RestartPolicy;
import dev.orch.api.spec.ServiceSpec;
import dev.orch.api.time.VirtualTimeSource;
import dev.orch.inmemory.Behaviors;
import dev.orch.inmemory.InMemoryRuntime;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class OrchestratorTest {
  private final VirtualTimeSource time = new VirtualTimeSource();
  private InMemoryRuntime runtime;
  private Orchestrator orch;

  private void start(int nodes) {
    runtime = InMemoryRuntime.builder().timeSource(time).nodes(nodes, Resources.of("4", "8Gi"))
        .behavior("crashy", Behaviors.exitAfter(Duration.ofSeconds(5), 3))
        .behavior("oneshot", Behaviors.exitAfter(Duration.ofSeconds(1), 0))
        .behavior("leaky", Behaviors.leakMemory(64L << 20))
        .build();
    orch = orchestrator("orch");
  }

  private Orchestrator orchestrator(String owner) {
    return Orchestrator.builder().runtime(runtime).timeSource(time).ownerId(owner)
        .nodeLostGrace(Duration.ofSeconds(20)).terminationGrace(Duration.ofSeconds(2)).build();
  }

  @AfterEach
  void tearDown() {
    if (orch != null) {
      orch.close();
    }
    if (runtime != null) {
      runtime.close();
    }
  }

  private static ServiceSpec service(String name, int replicas, String image) {
    return ServiceSpec.builder(name).replicas(replicas)
        .container(ContainerSpec.builder(image).requests("500m", "512Mi").build()).build();
  }

  private void run(Duration d) {
    for (long s = 0; s < d.toSeconds(); s++) {
      time.advance(Duration.ofSeconds(1));
    }
    time.runDue();
  }

  private ServiceStatus status(String name) {
    return orch.status(name).orElseThrow();
  }

  private List<ContainerInfo> owned(String owner) {
    return runtime.list(LabelSelector.of(OrchLabels.OWNER, owner)).toCompletableFuture().join();
  }

  @Test
  void convergesToTheDesiredReplicas() {
    start(3);
    orch.apply(service("orders", 4, "orders:1"));
    run(Duration.ofSeconds(1));

    ServiceStatus s = status("orders");
    assertTrue(s.isReady(), s::toString);
    assertEquals(4, s.running());
    assertEquals(List.of(0, 1, 2, 3), s.replicas().stream().map(ReplicaStatus::ordinal).toList());
    assertEquals(4, owned("orch").size());
    assertTrue(s.condition("Available").orElseThrow().status());
  }

  @Test
  void applyIsIdempotentAndScaleDownRemovesTheHighestOrdinals() {
    start(3);
    ServiceSpec spec = service("orders", 5, "orders:1");
    orch.apply(spec);
    run(Duration.ofSeconds(1));
    Set<String> before = owned("orch").stream().map(ContainerInfo::id).collect(Collectors.toSet());
    orch.apply(spec);
    run(Duration.ofSeconds(5));
    assertEquals(before, owned("orch").stream().map(ContainerInfo::id).collect(Collectors.toSet()));

    orch.scale("orders", 2);
    run(Duration.ofSeconds(5));
    ServiceStatus s = status("orders");
    assertTrue(s.isReady(), s::toString);
    assertEquals(List.of(0, 1), s.replicas().stream().map(ReplicaStatus::ordinal).toList());
    assertEquals(2, owned("orch").size());
  }

  @Test
  void restartsACrashedContainerWithCrashLoopBackoff() {
    start(2);
    orch.apply(service("orders", 1, "orders:1"));
    run(Duration.ofSeconds(1));
    String id = status("orders").replicas().get(0).containerId();

    runtime.crashContainer(id, 137);
    run(Duration.ofSeconds(1));
    assertEquals(0, status("orders").running());
    run(Duration.ofSeconds(10)); // the first restart waits 10 s
    ServiceStatus s = status("orders");
    assertTrue(s.isReady(), s::toString);
    assertEquals(1, s.replicas().get(0).restarts());
    assertEquals(id, s.replicas().get(0).containerId(), "restarted in place, not replaced");
    assertTrue(orch.events().recent().stream().anyMatch(e -> e.reason().equals("Restarted")));
  }

  @Test
  void crashLoopBackoffDoublesBetweenRestarts() {
    start(1);
    orch.apply(service("crashy", 1, "crashy"));
    // runs 5 s, exits, waits 10 s; runs 5 s, exits, waits 20 s; runs 5 s, exits, waits 40 s...
    run(Duration.ofSeconds(1));
    run(Duration.ofSeconds(5 + 10 + 5 + 20 + 5 + 1));
    assertEquals(2, status("crashy").replicas().get(0).restarts());
    assertEquals(0, status("crashy").running(), "the third restart waits 40 s");
    run(Duration.ofSeconds(40));
    assertEquals(3, status("crashy").replicas().get(0).restarts());
    List<String> delays = orch.events().recent().stream().filter(e -> e.reason().equals("Exited"))
        .map(e -> e.message().replaceAll(".* in (\\d+)ms(;.*)?", "$1")).toList(); // last lines may follow
    assertEquals(List.of("10000", "20000", "40000"), delays);
  }

  @Test
  void anOomKilledReplicaIsReportedAsSuchAndRestarted() {
    start(1);
    orch.apply(ServiceSpec.builder("leaky").container(ContainerSpec.builder("leaky")
        .requests("100m", "128Mi").limits("1", "256Mi").build()).build());
    run(Duration.ofSeconds(5)); // 64Mi a second reaches 256Mi after 4 s
    assertTrue(status("leaky").replicas().get(0).oomKilled(), () -> status("leaky").toString());
    OrchEvent oom = orch.events().recent().stream().filter(e -> e.reason().equals("OOMKilled")).findFirst()
        .orElseThrow();
    assertTrue(oom.message().startsWith("OOM-killed (exit 137)"), oom.message());
    run(Duration.ofSeconds(10));
    assertEquals(1, status("leaky").replicas().get(0).restarts());
  }

  @Test
  void countsReconcilesRestartsAndReplacementsInTheGivenRegistry() {
    io.micrometer.core.instrument.simple.SimpleMeterRegistry registry =
        new io.micrometer.core.instrument.simple.SimpleMeterRegistry();
    runtime = InMemoryRuntime.builder().timeSource(time).nodes(2, Resources.of("4", "8Gi")).build();
    orch = Orchestrator.builder().runtime(runtime).timeSource(time).meterRegistry(registry)
        .nodeLostGrace(Duration.ofSeconds(5)).build();
    orch.apply(service("orders", 2, "orders:1"));
    run(Duration.ofSeconds(1));
    runtime.crashContainer(status("orders").replicas().get(0).containerId(), 1);
    runtime.failNode("node-2");
    run(Duration.ofSeconds(20));
    assertTrue(status("orders").isReady(), () -> status("orders").toString());
    assertTrue(registry.get("orch.reconcile.count").counter().count() > 0);
    assertTrue(registry.get("orch.reconcile.duration").timer().count() > 0);
    assertEquals(0.0, registry.get("orch.queue.depth").gauge().value());
    assertEquals(1.0, registry.get("orch.restarts").counter().count());
    assertEquals(1.0, registry.get("orch.replacements").counter().count());
    assertTrue(registry.get("orch.scheduler.placements").counter().count() >= 2);
  }

  @Test
  void restartPolicyNeverLeavesAFailedReplicaAlone() {
    start(1);
    orch.apply(service("crashy", 1, "crashy").toBuilder().restartPolicy(RestartPolicy.NEVER).build());
    run(Duration.ofSeconds(60));
    ServiceStatus s = status("crashy");
    assertEquals(0, s.replicas().get(0).restarts());
    assertEquals(3, s.replicas().get(0).lastExit().orElseThrow());
    assertEquals(1, owned("orch").size());
  }

  @Test
  void restartPolicyOnFailureLeavesACompletedReplicaAlone() {
    start(1);
    orch.apply(service("job", 1, "oneshot").toBuilder().restartPolicy(RestartPolicy.ON_FAILURE).build());
    run(Duration.ofSeconds(60));
    ServiceStatus s = status("job");
    assertEquals(0, s.replicas().get(0).restarts());
    assertEquals(0, s.replicas().get(0).lastExit().orElseThrow());
    assertEquals(1, owned("orch").size(), "a completed replica is not replaced either");
  }

  @Test
  void replacesTheReplicasOfALostNodeAfterTheGraceAndLeavesNoDuplicate() {
    start(3);
    orch.apply(service("orders", 6, "orders:1"));
    run(Duration.ofSeconds(1));
    String lost = status("orders").replicas().get(0).node();
    long onLost = status("orders").replicas().stream().filter(r -> r.node().equals(lost)).count();
    assertTrue(onLost > 0);

    runtime.partitionNode(lost);
    run(Duration.ofSeconds(10));
    assertEquals(6 - onLost, status("orders").running(), "within the grace nothing moves");
    assertEquals(6, status("orders").replicas().size());

    run(Duration.ofSeconds(15));
    ServiceStatus moved = status("orders");
    assertEquals(6, moved.running(), moved::toString);
    assertTrue(moved.replicas().stream().filter(r -> r.ready()).noneMatch(r -> r.node().equals(lost)));

    runtime.healPartition(lost);
    run(Duration.ofSeconds(10));
    ServiceStatus healed = status("orders");
    assertTrue(healed.isReady(), healed::toString);
    assertEquals(6, owned("orch").size(), "the old replicas on the healed node were removed");
    Set<Integer> ordinals = new HashSet<>();
    owned("orch").forEach(c -> assertTrue(ordinals.add(Integer.parseInt(c.labels().get(OrchLabels.ORDINAL)))));
  }

  @Test
  void aFailedNodeThatComesBackEmptyIsReconciled() {
    start(2);
    orch.apply(service("orders", 4, "orders:1"));
    run(Duration.ofSeconds(1));
    runtime.failNode("node-1");
    run(Duration.ofSeconds(25));
    assertTrue(status("orders").isReady(), () -> status("orders").toString());
    assertTrue(status("orders").replicas().stream().allMatch(r -> r.node().equals("node-2")));
    runtime.recoverNode("node-1");
    run(Duration.ofSeconds(5));
    assertTrue(status("orders").isReady(), () -> status("orders").toString());
    assertEquals(4, owned("orch").size());
  }

  @Test
  void deleteRemovesEveryReplicaAndNeverTouchesForeignContainers() {
    start(2);
    ContainerInfo foreign = runtime.create(new ContainerCreateRequest("not-ours", "node-1",
        ContainerSpec.builder("orders:1").build(), Map.of(OrchLabels.SERVICE, "orders"))).toCompletableFuture()
        .join();
    runtime.start(foreign.id());
    orch.apply(service("orders", 3, "orders:1"));
    run(Duration.ofSeconds(1));
    assertEquals(3, status("orders").replicas().size());

    assertTrue(orch.delete("orders"));
    run(Duration.ofSeconds(5));
    assertTrue(orch.status("orders").isEmpty());
    assertTrue(owned("orch").isEmpty());
    assertTrue(runtime.inspect(foreign.id()).toCompletableFuture().join().isRunning());
    assertFalse(orch.delete("orders"));
  }

  @Test
  void aSecondOrchestratorAdoptsWhatItOwnsWithoutCreatingOrRemoving() {
    start(3);
    orch.apply(service("orders", 3, "orders:1"));
    run(Duration.ofSeconds(1));
    Set<String> ids = owned("orch").stream().map(ContainerInfo::id).collect(Collectors.toSet());
    orch.close();

    orch = orchestrator("orch");
    orch.apply(service("orders", 3, "orders:1"));
    run(Duration.ofSeconds(30));
    assertTrue(status("orders").isReady());
    assertEquals(ids, owned("orch").stream().map(ContainerInfo::id).collect(Collectors.toSet()));
    assertTrue(orch.events().recent().stream().noneMatch(e -> e.reason().equals("Created")
        || e.reason().equals("Removed")), () -> orch.events().recent().toString());
  }

  @Test
  void anInvalidSpecIsRefusedAndChangesNothing() {
    start(1);
    orch.apply(service("orders", 1, "orders:1"));
    run(Duration.ofSeconds(1));
    ServiceSpec bad = service("orders", 1, "orders:1").withReplicas(-3);
    InvalidSpecException e = assertThrows(InvalidSpecException.class, () -> orch.apply(bad));
    assertEquals("orders.replicas: -3: must be >= 0", e.violations().get(0).toString());
    assertThrows(InvalidSpecException.class, () -> orch.scale("orders", -1));
    assertEquals(1, orch.spec("orders").orElseThrow().replicas());
    assertThrows(UnknownServiceException.class, () -> orch.scale("nope", 1));
  }

  @Test
  void refusesWhatTheRuntimeCannotDoNamingEachField() {
    start(1);
    dev.orch.api.runtime.ContainerRuntime noExtras = new ForwardingRuntime(runtime) {
      @Override
      public Set<dev.orch.api.runtime.RuntimeCapability> capabilities() {
        return Set.of();
      }
    };
    try (Orchestrator bare = Orchestrator.builder().runtime(noExtras).timeSource(time).ownerId("bare").build()) {
      ServiceSpec spec = ServiceSpec.builder("db").container(ContainerSpec.builder("db:1")
          .port(dev.orch.api.spec.PortSpec.tcp("sql", 5432).withHostPort(15432)).limits("1", "1Gi")
          .volume("data", "/var/lib/db").build()).liveness(dev.orch.api.spec.Probe.exec("true")).build();
      InvalidSpecException e = assertThrows(InvalidSpecException.class, () -> bare.apply(spec));
      assertEquals(List.of("db.container.volumeMounts[0]", "db.container.ports[0].hostPort",
          "db.container.resources.limits", "db.probes.liveness.exec"),
          e.violations().stream().map(dev.orch.api.spec.Violation::path).toList());
      assertTrue(e.violations().get(0).rule().contains("VOLUMES"), e.getMessage());
      assertTrue(bare.status("db").isEmpty(), "nothing was applied");
    }
  }

  @Test
  void unschedulableReplicasSayWhyAndFitOnceCapacityArrives() {
    start(1);
    orch.apply(ServiceSpec.builder("big").replicas(3)
        .container(ContainerSpec.builder("big:1").requests("3", "1Gi").build()).build());
    run(Duration.ofSeconds(2));
    ServiceStatus s = status("big");
    assertEquals(1, s.running());
    Condition schedulable = s.condition("Schedulable").orElseThrow();
    assertFalse(schedulable.status());
    assertTrue(schedulable.message().startsWith("0/1 nodes"), schedulable.message());

    runtime.addNode(dev.orch.inmemory.NodeSpec.of("node-9", Resources.of("8", "8Gi")));
    run(Duration.ofSeconds(40));
    assertTrue(status("big").isReady(), () -> status("big").toString());
  }

  @Test
  void aRollingUpdateWithSurgeNeverDropsBelowTheDesiredReplicas() {
    start(3);
    ServiceSpec v1 = service("orders", 4, "orders:1").toBuilder()
        .rollout(dev.orch.api.spec.RolloutStrategy.RollingUpdate.of(dev.orch.api.spec.IntOrPercent.of(1),
            dev.orch.api.spec.IntOrPercent.of(0))).build();
    orch.apply(v1);
    run(Duration.ofSeconds(1));
    orch.apply(v1.toBuilder().container(ContainerSpec.builder("orders:2").requests("500m", "512Mi").build()).build());
    int maxTotal = 0;
    for (int s = 0; s < 60; s++) {
      time.advance(Duration.ofMillis(500));
      ServiceStatus st = status("orders");
      assertTrue(st.ready() >= 4, () -> "availability dropped: " + st);
      maxTotal = Math.max(maxTotal, owned("orch").size());
    }
    assertTrue(maxTotal <= 5, "never more than replicas + maxSurge: " + maxTotal);
    assertEquals(Set.of("orders:2"), owned("orch").stream().map(ContainerInfo::image).collect(Collectors.toSet()));
    assertTrue(status("orders").isReady());
  }

  @Test
  void aDeletedThenReappliedServiceComesBack() {
    start(2);
    orch.apply(service("orders", 2, "orders:1"));
    run(Duration.ofSeconds(1));
    orch.delete("orders");
    orch.apply(service("orders", 3, "orders:1"));
    run(Duration.ofSeconds(10));
    assertTrue(status("orders").isReady(), () -> status("orders").toString());
    assertEquals(3, owned("orch").size());
  }

  @Test
  void aNodeThatVanishesHasItsReplicasReplacedAfterTheGrace() {
    start(3);
    orch.apply(service("orders", 3, "orders:1"));
    run(Duration.ofSeconds(1));
    String gone = status("orders").replicas().get(0).node();
    runtime.removeNode(gone);
    // The periodic resync (every 30 s) learns the node is gone; its replicas move after the 20 s grace.
    run(Duration.ofSeconds(60));
    ServiceStatus s = status("orders");
    assertTrue(s.isReady(), s::toString);
    assertTrue(s.replicas().stream().noneMatch(r -> r.node().equals(gone)), s::toString);
  }

  @Test
  void aHigherPriorityServicePreemptsLowerPriorityReplicasButNeverEqualOnes() {
    start(1); // 4 cores
    orch.apply(ServiceSpec.builder("batch").replicas(3).priority(0)
        .container(ContainerSpec.builder("batch:1").requests("1", "256Mi").build()).build());
    orch.apply(ServiceSpec.builder("peer").replicas(1).priority(10)
        .container(ContainerSpec.builder("peer:1").requests("1", "256Mi").build()).build());
    run(Duration.ofSeconds(2));
    orch.apply(ServiceSpec.builder("critical").replicas(2).priority(10)
        .container(ContainerSpec.builder("critical:1").requests("1", "256Mi").build()).build());
    run(Duration.ofSeconds(10));
    assertTrue(status("critical").isReady(), () -> orch.events().recent().toString());
    assertTrue(status("peer").isReady(), "equal priority is never preempted");
    assertEquals(1, status("batch").running(), () -> status("batch").toString());
    assertEquals(2, orch.events().recent().stream().filter(e -> e.reason().equals("Preempted")).count());
    assertFalse(status("batch").condition("Schedulable").orElseThrow().status());
  }

  @Test
  void aChangedTemplateReplacesEveryReplica() {
    start(3);
    orch.apply(service("orders", 4, "orders:1"));
    run(Duration.ofSeconds(1));
    orch.apply(service("orders", 4, "orders:2"));
    run(Duration.ofSeconds(30));
    ServiceStatus s = status("orders");
    assertTrue(s.isReady(), s::toString);
    Set<String> images = owned("orch").stream().map(ContainerInfo::image).collect(Collectors.toSet());
    assertEquals(Set.of("orders:2"), images);
  }
}
