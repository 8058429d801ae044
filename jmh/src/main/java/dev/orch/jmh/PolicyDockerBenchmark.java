package dev.orch.jmh;

import dev.orch.api.policy.IngressRule;
import dev.orch.api.policy.NetworkPolicy;
import dev.orch.api.policy.PeerSelector;
import dev.orch.api.runtime.ContainerInfo;
import dev.orch.api.runtime.LabelSelector;
import dev.orch.api.runtime.NetworkInfo;
import dev.orch.api.runtime.OrchLabels;
import dev.orch.api.spec.ContainerSpec;
import dev.orch.api.spec.Probe;
import dev.orch.api.spec.ServiceSpec;
import dev.orch.core.Orchestrator;
import dev.orch.docker.DockerEngine;
import dev.orch.docker.DockerRuntime;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.function.Predicate;

/**
 * Not a JMH benchmark but a plain program, since one sample takes a second or so: on a real engine, the time
 * from a network policy change to its enforcement for 10 replicas, against the runtime calls alone, in the same
 * run.
 *
 * <ol>
 *   <li>{@code cut}: {@code orch.policies().apply(p)}, where {@code p} lets only {@code orders} call
 *       {@code inventory}, until none of the 10 {@code payments} replicas is on inventory's network any more (the
 *       engine then drops their connections: containers that share no network cannot reach each other).</li>
 *   <li>{@code restore}: {@code orch.policies().delete(p)} until all 10 are on it again.</li>
 *   <li>baseline: 10 disconnects, then 10 connects, of 10 plain containers of the same image on a network of
 *       their own, made straight through the runtime SPI, all at once, with nothing to decide.</li>
 * </ol>
 *
 * <p>Run: {@code eval "$(scripts/test-engines.sh start)"; java -cp jmh/target/benchmarks.jar
 * dev.orch.jmh.PolicyDockerBenchmark}. Skips, saying so, when {@code ORCH_DOCKER_HOSTS} names no engine.
 */
public final class PolicyDockerBenchmark {
  private static final int ROUNDS = 5;
  private static final int REPLICAS = 10;

  private PolicyDockerBenchmark() {
  }

