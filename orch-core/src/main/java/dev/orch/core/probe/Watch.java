package dev.orch.core.probe;

import dev.orch.api.runtime.ProbeResult;
import dev.orch.api.spec.Probe;
import dev.orch.api.spec.ProbeKind;
import dev.orch.api.spec.Probes;
import dev.orch.api.time.ScheduledTask;
import dev.orch.core.probe.ThresholdState.Verdict;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One watched target: its three probe workers, its state, and the ordered outbox of its transitions.
 * Thread-safe: state changes hold this object's lock; listeners are called outside it, one drain at a
 * time, through the time source.
 */
final class Watch implements ProbeHandle {
  private static final Logger LOG = LoggerFactory.getLogger(Watch.class);

  private final HealthProber prober;
  private final ProbeTarget target;
  private final ProbeListener listener;
  private final @Nullable Worker startup;
  private final @Nullable Worker liveness;
  private final @Nullable Worker readiness;
  private final ArrayDeque<ProbeTransition> outbox = new ArrayDeque<>();
  private boolean draining;
  private boolean closed;
  private long generation;
  private long beganNanos;
  private boolean started;
  private boolean live = true;
  private boolean ready;
  private @Nullable String lastFailure;
  private @Nullable Instant lastFailureAt;
  private volatile ProbeState snapshot;

  Watch(HealthProber prober, ProbeTarget target, Probes probes, ProbeListener listener) {
    this.prober = prober;
    this.target = target;
    this.listener = listener;
    this.startup = probes.startup().map(p -> new Worker(ProbeKind.STARTUP, p, Verdict.UNKNOWN)).orElse(null);
    this.liveness = probes.liveness().map(p -> new Worker(ProbeKind.LIVENESS, p, Verdict.PASSING)).orElse(null);
    this.readiness = probes.readiness().map(p -> new Worker(ProbeKind.READINESS, p, Verdict.FAILING)).orElse(null);
    this.snapshot = new ProbeState(false, true, false, Optional.empty(), Optional.empty());
  }

  /** Starts probing as if the container had just started. */
  void begin() {
    synchronized (this) {
      beginRun();
    }
    flush();
  }

  /** Starts a run of the container: its startup probe, or (with none) liveness and readiness. */
  private void beginRun() {
    beganNanos = prober.time.nanoTime();
    started = startup == null;
    if (started) {
      afterStartup("no startup probe");
    } else {
      startup.activate();
    }
    publishState();
  }

  @Override
  public ProbeTarget target() {
    return target;
  }

  @Override
  public ProbeState state() {
    return snapshot;
  }

  @Override
  public void restarted() {
    synchronized (this) {
      if (closed) {
        return;
      }
      generation++;
      for (Worker w : workers()) {
        w.deactivate();
        w.threshold.reset();
      }
      live = true;
      boolean wasReady = ready;
      ready = false;
      if (wasReady) {
        emit(ProbeTransition.Type.NOT_READY, "container restarted");
      }
      beginRun();
    }
    flush();
  }

  @Override
  public void close() {
    synchronized (this) {
      if (closed) {
        return;
      }
      closed = true;
      for (Worker w : workers()) {
        w.deactivate();
      }
    }
    prober.unregister(this);
  }

  @Override
  public String toString() {
    return "ProbeHandle[" + target.containerId() + " " + snapshot + "]";
  }

  // ------------------------------------------------------------------ state, under the lock

  private Worker[] workers() {
    return java.util.Arrays.stream(new Worker[] {startup, liveness, readiness})
        .filter(w -> w != null).toArray(Worker[]::new);
  }

  private void afterStartup(String reason) {
    if (liveness != null) {
      liveness.activate();
    }
    if (readiness != null) {
      readiness.activate();
    } else if (!ready) {
      ready = true;
      emit(ProbeTransition.Type.READY, reason);
    }
  }

  private void onResult(Worker w, ProbeResult r) {
    boolean ok = r.success();
    if (!ok) {
      lastFailure = label(w.kind) + ": " + r.message();
      lastFailureAt = prober.time.now();
    }
    if (!w.threshold.record(ok)) {
      if (!ok) {
        publishState();
      }
      return;
    }
    String reason = ok ? "ok" : lastFailure;
    switch (w.kind) {
      case STARTUP -> {
        if (ok) {
          started = true;
          startup.deactivate();
          emit(ProbeTransition.Type.STARTED, reason);
          afterStartup(reason);
        } else {
          emit(ProbeTransition.Type.STARTUP_FAILED, reason);
        }
      }
      case LIVENESS -> {
        live = ok;
        emit(ok ? ProbeTransition.Type.LIVE : ProbeTransition.Type.LIVENESS_FAILED, reason);
      }
      case READINESS -> {
        ready = ok;
        emit(ok ? ProbeTransition.Type.READY : ProbeTransition.Type.NOT_READY, reason);
      }
      default -> throw new IllegalStateException(w.kind.name());
    }
    publishState();
  }

