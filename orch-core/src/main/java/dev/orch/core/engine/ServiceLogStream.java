package dev.orch.core.engine;

import dev.orch.api.runtime.ContainerInfo;
import dev.orch.api.runtime.ContainerRuntime;
import dev.orch.api.runtime.LogLine;
import dev.orch.api.runtime.LogOptions;
import dev.orch.api.runtime.LogStream;
import dev.orch.core.ServiceLogs;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;

/**
 * {@link ServiceLogs} over the runtime's per-container streams: the replicas are looked up again at most every
 * {@value #REFRESH_MILLIS} ms while reading (a new one opens from its first line; a container that restarted, from
 * its new run's start; one whose stream ended or failed is not reopened until it runs again), and the open streams
 * are polled in turn, waiting on one of them at a time in slices of at most {@value #SLICE_MILLIS} ms. Holds no
 * line of its own.
 */
final class ServiceLogStream implements ServiceLogs {
  static final long REFRESH_MILLIS = 100;
  static final long SLICE_MILLIS = 20;

  /** One replica's open stream, opened for its container's run that started at {@code run}. */
  private record Followed(String replica, LogStream stream, @Nullable Instant run) {
  }

  private final ContainerRuntime runtime;
  private final Supplier<List<ContainerInfo>> replicas;
  private final LogOptions options;
  private final LinkedHashMap<String, Followed> open = new LinkedHashMap<>();
  /** Containers whose stream ended, with the start of the run it was of: a new run reopens from its start. */
  private final Map<String, Optional<Instant>> ended = new HashMap<>();
  /** Why replicas' streams failed (the runtime could not read on), by replica, the last failure each. */
  private final Map<String, String> failures = new HashMap<>();
  private final Map<String, Long> dropped = new HashMap<>();
  private final java.util.function.Consumer<ServiceLogs> onClose;
  private long refreshedAt = Long.MIN_VALUE;
  private int turn;
  private boolean closed;

  ServiceLogStream(ContainerRuntime runtime, Supplier<List<ContainerInfo>> replicas, LogOptions options,
                   java.util.function.Consumer<ServiceLogs> onClose) {
    this.onClose = onClose;
    this.runtime = runtime;
    this.replicas = replicas;
    this.options = options;
    try {
      refresh(true);
    } catch (RuntimeException e) {
      close(); // the streams opened before the one that failed
      throw e;
    }
  }

  /** Opens a stream for each replica not followed (all of them the first time, only new ones after). */
  private synchronized void refresh(boolean first) {
    refreshedAt = System.nanoTime();
    if (closed || !first && !options.follow()) {
      return;
    }
    List<ContainerInfo> now = replicas.get();
    Set<String> ids = new java.util.HashSet<>();
    now.forEach(c -> ids.add(c.id()));
    ended.keySet().retainAll(ids); // forget containers that are gone
    for (ContainerInfo c : now) {
      if (open.containsKey(c.id())) {
        continue;
      }
      Optional<Instant> endedRun = ended.get(c.id());
      Instant run = c.startedAt().orElse(null);
      if (endedRun != null && (!c.isRunning() || Objects.equals(endedRun.orElse(null), run))) {
        continue; // read to the end of this run already (or its stream failed): wait for a new run
      }
      // A new replica from its first line; a restarted one from its new run's start (Docker: to the second).
      LogOptions o = first ? options : options.withTail(-1).withSince(endedRun == null ? null : run);
      open.put(c.id(), new Followed(c.name(), runtime.streamLogs(c.id(), o), run));
      ended.remove(c.id());
    }
  }

  @Override
  public @Nullable Line poll(Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      Line line = pollOnce();
      if (line != null) {
        return line;
      }
      if (isEnded()) {
        return null;
      }
      long left = deadline - System.nanoTime();
      if (left <= 0) {
        return null;
      }
      if (System.nanoTime() - refreshedAt >= REFRESH_MILLIS * 1_000_000) {
        refresh(false);
      }
      Followed waitOn = next();
      Duration slice = Duration.ofNanos(Math.min(left, SLICE_MILLIS * 1_000_000));
      if (waitOn == null) {
        java.util.concurrent.locks.LockSupport.parkNanos(slice.toNanos()); // none open: wait for one to appear
        continue;
      }
      LogLine l = waitOn.stream().poll(slice);
      if (l != null) {
        return new Line(waitOn.replica(), l);
      }
    }
  }

  /** A line from the first open stream that has one, in turn; closes the streams that ended. */
  private synchronized @Nullable Line pollOnce() throws InterruptedException {
    List<String> ids = new ArrayList<>(open.keySet());
    for (int i = 0; i < ids.size(); i++) {
      String id = ids.get((turn + i) % ids.size());
      Followed f = open.get(id);
      LogLine l = f.stream().poll(Duration.ZERO);
      if (l != null) {
        turn = (turn + i + 1) % Math.max(1, ids.size());
        return new Line(f.replica(), l);
      }
      if (f.stream().isEnded()) {
        note(f);
        f.stream().close();
        open.remove(id);
        ended.put(id, Optional.ofNullable(f.run()));
      }
    }
    return null;
  }

  private void note(Followed f) {
    Throwable failure = f.stream().failure();
    if (failure != null) {
      failures.put(f.replica(), dev.orch.core.util.Failures.describe(failure));
    }
    if (f.stream().dropped() > 0) {
      dropped.merge(f.replica(), f.stream().dropped(), Long::sum);
    }
  }

  private synchronized @Nullable Followed next() {
    if (open.isEmpty()) {
      return null;
    }
    List<Followed> all = new ArrayList<>(open.values());
    return all.get(turn % all.size());
  }

  @Override
  public synchronized Set<String> following() {
    Set<String> out = new java.util.TreeSet<>();
    open.values().forEach(f -> out.add(f.replica()));
    return out;
  }

  @Override
  public synchronized Map<String, Long> dropped() {
    Map<String, Long> out = new java.util.TreeMap<>(dropped);
    for (Followed f : open.values()) {
      if (f.stream().dropped() > 0) {
        out.merge(f.replica(), f.stream().dropped(), Long::sum);
      }
    }
    return out;
  }

  @Override
  public synchronized Map<String, String> failures() {
    return new java.util.TreeMap<>(failures);
  }

  @Override
  public synchronized boolean isEnded() {
    return closed || !options.follow() && open.values().stream().allMatch(f -> f.stream().isEnded());
  }

  @Override
  public void close() {
    List<Followed> all;
    synchronized (this) {
      closed = true;
      all = new ArrayList<>(open.values());
      open.clear();
    }
    all.forEach(f -> f.stream().close());
    onClose.accept(this);
  }

  @Override
  public synchronized String toString() {
    return "ServiceLogs[" + following() + (options.follow() ? ", following" : "") + "]";
  }
}
