package dev.orch.inmemory;

import dev.orch.api.spec.ContainerSpec;
import dev.orch.api.time.ScheduledTask;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.random.RandomGenerator;

/**
 * One run of a simulated container, as its {@link ContainerBehavior} sees it: from a start until the
 * process ends (it exits, is killed, or its node is lost). Each start is a fresh run.
 *
 * <p>Thread-safe: every method may be called from any thread. Callbacks of the behaviour and tasks
 * scheduled through {@link #schedule} run under the runtime's lock, one at a time, so a behaviour needs no
 * locking of its own; they must not block. Once the run has ended, {@link #exit}, {@link #oomKill} and
 * {@link #useMemory} do nothing and scheduled tasks do not run.
 */
public interface ContainerProcess {

  /** The container's id. */
  String containerId();

  /** The container's name. */
  String name();

  /** The node it runs on. */
  String nodeId();

  /** What it was created from. */
  ContainerSpec spec();

  /** Its labels. */
  Map<String, String> labels();

  /**
   * Calls {@code address}:{@code port} from this container, as its process would over the networks it is
   * connected to: a service's name (Orch's discovery puts it on the service's ready replicas), a stateful
   * replica's {@code name-<ordinal>}, or a container's name; see {@link InMemoryRuntime#callFrom}. The request
   * names this container's service as its caller. Completes on the runtime's time source after the callee's
   * latency; may be called from a callback (it does not block). The default (for a process of your own, not the
   * runtime's) fails: it has no network to call over.
   */
  default java.util.concurrent.CompletionStage<SimResponse> call(String address, int port, SimRequest request) {
    return java.util.concurrent.CompletableFuture.failedFuture(new java.net.SocketException(address + ":" + port
        + ": this process is not one of the in-memory runtime's, so it has no network to call over"));
  }

  /** The time source's instant at which this run started. */
  Instant startedAt();

  /** How long this run has been going, by the runtime's time source. */
  Duration uptime();

  /** How many times the container was started before this run (0 for the first run). */
  int previousRuns();

  /** Whether this run is still going. */
  boolean isRunning();

  /** Whether the process has been asked to stop (SIGTERM) and is still running. */
  boolean isTerminating();

  /**
   * Runs {@code task} after {@code delay} on the runtime's time source, unless the run has ended by then.
   * Tasks are cancelled when the run ends.
   */
  ScheduledTask schedule(Duration delay, Runnable task);

  /**
   * Ends the run with {@code exitCode}; does nothing if it has ended.
   *
   * @throws IllegalArgumentException if {@code exitCode} is not within 0..255
   */
  void exit(int exitCode);

  /** Kills the run for exceeding its memory limit: OOM-killed, exit code 137. */
  void oomKill();

  /** The memory limit from the spec in bytes, or 0 when unlimited. */
  long memoryLimitBytes();

  /** The memory this run uses in bytes, as last set by {@link #useMemory(long)}. */
  long memoryUsageBytes();

  /**
   * Sets the memory this run uses; above a non-zero limit the run is OOM-killed at once.
   *
   * @throws IllegalArgumentException if {@code bytes} is negative
   */
  void useMemory(long bytes);

  /** Appends a line to the container's standard output (read through {@code logs(...)} and {@code streamLogs}). */
  void log(String line);

  /** Appends a line to the container's standard output or standard error. */
  void log(dev.orch.api.runtime.LogLine.Source source, String line);

  /** The CPU time this run has used serving requests (see {@link RequestModel}). */
  Duration cpuUsed();

  /** Adds {@code cpu} to what this run has used ({@link #cpuUsed()}); after the run ended, does nothing. */
  void useCpu(Duration cpu);

  /**
   * A random generator for this container, seeded from the runtime's seed, so a seeded run repeats. Not
   * thread-safe: use it inside callbacks and scheduled tasks, which run under the runtime's lock.
   */
  RandomGenerator random();

  /**
   * State a behaviour (or a test, through {@link InMemoryRuntime#process(String)}) keeps for this run; a
   * fresh, empty map on each start. Thread-safe; values must not be null.
   */
  Map<String, Object> attributes();

  /**
   * Reads a file at an absolute path under one of the container's volume mounts.
   *
   * @return empty when no such file exists or the path is under no mount
   */
  Optional<String> readFile(String path);

  /**
   * Writes a file at an absolute path under one of the container's writable volume mounts.
   *
   * @throws IllegalArgumentException if the path is under no mount, or under a read-only one
   */
  void writeFile(String path, String content);
}