  private void publishState() {
    snapshot = new ProbeState(started, live, ready, Optional.ofNullable(lastFailure),
        Optional.ofNullable(lastFailureAt));
  }

  private void emit(ProbeTransition.Type type, String reason) {
    outbox.add(new ProbeTransition(target.containerId(), type, reason, prober.time.now()));
    prober.count(type);
  }

  // ------------------------------------------------------------------ delivery

  /** Delivers queued transitions through the time source, in order, one drain at a time. */
  private void flush() {
    synchronized (this) {
      if (draining || outbox.isEmpty()) {
        return;
      }
      draining = true;
    }
    prober.schedule(Duration.ZERO, this::drain);
  }

  private void drain() {
    while (true) {
      ProbeTransition t;
      synchronized (this) {
        t = outbox.poll();
        if (t == null) {
          draining = false;
          return;
        }
      }
      try {
        listener.onTransition(t);
      } catch (RuntimeException e) {
        LOG.warn("probe listener failed on {}: {}", t, e.toString(), e);
      }
    }
  }

  /**
   * One probe of the target: its schedule, its thresholds, its call. Runs keep to a fixed grid, one period
   * apart from the jittered first run, as kubelet's ticker does: a run that was late (it waited for the
   * in-flight cap, or took longer than a period) skips the grid points it missed rather than shifting the
   * grid, so targets that were spread out stay spread out after an overload. Runs of one probe never
   * overlap.
   */
  final class Worker {
    final ProbeKind kind;
    final Probe probe;
    final ThresholdState threshold;
    private final Supplier<CompletionStage<ProbeResult>> call;
    private @Nullable ScheduledTask task;
    private boolean active;
    private long runGeneration;
    private long dueNanos;

    Worker(ProbeKind kind, Probe probe, Verdict initial) {
      String field = "probes." + label(kind);
      if (probe.initialDelay().isNegative()) {
        throw new IllegalArgumentException(field + ".initialDelay: " + probe.initialDelay() + ": must be >= 0");
      }
      if (probe.period().toMillis() < 1) {
        throw new IllegalArgumentException(field + ".period: " + probe.period() + ": must be >= 1ms");
      }
      if (probe.timeout().toMillis() < 1) {
        throw new IllegalArgumentException(field + ".timeout: " + probe.timeout() + ": must be >= 1ms");
      }
      if (probe.successThreshold() < 1) {
        throw new IllegalArgumentException(field + ".successThreshold: " + probe.successThreshold() + ": must be >= 1");
      }
      if (probe.failureThreshold() < 1) {
        throw new IllegalArgumentException(field + ".failureThreshold: " + probe.failureThreshold() + ": must be >= 1");
      }
      this.kind = kind;
      this.probe = probe;
      this.threshold = new ThresholdState(probe.successThreshold(), probe.failureThreshold(), initial);
      this.call = prober.call(target, kind, probe.action(), probe.timeout(), field);
    }

    /** Schedules the first run: after the initial delay (from the container's start) and a jitter. */
    void activate() {
      active = true;
      long sinceBegan = prober.time.nanoTime() - beganNanos;
      long delay = Math.max(0, probe.initialDelay().toNanos() - sinceBegan) + prober.jitterNanos(probe.period());
      dueNanos = prober.time.nanoTime() + delay;
      schedule(delay);
    }

    void deactivate() {
      active = false;
      if (task != null) {
        task.cancel();
        task = null;
      }
    }

    private void schedule(long delayNanos) {
      long gen = generation;
      task = prober.schedule(Duration.ofNanos(delayNanos), () -> due(gen));
    }

    private void due(long gen) {
      synchronized (Watch.this) {
        if (!active || closed || gen != generation) {
          return;
        }
        task = null;
        runGeneration = gen;
      }
      prober.submit(this);
    }

    /** Runs the probe; the prober has counted it in flight. */
    void run() {
      long gen;
      synchronized (Watch.this) {
        if (!active || closed || runGeneration != generation) {
          gen = -1;
        } else {
          gen = generation;
        }
      }
      if (gen < 0) {
        prober.release();
        return;
      }
      CompletionStage<ProbeResult> stage;
      try {
        stage = call.get();
      } catch (RuntimeException e) {
        stage = java.util.concurrent.CompletableFuture.completedFuture(ProbeResult.failed(String.valueOf(e)));
      }
      stage.whenComplete((r, e) -> finished(gen, e == null ? r : ProbeResult.failed(String.valueOf(e))));
    }

    private void finished(long gen, ProbeResult r) {
      prober.release();
      prober.count(kind, r.success());
      synchronized (Watch.this) {
        if (!active || closed || gen != generation) {
          return;
        }
        onResult(this, r);
        if (active) {
          long now = prober.time.nanoTime();
          long period = probe.period().toNanos();
          long next = dueNanos + period;
          if (next - now < 0) {
            next += ((now - next) / period + 1) * period;
          }
          dueNanos = next;
          schedule(next - now);
        }
      }
      flush();
    }
  }

  static String label(ProbeKind kind) {
    return kind.name().toLowerCase(java.util.Locale.ROOT);
  }
}
