package dev.orch.samples;

import dev.orch.api.runtime.Subscription;
import dev.orch.api.spec.AntiAffinity;
import dev.orch.api.spec.ContainerSpec;
import dev.orch.api.spec.IntOrPercent;
import dev.orch.api.spec.Placement;
import dev.orch.api.spec.Probe;
import dev.orch.api.spec.Resources;
import dev.orch.api.spec.RolloutStrategy;
import dev.orch.api.spec.ServiceSpec;
import dev.orch.core.CrashLoopBackoff;
import dev.orch.core.OrchEvent;
import dev.orch.core.Orchestrator;
import dev.orch.core.ReplicaStatus;
import dev.orch.core.RolloutStatus;
import dev.orch.core.ServiceStatus;
import dev.orch.core.lb.LoadBalancer;
import dev.orch.core.lb.Pickers;
import dev.orch.inmemory.Behaviors;
import dev.orch.inmemory.InMemoryRuntime;
import dev.orch.inmemory.NodeSpec;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

/**
 * The first demo: a 5-node simulated cluster runs three services; containers crash and a node fails, and
 * Orch heals both. Prints where every replica runs before and after. Exits 0 when the cluster healed,
 * 1 (saying what went wrong) otherwise.
 */
public final class InMemoryDemo {
  private static final List<String> SERVICES = List.of("orders", "inventory", "payments");

  private InMemoryDemo() {
  }

  /** Runs the demo. */
  public static void main(String[] args) throws Exception {
    int code;
    try {
      code = run() ? 0 : 1;
    } catch (Exception e) {
      System.out.println("FAILED: " + e);
      code = 1;
    }
    System.exit(code);
  }

  static boolean run() throws InterruptedException {
    InMemoryRuntime.Builder cluster = InMemoryRuntime.builder().seed(42)
        .behavior("orders:1.2-broken", Behaviors.notReadyFor(Duration.ZERO, Duration.ofDays(1)));
    String[] zones = {"a", "a", "b", "b", "c"};
    for (int i = 1; i <= 5; i++) {
      cluster.node(NodeSpec.of("node-" + i, Resources.of("4", "8Gi"), Map.of("zone", zones[i - 1])));
    }
    try (InMemoryRuntime runtime = cluster.build();
         Orchestrator orch = Orchestrator.builder().runtime(runtime).seed(42)
             .nodeLostGrace(Duration.ofSeconds(3)).terminationGrace(Duration.ofSeconds(1))
             .crashLoopBackoff(new CrashLoopBackoff(Duration.ofMillis(500), Duration.ofSeconds(5), Duration.ofMinutes(1)))
             .build()) {
      orch.events().subscribe(InMemoryDemo::printEvent);

      step("Applying three services to a 5-node in-memory cluster");
      orch.apply(orders("orders:1.0"));
      orch.apply(service("inventory", 3, "inventory:2.3", "250m", "256Mi"));
      orch.apply(service("payments", 2, "payments:0.9", "1", "1Gi"));
      if (!awaitAll(orch, "the first start")) {
        return false;
      }
      String before = table(orch);
      System.out.println(before);

      step("Crashing two containers and failing node-3");
      runtime.crashContainer(replicaOffNode3(orch, "orders"), 137);
      runtime.crashContainer(replicaOffNode3(orch, "inventory"), 1);
      runtime.failNode("node-3");
      long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
      while (orch.nodes().stream().anyMatch(n -> n.id().equals("node-3") && n.ready())) {
        if (System.nanoTime() > deadline) {
          System.out.println("FAILED: Orch did not notice that node-3 failed within 10 s");
          return false;
        }
        java.util.concurrent.locks.LockSupport.parkNanos(10_000_000L);
      }

      step("Waiting for Orch to heal the cluster");
      if (!awaitAll(orch, "healing")) {
        return false;
      }
      for (String s : SERVICES) {
        for (ReplicaStatus r : orch.status(s).orElseThrow().replicas()) {
          if (r.node().equals("node-3")) {
            System.out.println("FAILED: " + r.name() + " is still on the failed node-3");
            return false;
          }
        }
      }
      step("Before and after");
      System.out.println(sideBySide(before, table(orch)));
      System.out.println("OK: every service is back to its desired replicas, none on node-3.");

      return rollingUpdateUnderLoad(orch, runtime);
    }
  }

  /**
   * Rolls orders to a new version under a live client load (no request may fail), then to a version
   * that never gets ready, which Orch rolls back by itself when its progress deadline passes.
   */
  static boolean rollingUpdateUnderLoad(Orchestrator orch, InMemoryRuntime runtime) throws InterruptedException {
    step("Rolling orders from 1.0 to 1.1 under a live client load");
    try (LoadBalancer lb = orch.loadBalancer("orders", Pickers.roundRobin())) {
      LiveClient client = new LiveClient(lb, runtime);
      orch.apply(orders("orders:1.1"));
      boolean updated = watch(orch, client, "orders:1.1", 20);
      step("Rolling orders to 1.2, a version that never gets ready");
      orch.apply(orders("orders:1.2-broken"));
      boolean rolledBack = watch(orch, client, "orders:1.1", 30)
          && orch.events().recent().stream().anyMatch(e -> e.reason().equals("RolledBack"));
      client.stop();
      System.out.printf("  client: %d requests served, %d failed, by revision %s%n", client.served(),
          client.failed(), client.servedByRevision());
      if (!updated || !rolledBack || client.failed() > 0) {
        System.out.println("FAILED: " + (!updated ? "the update to 1.1 did not complete; "
            : !rolledBack ? "1.2 was not rolled back; " : "") + client.failed() + " requests failed");
        return false;
      }
      System.out.println("OK: 1.1 rolled out and the broken 1.2 rolled back, with no failed request.");
      return true;
    }
  }

