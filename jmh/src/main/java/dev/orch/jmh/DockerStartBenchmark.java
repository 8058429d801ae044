package dev.orch.jmh;

import dev.orch.api.runtime.ContainerCreateRequest;
import dev.orch.api.runtime.ContainerInfo;
import dev.orch.api.runtime.LabelSelector;
import dev.orch.api.runtime.OrchLabels;
import dev.orch.api.spec.ContainerSpec;
import dev.orch.api.spec.ServiceSpec;
import dev.orch.core.Orchestrator;
import dev.orch.docker.DockerEngine;
import dev.orch.docker.DockerRuntime;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/**
 * Not a JMH benchmark but a plain program, since one sample takes seconds: starts 20 containers on one real
 * engine three ways and reports the wall time of each and the ratios to the CLI.
 *
 * <ol>
 *   <li>{@code cli}: a loop of {@code docker run -d} (the Docker CLI, one process per container);</li>
 *   <li>{@code runtime-seq}: {@link DockerRuntime} create + start, one container after the other (Orch's
 *       per-call overhead against the CLI's);</li>
 *   <li>{@code orch-parallel}: an {@link Orchestrator} applying a service of 20 replicas and waiting until
 *       all run (what a user of Orch does).</li>
 * </ol>
 *
 * <p>Run: {@code eval "$(scripts/test-engines.sh start)"; java -cp jmh/target/benchmarks.jar
 * dev.orch.jmh.DockerStartBenchmark}. Skips, saying so, when {@code ORCH_DOCKER_HOSTS} is unset.
 */
public final class DockerStartBenchmark {
  private static final int N = 20;
  private static final int ROUNDS = 3;

  private DockerStartBenchmark() {
  }

  /** Runs the comparison. */
  public static void main(String[] args) throws Exception {
    String hosts = System.getenv().getOrDefault("ORCH_DOCKER_HOSTS", "");
    if (hosts.isBlank()) {
      System.out.println("DockerStartBenchmark skipped: ORCH_DOCKER_HOSTS is unset (scripts/test-engines.sh start)");
      return;
    }
    String host = hosts.split(",")[0].strip();
    String image = System.getenv().getOrDefault("ORCH_DOCKER_IMAGE", "orch-test/busybox:1");
    List<String> cmd = List.of("sh", "-c", "trap 'exit 0' TERM; sleep 100000 & wait");
    long[] cli = new long[ROUNDS];
    long[] seq = new long[ROUNDS];
    long[] par = new long[ROUNDS];
    try (DockerRuntime runtime = DockerRuntime.builder().engine(DockerEngine.of("e0", host)).build()) {
      for (int round = -1; round < ROUNDS; round++) { // round -1 warms up
        long c = cliLoop(host, image, cmd);
        long s = runtimeSequential(runtime, image, cmd);
        long p = orchestrator(runtime, image, cmd);
        System.out.printf("round %d: cli %d ms, runtime-seq %d ms, orch-parallel %d ms%n", round, c, s, p);
        if (round >= 0) {
          cli[round] = c;
          seq[round] = s;
          par[round] = p;
        }
      }
    }
    long c = median(cli);
    long s = median(seq);
    long p = median(par);
    System.out.printf("%n%d containers, median of %d rounds:%n", N, ROUNDS);
    System.out.printf("  docker run -d loop        %6d ms%n", c);
    System.out.printf("  DockerRuntime sequential  %6d ms   ratio to CLI %.2f%n", s, (double) s / c);
    System.out.printf("  Orchestrator (parallel)   %6d ms   ratio to CLI %.2f%n", p, (double) p / c);
  }

  private static long cliLoop(String host, String image, List<String> cmd) throws Exception {
    String run = "bench-cli-" + UUID.randomUUID().toString().substring(0, 6);
    long t0 = System.nanoTime();
    for (int i = 0; i < N; i++) {
      List<String> argv = new ArrayList<>(List.of("docker", "-H", host, "run", "-d", "--network", "orch",
          "--restart", "no", "--label", OrchLabels.OWNER + "=" + run, "--name", run + "-" + i, image));
      argv.addAll(cmd);
      exec(argv);
    }
    long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
    List<String> rm = new ArrayList<>(List.of("docker", "-H", host, "rm", "-f"));
    for (int i = 0; i < N; i++) {
      rm.add(run + "-" + i);
    }
    exec(rm);
    return ms;
  }

  private static long runtimeSequential(DockerRuntime runtime, String image, List<String> cmd) throws Exception {
    String run = "bench-rt-" + UUID.randomUUID().toString().substring(0, 6);
    ContainerSpec spec = ContainerSpec.builder(image).command(cmd.toArray(String[]::new)).build();
    long t0 = System.nanoTime();
    List<String> ids = new ArrayList<>();
    for (int i = 0; i < N; i++) {
      ContainerInfo c = runtime.create(new ContainerCreateRequest(run + "-" + i, "e0", spec,
          Map.of(OrchLabels.OWNER, run))).toCompletableFuture().get(60, TimeUnit.SECONDS);
      runtime.start(c.id()).toCompletableFuture().get(60, TimeUnit.SECONDS);
      ids.add(c.id());
    }
    long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
    for (String id : ids) {
      runtime.remove(id).toCompletableFuture().get(60, TimeUnit.SECONDS);
    }
    return ms;
  }

  private static long orchestrator(DockerRuntime runtime, String image, List<String> cmd) throws Exception {
    String owner = "bench-orch-" + UUID.randomUUID().toString().substring(0, 6);
    try (Orchestrator orch = Orchestrator.builder().runtime(runtime).ownerId(owner).build()) {
      orch.started().get(30, TimeUnit.SECONDS);
      long t0 = System.nanoTime();
      orch.apply(ServiceSpec.builder("bench").replicas(N)
          .container(ContainerSpec.builder(image).command(cmd.toArray(String[]::new)).build()).build());
      if (!orch.awaitReady("bench", Duration.ofMinutes(2))) {
        throw new IllegalStateException("20 replicas not ready in 2 minutes: " + orch.status("bench"));
      }
      long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
      for (ContainerInfo c : runtime.list(LabelSelector.of(OrchLabels.OWNER, owner)).toCompletableFuture()
          .get(60, TimeUnit.SECONDS)) {
        runtime.remove(c.id()).toCompletableFuture().get(60, TimeUnit.SECONDS);
      }
      return ms;
    }
  }

  private static void exec(List<String> argv) throws Exception {
    Process p = new ProcessBuilder(argv).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD)
        .start();
    if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
      p.destroyForcibly();
      throw new IllegalStateException("failed: " + String.join(" ", argv));
    }
  }

  private static long median(long[] xs) {
    long[] s = xs.clone();
    java.util.Arrays.sort(s);
    return s[s.length / 2];
  }
}
