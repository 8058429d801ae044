package dev.orch.jmh;

import dev.orch.api.runtime.ExecResult;
import dev.orch.api.spec.ContainerSpec;
import dev.orch.api.spec.ServiceSpec;
import dev.orch.api.spec.Stateful;
import dev.orch.core.DrainReport;
import dev.orch.core.Orchestrator;
import dev.orch.core.ReplicaStatus;
import dev.orch.docker.DockerEngine;
import dev.orch.docker.DockerRuntime;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/**
 * Not a JMH benchmark but a plain program, since one sample takes seconds: the drain of a real engine that
 * holds a stateful replica with 100 MiB in its volume, against {@code docker cp} moving the same 100 MiB from
 * a container on one engine into a container on the other, in the same run.
 *
 * <ol>
 *   <li>{@code drain}: {@code orch.drain(node)} until its report says complete: the replica stopped, its
 *       volume copied to the other engine through the archive endpoints and verified (read back and
 *       digested), the replica created and started there. Each round drains the engine the replica is on, so
 *       the data goes back and forth; the drained engine is uncordoned after.</li>
 *   <li>{@code docker cp}: {@code docker -H A cp src:/data - | docker -H B cp - dst:/}, the CLI's copy out and
 *       in of the same data, with no verification and no replica to stop or start.</li>
 * </ol>
 *
 * <p>Run: {@code eval "$(scripts/test-engines.sh start)"; java -cp jmh/target/benchmarks.jar
 * dev.orch.jmh.DrainDockerBenchmark}. Needs two engines; skips, saying so, when {@code ORCH_DOCKER_HOSTS}
 * names fewer.
 */
public final class DrainDockerBenchmark {
  private static final int ROUNDS = 3;
  private static final long BYTES = 100L * 1024 * 1024;

  private DrainDockerBenchmark() {
  }

  /** Runs the comparison. */
  public static void main(String[] args) throws Exception {
    List<String> hosts = Arrays.stream(System.getenv().getOrDefault("ORCH_DOCKER_HOSTS", "").split(","))
        .map(String::strip).filter(h -> !h.isEmpty()).toList();
    if (hosts.size() < 2) {
      System.out.println("DrainDockerBenchmark skipped: ORCH_DOCKER_HOSTS names fewer than 2 engines "
          + "(scripts/test-engines.sh start)");
      return;
    }
    String image = System.getenv().getOrDefault("ORCH_DOCKER_IMAGE", "orch-test/busybox:1");
    String run = UUID.randomUUID().toString().substring(0, 6);
    long[] drain = new long[ROUNDS];
    long[] cp = new long[ROUNDS];
    try (DockerRuntime runtime = DockerRuntime.builder().callTimeout(Duration.ofSeconds(60))
        .engine(DockerEngine.of("e0", hosts.get(0))).engine(DockerEngine.of("e1", hosts.get(1))).build();
         Orchestrator orch = Orchestrator.builder().runtime(runtime).ownerId("bench-drain-" + run)
             .terminationGrace(Duration.ofSeconds(1)).build()) {
      orch.apply(ServiceSpec.builder("bench").replicas(1)
          .container(ContainerSpec.builder(image).command("sh", "-c", "trap 'exit 0' TERM; sleep 100000 & wait")
              .build())
          .stateful(Stateful.builder().volume("data", "/data").whenDeleted(Stateful.Retention.DELETE).build())
          .build());
      awaitReady(orch, "");
      ExecResult fill = runtime.exec(replica(orch).containerId(), List.of("sh", "-c", "head -c " + BYTES
          + " /dev/urandom > /data/blob"), Duration.ofMinutes(2)).toCompletableFuture().get();
      if (fill.exitCode() != 0) {
        throw new IllegalStateException("filling the volume failed: " + fill);
      }
      String src = "bench-cp-src-" + run;
      String dst = "bench-cp-dst-" + run;
      String volume = "bench-cp-" + run;
      try {
        sh(hosts.get(0), "run", "--rm", "--network", "none", "-v", volume + ":/data", image, "sh", "-c",
            "head -c " + BYTES + " /dev/urandom > /data/blob");
        sh(hosts.get(0), "create", "--name", src, "--network", "none", "-v", volume + ":/data", image, "true");
        sh(hosts.get(1), "create", "--name", dst, "--network", "none", "-v", volume + ":/data", image, "true");
        for (int round = -1; round < ROUNDS; round++) { // round -1 warms up
          String from = replica(orch).node();
          long t0 = System.nanoTime();
          DrainReport report = orch.drain(from, Duration.ofMinutes(5)).get(6, TimeUnit.MINUTES);
          awaitReady(orch, from);
          long d = (System.nanoTime() - t0) / 1_000_000;
          if (Boolean.getBoolean("verbose")) {
            orch.events().recent("bench", 20).forEach(e -> System.out.println("  " + e));
          }
          if (!report.complete()) {
            throw new IllegalStateException("the drain did not complete: " + report);
          }
          orch.uncordon(from);
          boolean out = (round + 1) % 2 == 0; // src (e0) to dst (e1) first, then back: real data each time
          String a = out ? hosts.get(0) : hosts.get(1);
          String b = out ? hosts.get(1) : hosts.get(0);
          t0 = System.nanoTime();
          pipe(a, (out ? src : dst) + ":/data", b, (out ? dst : src) + ":/");
          long c = (System.nanoTime() - t0) / 1_000_000;
          System.out.printf("round %d: drain %d ms (%s -> %s), docker cp out and in %d ms%n", round, d, from,
              replica(orch).node(), c);
          if (round >= 0) {
            drain[round] = d;
            cp[round] = c;
          }
        }
      } finally {
        quietly(hosts.get(0), "rm", "-f", src);
        quietly(hosts.get(1), "rm", "-f", dst);
        quietly(hosts.get(0), "volume", "rm", "-f", volume);
        quietly(hosts.get(1), "volume", "rm", "-f", volume);
        orch.cordoned().forEach(orch::uncordon);
        orch.closeAndRemoveAll(Duration.ofMinutes(1));
      }
    }
    long d = median(drain);
    long c = median(cp);
    System.out.printf("%n100 MiB, median of %d rounds:%n", ROUNDS);
    System.out.printf("  docker cp out and in       %6d ms%n", c);
    System.out.printf("  orch.drain (stop, copy, verify, start)  %6d ms   ratio to docker cp %.2f%n", d,
        (double) d / c);
  }