  private static ServiceSpec orders(String image) {
    return service("orders", 4, image, "500m", "512Mi").toBuilder()
        .readiness(Probe.http("/ready", "http").withPeriod(Duration.ofMillis(250)))
        .rollout(new RolloutStrategy.RollingUpdate(IntOrPercent.of(1), IntOrPercent.of(0), Duration.ZERO,
            Duration.ofSeconds(4)))
        .build();
  }

  /**
   * Prints a line a second until every replica runs {@code image} and is ready, or {@code seconds} pass.
   * Waits on the orchestrator's events, so it returns as soon as the rollout is done.
   */
  private static boolean watch(Orchestrator orch, LiveClient client, String image, int seconds)
      throws InterruptedException {
    Semaphore changes = new Semaphore(0);
    long start = System.nanoTime();
    long deadline = start + TimeUnit.SECONDS.toNanos(seconds);
    long nextLine = start + TimeUnit.SECONDS.toNanos(1);
    try (Subscription events = orch.events().subscribe(e -> changes.release())) {
      while (true) {
        ServiceStatus s = orch.status("orders").orElseThrow();
        boolean done = s.isReady() && orch.spec("orders").orElseThrow().container().image().equals(image)
            && s.rollout().phase() == RolloutStatus.Phase.COMPLETE
            && s.rollout().revisions().keySet().equals(Set.of(s.rollout().revision()));
        long now = System.nanoTime();
        if (done || now >= nextLine) {
          System.out.printf("  t=%2ds phase %-11s ready %d/%d  replicas per revision %s  served %d failed %d%n",
              TimeUnit.NANOSECONDS.toSeconds(now - start), s.rollout().phase(), s.ready(), s.desired(),
              s.rollout().revisions().entrySet().stream()
                  .map(e -> e.getKey() + "=" + e.getValue().ready() + "/" + e.getValue().replicas()).toList(),
              client.served(), client.failed());
          nextLine = now + TimeUnit.SECONDS.toNanos(1);
        }
        if (done) {
          return true;
        }
        if (now >= deadline) {
          return false;
        }
        changes.tryAcquire(Math.min(nextLine, deadline) - now, TimeUnit.NANOSECONDS);
        changes.drainPermits();
      }
    }
  }

  private static String replicaOffNode3(Orchestrator orch, String service) {
    return orch.status(service).orElseThrow().replicas().stream().filter(r -> !r.node().equals("node-3"))
        .findFirst().orElseThrow().containerId();
  }

  private static ServiceSpec service(String name, int replicas, String image, String cpu, String memory) {
    return ServiceSpec.builder(name).replicas(replicas)
        .container(ContainerSpec.builder(image).port("http", 8080).requests(cpu, memory).build())
        .placement(Placement.builder().antiAffinity(AntiAffinity.SOFT).build())
        .build();
  }

  private static boolean awaitAll(Orchestrator orch, String what) throws InterruptedException {
    for (String s : SERVICES) {
      if (!orch.awaitReady(s, Duration.ofSeconds(30))) {
        ServiceStatus st = orch.status(s).orElseThrow();
        System.out.println("FAILED: " + s + " did not become ready during " + what + " within 30 s: " + st.ready()
            + "/" + st.desired() + " ready; conditions " + st.conditions() + "; last events:");
        st.recentEvents().forEach(e -> System.out.println("  " + e));
        return false;
      }
    }
    return true;
  }

  private static String table(Orchestrator orch) {
    Map<String, List<String>> byNode = new TreeMap<>();
    orch.nodes().forEach(n -> byNode.put(n.id() + " (zone " + n.labels().get("zone") + ")"
        + (n.ready() ? "" : " NOT READY"), new ArrayList<>()));
    for (String s : SERVICES) {
      for (ReplicaStatus r : orch.status(s).orElseThrow().replicas()) {
        byNode.entrySet().stream().filter(e -> e.getKey().startsWith(r.node() + " ")).findFirst()
            .ifPresent(e -> e.getValue().add(s + "-" + r.ordinal() + (r.restarts() > 0 ? "(r" + r.restarts() + ")" : "")));
      }
    }
    StringBuilder sb = new StringBuilder();
    byNode.forEach((node, replicas) -> sb.append(String.format("  %-26s %s%n", node,
        replicas.isEmpty() ? "-" : String.join(" ", replicas))));
    return sb.toString();
  }

  private static String sideBySide(String before, String after) {
    String[] b = before.split("\n");
    String[] a = after.split("\n");
    StringBuilder sb = new StringBuilder(String.format("  %-62s %s%n", "BEFORE", "AFTER"));
    for (int i = 0; i < Math.max(a.length, b.length); i++) {
      sb.append(String.format("%-64s %s%n", i < b.length ? b[i] : "", i < a.length ? a[i].trim() : ""));
    }
    return sb.toString();
  }

  private static void step(String title) {
    System.out.println();
    System.out.println("== " + title);
  }

  private static void printEvent(OrchEvent e) {
    if (e.reason().equals("Created") || e.reason().equals("Removed")) {
      return; // the table shows these
    }
    System.out.printf("  %-9s %-14s %-22s %s%n", e.type() == OrchEvent.Type.WARNING ? "warning" : "event",
        e.reason(), e.replica().isEmpty() ? e.service() + e.node() : e.replica(), e.message());
  }
}
