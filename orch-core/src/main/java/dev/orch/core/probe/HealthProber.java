package dev.orch.core.probe;

import dev.orch.api.runtime.ProbeResult;
import dev.orch.api.spec.ProbeAction;
import dev.orch.api.spec.ProbeKind;
import dev.orch.api.spec.Probes;
import dev.orch.api.time.ScheduledTask;
import dev.orch.api.time.TimeSource;
import dev.orch.core.probe.internal.NioProbeEngine;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.composite.CompositeMeterRegistry;
import io.micrometer.observation.Observation;
import io.micrometer.observation.ObservationRegistry;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.EnumMap;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs Kubernetes' startup, liveness and readiness probes for many containers at once and publishes
 * their transitions (ready, not ready, liveness failed, ...), never every result.
 *
 * <p><b>Semantics</b> are kubelet's: before the startup probe passes neither liveness nor readiness runs;
 * initial delays count from when watching began (the container's start); thresholds count consecutive
 * results; a container starts live and not ready, and with no readiness probe it is ready once started.
 * A failure past the threshold of the startup or liveness probe asks for a restart
 * ({@link ProbeTransition.Type#requiresRestart()}); call {@link ProbeHandle#restarted()} once done.
 *
 * <p><b>Scale.</b> No thread per probe or per target: periods run on the one injected {@link TimeSource};
 * HTTP and TCP probes run on one NIO selector thread ({@code orch-probe-io}, started at the first network
 * probe) that reuses kept-alive connections, so a steady prober opens no connection per probe. Each
 * target's first probe is delayed by a seeded random fraction of its period, so that many targets
 * watched at once do not fire together, and at most {@code maxInFlight} probes run at once (the others
 * wait their turn in order).
 *
 * <p>Metrics (when a registry is given): {@code orch.probe.results} (tags {@code probe}, {@code outcome}),
 * {@code orch.probe.transitions} ({@code type}), gauges {@code orch.probe.targets},
 * {@code orch.probe.inflight}, {@code orch.probe.waiting}, and {@code orch.probe.connections.opened} and
 * {@code orch.probe.connections.stale} (requests retried on a fresh connection).
 *
 * <p>Thread-safe. {@link #close()} stops every watch and the I/O thread; it closes the time source only
 * if the prober made it.
 */
public final class HealthProber implements AutoCloseable {
  /** The name of the observation around each probe, when an observation registry is given. */
  public static final String OBSERVATION = "orch.probe";

  private static final Logger LOG = LoggerFactory.getLogger(HealthProber.class);

  final TimeSource time;
  private final boolean ownsTime;
  private final int maxInFlight;
  private final SplittableRandom random;
  private final MeterRegistry registry;
  private final ObservationRegistry observations;
  private final Map<ProbeKind, Counter> successes = new EnumMap<>(ProbeKind.class);
  private final Map<ProbeKind, Counter> failures = new EnumMap<>(ProbeKind.class);
  private final Map<ProbeTransition.Type, Counter> transitions = new EnumMap<>(ProbeTransition.Type.class);
  private final Set<Watch> watches = ConcurrentHashMap.newKeySet();
  private final Object gate = new Object();
  private final ArrayDeque<Watch.Worker> waiting = new ArrayDeque<>();
  private final ProbeCalls calls = new ProbeCalls(this);
  private int inFlight;
  private @Nullable NioProbeEngine engine;
  private volatile boolean closed;

  private HealthProber(Builder b) {
    this.ownsTime = b.timeSource == null;
    this.time = ownsTime ? TimeSource.system() : b.timeSource;
    this.maxInFlight = b.maxInFlight;
    this.random = new SplittableRandom(b.seed);
    this.registry = b.meterRegistry != null ? b.meterRegistry : new CompositeMeterRegistry();
    this.observations = b.observations;
    for (ProbeKind k : ProbeKind.values()) {
      successes.put(k, Counter.builder("orch.probe.results").tag("probe", k.name().toLowerCase(java.util.Locale.ROOT)).tag("outcome", "success")
          .description("probe results").register(registry));
      failures.put(k, Counter.builder("orch.probe.results").tag("probe", k.name().toLowerCase(java.util.Locale.ROOT)).tag("outcome", "failure")
          .description("probe results").register(registry));
    }
    for (ProbeTransition.Type t : ProbeTransition.Type.values()) {
      transitions.put(t, Counter.builder("orch.probe.transitions").tag("type", t.name().toLowerCase(java.util.Locale.ROOT))
          .description("probe state transitions published").register(registry));
    }
    Gauge.builder("orch.probe.targets", watches, Set::size).description("targets watched").register(registry);
    Gauge.builder("orch.probe.inflight", this, p -> p.inFlightNow()).description("probes running")
        .register(registry);
    Gauge.builder("orch.probe.waiting", this, p -> p.waitingNow())
        .description("due probes waiting for the in-flight cap").register(registry);
    FunctionCounter.builder("orch.probe.connections.opened", this, HealthProber::connectionsOpened)
        .description("connections opened by HTTP and TCP probes").register(registry);
    FunctionCounter.builder("orch.probe.connections.stale", this, HealthProber::staleRetries)
        .description("requests sent again on a fresh connection because a reused one was closed")
        .register(registry);
  }

  /** Starts a builder: system time (owned), at most 1,000 probes in flight, seed 0, no metrics. */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * Starts probing {@code target} with {@code probes}, telling {@code listener} of each transition.
   * With no readiness probe (and no startup probe) the container is ready at once, and {@code READY} is
   * the first transition.
   *
   * @throws IllegalArgumentException naming the probe and the rule when a probe has bad timing or
   *     thresholds, or the target cannot serve it (a named port it does not map, no host and no transport
   *     for an HTTP or TCP probe, no transport and no runtime for an exec probe)
   * @throws IllegalStateException if the prober is closed
   */
  public ProbeHandle watch(ProbeTarget target, Probes probes, ProbeListener listener) {
    Objects.requireNonNull(target, "target");
    Objects.requireNonNull(probes, "probes");
    Objects.requireNonNull(listener, "listener");
    if (closed) {
      throw new IllegalStateException("prober is closed: cannot watch " + target.containerId());
    }
    Watch w = new Watch(this, target, probes, listener);
    watches.add(w);
    w.begin();
    return w;
  }

  /**
   * Runs {@code action} once against {@code target} now, outside any watch and outside the in-flight cap:
   * for a one-off check, and for measuring the engine.
   *
   * @return completes with the result, never exceptionally; a probe past {@code timeout} fails
   * @throws IllegalArgumentException when the target cannot serve the action or the timeout is not positive
   */
  public CompletionStage<ProbeResult> probeOnce(ProbeTarget target, ProbeAction action, Duration timeout) {
    Objects.requireNonNull(target, "target");
    Objects.requireNonNull(action, "action");
    Objects.requireNonNull(timeout, "timeout");
    if (timeout.toNanos() < 1_000_000) {
      throw new IllegalArgumentException("timeout: " + timeout + ": must be >= 1ms");
    }
    return call(target, ProbeKind.READINESS, action, timeout, "action").get();
  }

  /** The handles of the targets watched now. */
  public Set<ProbeHandle> watched() {
    return Set.copyOf(watches);
  }

  /** Stops every watch and the I/O thread, closing its connections. Idempotent. */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    for (Watch w : watches) {
      w.close();
    }
    NioProbeEngine e;
    synchronized (this) {
      e = engine;
    }
    if (e != null) {
      e.close();
    }
    if (ownsTime) {
      time.close();
    }
  }

  // ------------------------------------------------------------------ for watches

  /** A seeded fraction of {@code period}, in nanoseconds, for a first run. */
  long jitterNanos(Duration period) {
    double f;
    synchronized (random) {
      f = random.nextDouble();
    }
    return (long) (f * period.toNanos());
  }

  /** Runs {@code worker} now if under the cap, else queues it. */
  void submit(Watch.Worker worker) {
    synchronized (gate) {
      if (inFlight >= maxInFlight) {
        waiting.add(worker);
        return;
      }
      inFlight++;
    }
    worker.run();
  }

  /** Frees the slot of a finished probe, handing it to the next waiting one if any. */
  void release() {
    Watch.Worker next;
    synchronized (gate) {
      next = waiting.poll();
      if (next == null) {
        inFlight--;
        return;
      }
    }
    // Through the time source: never deeper on this stack, never on the I/O thread.
    schedule(Duration.ZERO, next::run);
  }

  /**
   * Schedules {@code task} on the time source; once the prober is closed (and its own time source with
   * it) a refused task is dropped rather than thrown at whichever thread finished a probe.
   */
  ScheduledTask schedule(Duration delay, Runnable task) {
    try {
      return time.schedule(delay, task);
    } catch (java.util.concurrent.RejectedExecutionException e) {
      if (!closed) {
        throw e;
      }
      return NOT_SCHEDULED;
    }
  }

  private static final ScheduledTask NOT_SCHEDULED = new ScheduledTask() {
    @Override
    public void cancel() {
    }

    @Override
    public boolean isCancelled() {
      return true;
    }
  };

  void unregister(Watch w) {
    watches.remove(w);
  }

  void count(ProbeKind kind, boolean ok) {
    (ok ? successes : failures).get(kind).increment();
  }

  void count(ProbeTransition.Type type) {
    transitions.get(type).increment();
  }

  /** The call that runs {@code action} against {@code target}; see {@link ProbeCalls#call}. */
  Supplier<CompletionStage<ProbeResult>> call(ProbeTarget target, ProbeKind kind, ProbeAction action,
                                              Duration timeout,
                                              String field) {
    Supplier<CompletionStage<ProbeResult>> call = calls.call(target, kind, action, timeout, field);
    if (observations.isNoop()) {
      return call;
    }
    String probe = kind.name().toLowerCase(java.util.Locale.ROOT);
    String how = action instanceof ProbeAction.HttpGet ? "http" : action instanceof ProbeAction.TcpSocket ? "tcp"
        : "exec";
    return () -> {
      Observation o = Observation.createNotStarted(OBSERVATION, observations)
          .lowCardinalityKeyValue("service", target.service()).lowCardinalityKeyValue("probe", probe)
          .lowCardinalityKeyValue("action", how).highCardinalityKeyValue("container", target.containerId()).start();
      CompletionStage<ProbeResult> stage;
      try (Observation.Scope scope = o.openScope()) {
        stage = call.get();
      } catch (RuntimeException e) {
        o.error(e);
        o.lowCardinalityKeyValue("outcome", "failed").stop();
        throw e;
      }
      return stage.whenComplete((r, e) -> {
        if (e != null) {
          o.error(e);
        } else if (!r.success()) {
          o.highCardinalityKeyValue("message", r.message());
        }
        o.lowCardinalityKeyValue("outcome", e == null && r.success() ? "passed" : "failed").stop();
      });
    };
  }

  synchronized NioProbeEngine engine() {
    if (closed) {
      throw new IllegalStateException("prober is closed");
    }
    if (engine == null) {
      engine = new NioProbeEngine("orch-probe-io", maxInFlight);
      LOG.info("probe I/O engine started");
    }
    return engine;
  }

  private synchronized long connectionsOpened() {
    return engine == null ? 0 : engine.connectionsOpened();
  }

  private synchronized long staleRetries() {
    return engine == null ? 0 : engine.staleRetries();
  }

  private int inFlightNow() {
    synchronized (gate) {
      return inFlight;
    }
  }

  private int waitingNow() {
    synchronized (gate) {
      return waiting.size();
    }
  }

  /** Builds a {@link HealthProber}; not thread-safe. */
  public static final class Builder {
    private @Nullable TimeSource timeSource;
    private int maxInFlight = 1000;
    private long seed;
    private @Nullable MeterRegistry meterRegistry;
    private ObservationRegistry observations = ObservationRegistry.NOOP;

    private Builder() {
    }

    /** The time source for periods and delays; the caller keeps ownership. Default: system time. */
    public Builder timeSource(TimeSource timeSource) {
      this.timeSource = Objects.requireNonNull(timeSource, "timeSource");
      return this;
    }

    /**
     * At most this many probes run at once; due probes past it wait in order. Default 1,000.
     *
     * @throws IllegalArgumentException if {@code maxInFlight} is below 1
     */
    public Builder maxInFlight(int maxInFlight) {
      if (maxInFlight < 1) {
        throw new IllegalArgumentException("maxInFlight: " + maxInFlight + ": must be >= 1");
      }
      this.maxInFlight = maxInFlight;
      return this;
    }

    /** The seed of the first-run jitter, so a run with a virtual time source repeats. Default 0. */
    public Builder seed(long seed) {
      this.seed = seed;
      return this;
    }

    /** Where metrics go. Default: nowhere. */
    public Builder meterRegistry(MeterRegistry registry) {
      this.meterRegistry = Objects.requireNonNull(registry, "meterRegistry");
      return this;
    }

    /**
     * Where observations go: one {@code orch.probe} around each probe, with the service (of
     * {@link ProbeTarget#service}), the probe kind, the action and the outcome as low-cardinality key values.
     * Default {@link ObservationRegistry#NOOP}: nothing observed, nothing allocated.
     */
    public Builder observationRegistry(ObservationRegistry registry) {
      this.observations = Objects.requireNonNull(registry, "observationRegistry");
      return this;
    }

    /** Builds the prober. */
    public HealthProber build() {
      return new HealthProber(this);
    }
  }
}