  private static ReplicaStatus replica(Orchestrator orch) {
    return orch.status("bench").orElseThrow().replicas().get(0);
  }

  /** Waits until the one replica runs ready, on a node other than {@code notOn}. */
  private static void awaitReady(Orchestrator orch, String notOn) throws InterruptedException {
    if (orch.awaitStatus("bench", s -> s.isReady() && s.replicas().size() == 1
        && !s.replicas().get(0).node().equals(notOn), Duration.ofMinutes(3)).isEmpty()) {
      throw new IllegalStateException("bench not ready: " + orch.status("bench"));
    }
  }

  private static void pipe(String fromHost, String from, String toHost, String to) throws Exception {
    Process p = new ProcessBuilder("bash", "-o", "pipefail", "-c", "docker -H " + fromHost + " cp " + from
        + " - | docker -H " + toHost + " cp - " + to).inheritIO().start();
    if (!p.waitFor(5, TimeUnit.MINUTES) || p.exitValue() != 0) {
      throw new IllegalStateException("docker cp " + from + " -> " + to + " failed");
    }
  }

  private static void sh(String host, String... args) throws Exception {
    List<String> argv = new ArrayList<>(List.of("docker", "-H", host));
    argv.addAll(List.of(args));
    Process p = new ProcessBuilder(argv).redirectOutput(ProcessBuilder.Redirect.DISCARD)
        .redirectError(ProcessBuilder.Redirect.INHERIT).start();
    if (!p.waitFor(5, TimeUnit.MINUTES) || p.exitValue() != 0) {
      throw new IllegalStateException(String.join(" ", argv) + " failed");
    }
  }

  private static void quietly(String host, String... args) {
    try {
      sh(host, args);
    } catch (Exception e) {
      System.out.println("clean-up: " + e.getMessage());
    }
  }

  private static long median(long[] xs) {
    long[] s = xs.clone();
    Arrays.sort(s);
    return s[s.length / 2];
  }
}