  /** Runs the comparison. */
  public static void main(String[] args) throws Exception {
    List<String> hosts = Arrays.stream(System.getenv().getOrDefault("ORCH_DOCKER_HOSTS", "").split(","))
        .map(String::strip).filter(h -> !h.isEmpty()).toList();
    if (hosts.isEmpty()) {
      System.out.println("PolicyDockerBenchmark skipped: ORCH_DOCKER_HOSTS names no engine "
          + "(scripts/test-engines.sh start)");
      return;
    }
    String image = System.getenv().getOrDefault("ORCH_DOCKER_IMAGE", "orch-test/busybox:1");
    String owner = "bench-policy-" + UUID.randomUUID().toString().substring(0, 6);
    String sleeper = "trap 'exit 0' TERM; sleep 100000 & wait";
    NetworkPolicy onlyOrders = NetworkPolicy.builder("only-orders").selectServices("inventory")
        .allowIngress(IngressRule.from(PeerSelector.services("orders"))).build();
    long[] cut = new long[ROUNDS];
    long[] restore = new long[ROUNDS];
    long[] baseline = new long[ROUNDS];
    String baseNet = "bench-base-" + owner;
    List<String> plain = new java.util.ArrayList<>();
    try (DockerRuntime runtime = DockerRuntime.builder().callTimeout(Duration.ofSeconds(60))
        .engine(DockerEngine.of("e0", hosts.get(0))).build();
         Orchestrator orch = Orchestrator.builder().runtime(runtime).ownerId(owner)
             .terminationGrace(Duration.ofSeconds(1)).build()) {
      try {
        orch.apply(ServiceSpec.builder("inventory").replicas(1)
            .container(ContainerSpec.builder(image).command("sh", "-c", "trap 'exit 0' TERM; mkdir -p /www &&"
                + " echo ok > /www/index.html && httpd -f -p 8080 -h /www & wait").port("http", 8080).build())
            .readiness(Probe.http("/index.html", "http").withPeriod(Duration.ofMillis(500))).build());
        orch.apply(ServiceSpec.builder("payments").replicas(REPLICAS)
            .container(ContainerSpec.builder(image).command("sh", "-c", sleeper).requests("10m", "8Mi").build())
            .build());
        for (String s : List.of("inventory", "payments")) {
          if (!orch.awaitReady(s, Duration.ofMinutes(3))) {
            throw new IllegalStateException(s + " not ready: " + orch.status(s));
          }
        }
        String net = "orch." + owner + ".inventory";
        Set<String> payments = Set.copyOf(runtime.list(LabelSelector.of(OrchLabels.SERVICE, "payments"))
            .toCompletableFuture().get().stream().map(ContainerInfo::id).toList());
        awaitMembers(runtime, owner, net, m -> m.containsAll(payments));
        // The baseline's own containers and network, made through the SPI, which Orch does not wire.
        runtime.createNetwork("e0", baseNet, java.util.Map.of(OrchLabels.OWNER, owner + "-base"))
            .toCompletableFuture().get();
        for (int i = 0; i < REPLICAS; i++) {
          ContainerInfo c = runtime.create(new dev.orch.api.runtime.ContainerCreateRequest("bench-base-" + i + "-"
              + owner, "e0", ContainerSpec.builder(image).command("sh", "-c", sleeper).build(),
              java.util.Map.of(OrchLabels.OWNER, owner + "-base"))).toCompletableFuture().get();
          runtime.start(c.id()).toCompletableFuture().get();
          runtime.connect(c.id(), baseNet, Set.of()).toCompletableFuture().get();
          plain.add(c.id());
        }
        for (int round = -1; round < ROUNDS; round++) { // round -1 warms up
          long t0 = System.nanoTime();
          orch.policies().apply(onlyOrders);
          awaitMembers(runtime, owner, net, m -> m.stream().noneMatch(payments::contains));
          long c = (System.nanoTime() - t0) / 1_000_000;
          t0 = System.nanoTime();
          orch.policies().delete(onlyOrders.name());
          awaitMembers(runtime, owner, net, m -> m.containsAll(payments));
          long r = (System.nanoTime() - t0) / 1_000_000;
          t0 = System.nanoTime();
          CompletableFuture.allOf(plain.stream().map(id -> runtime.disconnect(id, baseNet).toCompletableFuture())
              .toArray(CompletableFuture[]::new)).get();
          CompletableFuture.allOf(plain.stream().map(id -> runtime.connect(id, baseNet, Set.of()).toCompletableFuture())
              .toArray(CompletableFuture[]::new)).get();
          long b = (System.nanoTime() - t0) / 1_000_000;
          System.out.printf("round %d: cut %d ms, restore %d ms; runtime calls alone (10 disconnects, 10 connects)"
              + " %d ms%n", round, c, r, b);
          if (round >= 0) {
            cut[round] = c;
            restore[round] = r;
            baseline[round] = b;
          }
        }
      } finally {
        for (String id : plain) {
          runtime.remove(id).toCompletableFuture().exceptionally(e -> null).get();
        }
        runtime.removeNetwork("e0", baseNet).toCompletableFuture().exceptionally(e -> null).get();
        orch.closeAndRemoveAll(Duration.ofMinutes(1));
      }
    }
    long b = median(baseline);
    System.out.printf("%n%d replicas, median of %d rounds:%n", REPLICAS, ROUNDS);
    System.out.printf("  runtime calls alone (disconnect and connect 10)  %5d ms%n", b);
    System.out.printf("  policy applied -> 10 replicas cut off            %5d ms%n", median(cut));
    System.out.printf("  policy deleted -> 10 replicas back               %5d ms%n", median(restore));
    System.out.printf("  (cut + restore) / runtime calls alone            %5.2f%n",
        (double) (median(cut) + median(restore)) / b);
  }

  private static void awaitMembers(DockerRuntime runtime, String owner, String net, Predicate<Set<String>> done)
      throws Exception {
    long deadline = System.nanoTime() + Duration.ofMinutes(1).toNanos();
    while (System.nanoTime() < deadline) {
      List<NetworkInfo> nets = runtime.listNetworks(LabelSelector.of(OrchLabels.OWNER, owner)).toCompletableFuture()
          .get();
      Set<String> members = nets.stream().filter(n -> n.name().equals(net)).findFirst()
          .map(NetworkInfo::containers).orElse(Set.of());
      if (done.test(members)) {
        return;
      }
      java.util.concurrent.locks.LockSupport.parkNanos(5_000_000); // a poll every 5 ms, not a spin on the engine
    }
    throw new IllegalStateException("network " + net + " did not reach the state in a minute");
  }

  private static long median(long[] xs) {
    long[] s = xs.clone();
    Arrays.sort(s);
    return s[s.length / 2];
  }
}
