package dev.orch.inmemory;

import dev.orch.api.spec.ContainerSpec;
import dev.orch.api.runtime.LogLine;
import dev.orch.api.time.ScheduledTask;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.random.RandomGenerator;
import org.jspecify.annotations.Nullable;

/**
 * One run of a simulated container: the {@link ContainerProcess} its behaviour drives. Its mutable state is
 * guarded by the cluster's lock, which every public method takes.
 */
final class SimRun implements ContainerProcess {
  final Cluster cluster;
  final SimContainer container;
  final Instant startedAt;
  final long startedNanos;
  final int previousRuns;
  boolean ended;
  boolean terminating;
  long memoryUsage;
  /** CPU used serving requests, in nanoseconds (guarded by the cluster). */
  long cpuNanos;
  final Set<ScheduledTask> tasks = new LinkedHashSet<>();
  final List<CompletableFuture<Void>> stopWaiters = new ArrayList<>(1);
  private @Nullable Map<String, Object> attributes;

  SimRun(Cluster cluster, SimContainer container, Instant startedAt, long startedNanos, int previousRuns) {
    this.cluster = cluster;
    this.container = container;
    this.startedAt = startedAt;
    this.startedNanos = startedNanos;
    this.previousRuns = previousRuns;
  }

  @Override
  public String containerId() {
    return container.id;
  }

  @Override
  public String name() {
    return container.name;
  }

  @Override
  public String nodeId() {
    return container.nodeId;
  }

  @Override
  public ContainerSpec spec() {
    return container.spec;
  }

  @Override
  public Map<String, String> labels() {
    return container.labels;
  }

  @Override
  public java.util.concurrent.CompletionStage<SimResponse> call(String address, int port, SimRequest request) {
    Cluster.InContainerCalls calls = cluster.caller;
    if (calls == null) {
      return java.util.concurrent.CompletableFuture.failedFuture(new java.net.SocketException(address + ":" + port
          + ": this container cannot call out"));
    }
    return calls.call(container.id, address, port, request);
  }

  @Override
  public Instant startedAt() {
    return startedAt;
  }

  @Override
  public Duration uptime() {
    return Duration.ofNanos(cluster.time.nanoTime() - startedNanos);
  }

  @Override
  public int previousRuns() {
    return previousRuns;
  }

  @Override
  public boolean isRunning() {
    synchronized (cluster) {
      return !ended;
    }
  }

  @Override
  public boolean isTerminating() {
    synchronized (cluster) {
      return terminating && !ended;
    }
  }

  @Override
  public ScheduledTask schedule(Duration delay, Runnable task) {
    Objects.requireNonNull(delay, "delay");
    Objects.requireNonNull(task, "task");
    synchronized (cluster) {
      if (ended || cluster.closed) {
        return CancelledTask.INSTANCE;
      }
      TaskHolder holder = new TaskHolder();
      holder.delegate = cluster.time.schedule(delay, () -> {
        synchronized (cluster) {
          tasks.remove(holder);
          if (!ended && !holder.cancelled) {
            cluster.runBehavior(this, task);
          }
        }
      });
      tasks.add(holder);
      return holder;
    }
  }

  @Override
  public void exit(int exitCode) {
    if (exitCode < 0 || exitCode > 255) {
      throw new IllegalArgumentException("exitCode: " + exitCode + ": must be within 0..255");
    }
    synchronized (cluster) {
      cluster.endRun(this, exitCode, false);
    }
  }

  @Override
  public void oomKill() {
    synchronized (cluster) {
      cluster.endRun(this, 137, true);
    }
  }

  @Override
  public long memoryLimitBytes() {
    return container.spec.resources().limits().memoryBytes();
  }

  @Override
  public long memoryUsageBytes() {
    synchronized (cluster) {
      return memoryUsage;
    }
  }

  @Override
  public Duration cpuUsed() {
    synchronized (cluster) {
      return Duration.ofNanos(cpuNanos);
    }
  }

  @Override
  public void useCpu(Duration cpu) {
    synchronized (cluster) {
      if (!ended) {
        cpuNanos += cpu.toNanos();
      }
    }
  }

  @Override
  public void useMemory(long bytes) {
    if (bytes < 0) {
      throw new IllegalArgumentException("bytes: " + bytes + ": must be >= 0");
    }
    synchronized (cluster) {
      if (ended) {
        return;
      }
      memoryUsage = bytes;
      long limit = memoryLimitBytes();
      if (limit > 0 && bytes > limit) {
        container.log(LogLine.Source.STDERR, cluster.time.now(), "OOM: memory " + bytes + " exceeds limit " + limit);
        cluster.endRun(this, 137, true);
      }
    }
  }

  @Override
  public void log(String line) {
    log(LogLine.Source.STDOUT, line);
  }

  @Override
  public void log(LogLine.Source source, String line) {
    Objects.requireNonNull(source, "source");
    Objects.requireNonNull(line, "line");
    synchronized (cluster) {
      container.log(source, cluster.time.now(), line);
    }
  }

  @Override
  public RandomGenerator random() {
    return container.random;
  }

  @Override
  public Map<String, Object> attributes() {
    synchronized (cluster) {
      if (attributes == null) {
        attributes = new ConcurrentHashMap<>();
      }
      return attributes;
    }
  }

  @Override
  public Optional<String> readFile(String path) {
    synchronized (cluster) {
      return cluster.readFile(container, path);
    }
  }

  @Override
  public void writeFile(String path, String content) {
    synchronized (cluster) {
      cluster.writeFile(container, path, content);
    }
  }

  /** Cancels every pending task of this run. */
  void cancelTasks() {
    for (ScheduledTask t : tasks) {
      t.cancel();
    }
    tasks.clear();
  }

  @Override
  public String toString() {
    return "run " + previousRuns + " of " + container.describe();
  }

  private static final class TaskHolder implements ScheduledTask {
    ScheduledTask delegate;
    volatile boolean cancelled;

    @Override
    public void cancel() {
      cancelled = true;
      delegate.cancel();
    }

    @Override
    public boolean isCancelled() {
      return cancelled;
    }
  }

  private enum CancelledTask implements ScheduledTask {
    INSTANCE;

    @Override
    public void cancel() {
    }

    @Override
    public boolean isCancelled() {
      return true;
    }
  }
}
