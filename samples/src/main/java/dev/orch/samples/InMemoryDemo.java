package dev.orch.samples;

import dev.orch.api.runtime.Subscription;
import dev.orch.api.spec.Analysis;
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
import dev.orch.core.lb.OutlierDetection;
import dev.orch.core.lb.Pickers;
import dev.orch.inmemory.Behaviors;
import dev.orch.inmemory.InMemoryRuntime;
import dev.orch.inmemory.NodeSpec;
import dev.orch.inmemory.RequestModel;
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
 * Orch heals both. Prints where every replica runs before and after. Then, under a live client load, a
 * rolling update of orders, a broken version rolled back on its progress deadline, and a canary of a bad
 * version that analysis rolls back, one line per step. Exits 0 when all of that held,
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
    // Every replica answers in about 50 ms; orders 1.3 is a bad version that answers half its requests with 500.
    RequestModel good = RequestModel.builder().latency(Duration.ofMillis(40), Duration.ofMillis(80)).build();
    InMemoryRuntime.Builder cluster = InMemoryRuntime.builder().seed(42)
        .defaultBehavior(Behaviors.serving(Behaviors.runForever(), good))
        .behavior("orders:1.2-broken", Behaviors.notReadyFor(Duration.ZERO, Duration.ofDays(1)))
        .behavior("orders:1.3-bad", Behaviors.serving(Behaviors.runForever(), RequestModel.builder().errorRate(0.5)
            .latency(Duration.ofMillis(40), Duration.ofMillis(80)).seed(7).build()));
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

      return rollingUpdateUnderLoad(orch, runtime) && canaryRolledBackByAnalysis(orch, runtime);
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
      boolean updated = watch(orch, client, 20, s -> runsOnly(orch, s, "orders:1.1"));
      step("Rolling orders to 1.2, a version that never gets ready");
      orch.apply(orders("orders:1.2-broken"));
      boolean rolledBack = watch(orch, client, 30, s -> runsOnly(orch, s, "orders:1.1"))
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

  /**
   * A canary of orders 1.3, a bad version that answers half its requests with an error: 20% of the
   * traffic goes to it, an analysis of its success rate fails, and Orch sends all traffic back to 1.1 and
   * removes the canary. No request is lost meanwhile.
   */
  static boolean canaryRolledBackByAnalysis(Orchestrator orch, InMemoryRuntime runtime) throws InterruptedException {
    step("A canary of orders 1.3, a bad version: 20% of the traffic, then an analysis of its success rate");
    Analysis successRate = Analysis.builder().interval(Duration.ofSeconds(1)).count(3).failureThreshold(2)
        .minRequests(10)
        .successRate(0.95)
        .build();
    RolloutStrategy canary = RolloutStrategy.canary().setWeight(20).analyze(successRate).setWeight(50)
        .pause(Duration.ofSeconds(2)).progressDeadline(Duration.ofSeconds(10)).build();
    // Outlier detection off: on, the balancer would eject the bad canary after 5 errors in a row, and the
    // analysis, seeing no traffic on it, would fail it as inconclusive rather than by its success rate.
    try (LoadBalancer lb = orch.loadBalancer("orders").picker(Pickers.weightedRoundRobin())
        .outlierDetection(OutlierDetection.disabled()).build()) {
      LiveClient client = new LiveClient(lb, runtime);
      ServiceSpec bad = orders("orders:1.3-bad").toBuilder().rollout(canary).build();
      System.out.println(orch.plan(bad).toString().replace("\n", "\n  ").replaceFirst("^", "  plan: "));
      orch.apply(bad);
      boolean rolledBack = watch(orch, client, 30, s -> s.rollout().phase() == RolloutStatus.Phase.ROLLED_BACK
          && runsOnly(orch, s, "orders:1.1"));
      client.stop();
      System.out.printf("  client: %d requests served (%d of them errors from the canary), %d failed, by revision %s%n",
          client.served(), client.errors(), client.failed(), client.servedByRevision());
      boolean bySuccessRate = orch.events().recent("orders", 200).stream().anyMatch(e -> e.reason().equals("RolledBack")
          && e.message().contains("'success rate >= 95%' failed"));
      if (!rolledBack || !bySuccessRate || client.failed() > 0 || client.errors() == 0) {
        System.out.println("FAILED: " + (!rolledBack ? "the bad canary was not rolled back; "
            : !bySuccessRate ? "the rollback was not the analysis' success rate; "
            : client.errors() == 0 ? "the canary never got traffic; " : "") + client.failed() + " requests failed");
        return false;
      }
      System.out.println("OK: analysis caught the bad canary and Orch rolled it back, with no lost request.");
      return true;
    }
  }

  /** Whether every replica of orders runs {@code image}, ready, and the rollout is over. */
  private static boolean runsOnly(Orchestrator orch, ServiceStatus s, String image) {
    return s.isReady() && orch.spec("orders").orElseThrow().container().image().equals(image)
        && (s.rollout().phase() == RolloutStatus.Phase.COMPLETE || s.rollout().phase() == RolloutStatus.Phase.ROLLED_BACK)
        && s.rollout().revisions().keySet().equals(Set.of(s.rollout().revision()));
  }

  private static ServiceSpec orders(String image) {
    return service("orders", 4, image, "500m", "512Mi").toBuilder()
        .readiness(Probe.http("/ready", "http").withPeriod(Duration.ofMillis(250)))
        .rollout(new RolloutStrategy.RollingUpdate(IntOrPercent.of(1), IntOrPercent.of(0), Duration.ZERO,
            Duration.ofSeconds(4)))
        .build();
  }

  /**
   * Prints a line at each rollout step and every second (phase, step, ready replicas and weights per
   * revision, requests served and failed) until {@code done} holds, or {@code seconds} pass. Waits on the
   * orchestrator's events, so it returns as soon as the rollout is done.
   */
  private static boolean watch(Orchestrator orch, LiveClient client, int seconds,
                               java.util.function.Predicate<ServiceStatus> done) throws InterruptedException {
    Semaphore changes = new Semaphore(0);
    long start = System.nanoTime();
    long deadline = start + TimeUnit.SECONDS.toNanos(seconds);
    long nextLine = start + TimeUnit.SECONDS.toNanos(1);
    String lastStep = "";
    try (Subscription events = orch.events().subscribe(e -> changes.release())) {
      while (true) {
        ServiceStatus s = orch.status("orders").orElseThrow();
        boolean finished = done.test(s);
        RolloutStatus r = s.rollout();
        String stepNow = r.phase() + " " + r.step();
        long now = System.nanoTime();
        if (finished || now >= nextLine || !stepNow.equals(lastStep)) {
          System.out.printf("  t=%4.1fs %-11s step %-28s ready/replicas %-30s weights %-24s served %d failed %d%n",
              (now - start) / 1e9, r.phase(), r.step() < 0 ? "-" : r.step() + " " + r.steps().get(r.step()).action(),
              r.revisions().entrySet().stream().map(e -> e.getKey().substring(0, 4) + "=" + e.getValue().ready()
                  + "/" + e.getValue().replicas()).toList(),
              r.weights().entrySet().stream().map(e -> e.getKey().substring(0, 4) + "=" + e.getValue() + "%")
                  .toList(), client.served(), client.failed());
          nextLine = now + TimeUnit.SECONDS.toNanos(1);
          lastStep = stepNow;
        }
        if (finished) {
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
