package dev.orch.core.lb;

import dev.orch.api.runtime.Subscription;
import dev.orch.api.time.TimeSource;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Picks an endpoint of one service for each request: only ready endpoints that are not ejected (except
 * in panic mode), spread by the chosen {@link Picker}, shaped by weights, traffic splits and slow start.
 * Thread-safe; {@link #pick()} takes no lock and allocates nothing.
 *
 * <pre>{@code
 * LoadBalancer lb = LoadBalancer.builder(registry.source("orders"))
 *     .picker(Pickers.p2cPeakEwma())
 *     .timeSource(time)
 *     .outlierDetection(OutlierDetection.defaults())
 *     .build();
 * Endpoint e = lb.pick();
 * long start = System.nanoTime();
 * boolean ok = call(e);
 * lb.report(e, ok, System.nanoTime() - start);
 * }</pre>
 *
 * <p>Every pick counts as in flight on its endpoint until {@link #report} or {@link #release} is called
 * for it; {@link #inFlight(String)} reads the count, also for an endpoint that has left the service, so
 * that a rollout can drain it. Reports feed the latency EWMA and passive outlier ejection.
 *
 * <p>Health: an endpoint is healthy when it is ready and not ejected. When fewer than the panic threshold
 * (percent of members) are healthy, the balancer spreads over every member, ready or not, rather than
 * overload the few (Envoy's panic mode); a threshold of 0 turns this off. Ejections end and slow start
 * ramps on timers of the injected {@link TimeSource}.
 *
 * <p>The pick path reads one immutable state through a volatile reference; every change (endpoints,
 * ejections, weights, slow-start steps) builds a new state under a lock and publishes it.
 */
public final class LoadBalancer implements AutoCloseable {
  // The facade over package-private parts, one concept a file: PickState (what a pick reads),
  // PickStateWriter (every change, under its lock, and the rebuild), Ejections, SlowStartRamp and
  // TrafficSplit. They never call back up here; the writer only hands new states to the publish sink.
  private volatile boolean closedFlag;
  private static final Logger LOG = LoggerFactory.getLogger(LoadBalancer.class);

  private final String service;
  private final Picker picker;
  private final TimeSource time;
  private final boolean ownsTime;
  private final OutlierDetection outliers;
  private final double ewmaTauNanos;
  private final boolean recordLatency;
  private final boolean hashesKey;
  private final @Nullable OutcomeListener outcomeListener;

  private final ConcurrentHashMap<String, EndpointStats> stats = new ConcurrentHashMap<>();
  // Here rather than in the writer, so that a pick reads it with one load; only the writer sets it.
  private volatile PickState state;
  private final PickStateWriter writer;
  private final Subscription subscription;
  private final @Nullable String caller;
  private final CallerGate gate;
  /** Picks waiting for an endpoint ({@link #pickAsync}), completed as soon as one may take traffic. */
  private final java.util.concurrent.ConcurrentLinkedQueue<java.util.concurrent.CompletableFuture<Endpoint>> waiters =
      new java.util.concurrent.ConcurrentLinkedQueue<>();
  private final @Nullable Runnable onNoEndpoint;

  private LoadBalancer(Builder b) {
    this.picker = b.picker;
    this.time = b.time != null ? b.time : TimeSource.system();
    this.outliers = b.outliers;
    this.ownsTime = b.time == null;
    this.recordLatency = picker.usesLatency();
    this.ewmaTauNanos = picker instanceof PeakEwmaPicker p ? p.tauNanos() : 10e9;
    this.hashesKey = picker.hashesKey();
    this.outcomeListener = composed(b.outcomeListeners);
    Endpoints first = b.source.current();
    this.service = first.service();
    this.writer = new PickStateWriter(service, picker, time, outliers, b.slowStart, b.panicThresholdPercent,
        stats, next -> {
          state = next;
          if (!waiters.isEmpty()) {
            releaseWaiters();
          }
        });
    this.state = PickState.empty(service);
    this.subscription = b.source.subscribe(writer::onEndpoints);
    this.caller = b.caller;
    this.gate = b.gate;
    this.onNoEndpoint = b.onNoEndpoint;
  }

  /** A builder for a load balancer over the endpoints of {@code source}. */
  public static Builder builder(EndpointSource source) {
    return new Builder(source);
  }

  /** The service this balancer serves. */
  public String service() {
    return service;
  }

  TimeSource timeSource() {
    return time;
  }

  /** The picker in use. */
  public Picker picker() {
    return picker;
  }

  // ---------------------------------------------------------------- pick path

  /**
   * Picks an endpoint and counts a request in flight on it; report or release it when done. A
   * consistent-hashing picker without a key picks at random. Allocates nothing.
   *
   * @throws NoAvailableEndpointException if no endpoint may take traffic
   * @throws CallRefusedException        while the balancer's gate refuses its caller ({@link Builder#gate})
   */
  public Endpoint pick() {
    refuseIfDenied();
    PickState s = state;
    return select(s, hashesKey ? ThreadLocalRandom.current().nextLong() : 0L);
  }

  /**
   * Picks an endpoint for a request with key {@code key}: consistent-hashing pickers send equal keys to
   * the same endpoint while it stays healthy; other pickers ignore the key. Allocates nothing.
   *
   * @throws NoAvailableEndpointException if no endpoint may take traffic
   * @throws CallRefusedException        while the balancer's gate refuses its caller ({@link Builder#gate})
   */
  public Endpoint pick(CharSequence key) {
    refuseIfDenied();
    return select(state, Hashing.hash(key));
  }

  /**
   * Picks an endpoint for a request whose key hashes to {@code keyHash} (any well-mixed 64-bit hash).
   *
   * @throws NoAvailableEndpointException if no endpoint may take traffic
   * @throws CallRefusedException        while the balancer's gate refuses its caller ({@link Builder#gate})
   */
  public Endpoint pickByHash(long keyHash) {
    refuseIfDenied();
    return select(state, keyHash);
  }

  /**
   * Like {@link #pick()}, but empty when no endpoint may take traffic (a refused caller still throws).
   *
   * @throws CallRefusedException while the balancer's gate refuses its caller ({@link Builder#gate})
   */
  public Optional<Endpoint> tryPick() {
    refuseIfDenied();
    PickState s = state;
    int i = s.table.pick(hashesKey ? ThreadLocalRandom.current().nextLong() : 0L);
    if (i < 0) {
      return Optional.empty();
    }
    s.stats[i].acquire();
    return Optional.of(s.endpoints[i]);
  }

  /**
   * Picks an endpoint, waiting up to {@code timeout} for one when none may take traffic now (a service scaled to
   * zero that an orchestrator wakes on this call, a cold start): completes with the endpoint picked (counted in
   * flight: report or release it), or fails with {@link NoAvailableEndpointException} at the timeout. Unlike
   * {@link #pick()}, which never waits and allocates nothing, this allocates a future. A caller the gate refuses
   * fails at once with {@link CallRefusedException}.
   */
  public java.util.concurrent.CompletableFuture<Endpoint> pickAsync(Duration timeout) {
    Objects.requireNonNull(timeout, "timeout");
    java.util.concurrent.CompletableFuture<Endpoint> f = new java.util.concurrent.CompletableFuture<>();
    try {
      refuseIfDenied();
    } catch (CallRefusedException refused) {
      f.completeExceptionally(refused);
      return f;
    }
    Optional<Endpoint> now = tryPick();
    if (now.isPresent()) {
      f.complete(now.get());
      return f;
    }
    waiters.add(f);
    if (onNoEndpoint != null) {
      onNoEndpoint.run(); // an orchestrator's balancer wakes a service at zero
    }
    releaseWaiters(); // an endpoint may have come meanwhile
    time.schedule(timeout, () -> {
      if (waiters.remove(f)) {
        f.completeExceptionally(new NoAvailableEndpointException(service, "none within the pick's "
            + timeout.toMillis() + " ms"));
      }
    });
    return f;
  }

  /** Gives each waiting pick an endpoint while one may take traffic. */
  private void releaseWaiters() {
    for (java.util.concurrent.CompletableFuture<Endpoint> w; (w = waiters.peek()) != null; ) {
      Optional<Endpoint> e = tryPick();
      if (e.isEmpty()) {
        return;
      }
      if (waiters.remove(w)) {
        if (!w.complete(e.get())) {
          release(e.get());
        }
      } else {
        release(e.get());
      }
    }
  }

  private void refuseIfDenied() {
    gate.check(caller, service);
  }

  /**
   * The caller that named itself to this balancer ({@link Builder#caller}), whose calls the orchestrator checks
   * against its network policies; empty when none did.
   */
  public Optional<String> caller() {
    return Optional.ofNullable(caller);
  }

  private Endpoint select(PickState s, long keyHash) {
    int i = s.table.pick(keyHash);
    if (i < 0) {
      throw s.noEndpoint();
    }
    s.stats[i].acquire();
    return s.endpoints[i];
  }

  /**
   * Reports the outcome of a request sent to {@code endpoint} after a pick: ends it in flight, feeds the
   * latency EWMA and outlier detection, then tells the {@linkplain Builder#outcomeListener outcome
   * listener}, if any. A failure counts towards ejection; a success resets the count. A report of an
   * endpoint the balancer does not know (never a member, or gone with nothing in flight) is ignored.
   *
   * @param latencyNanos the request's latency in nanoseconds; negative if unknown
   */
  public void report(Endpoint endpoint, boolean success, long latencyNanos) {
    EndpointStats st = stats.get(endpoint.id());
    if (st == null) {
      return;
    }
    st.release();
    st.reported();
    if (recordLatency && latencyNanos >= 0) {
      long now = time.nanoTime();
      st.observe(now, latencyNanos, ewmaTauNanos);
    }
    if (success) {
      st.succeeded();
    } else if (outliers.enabled() && st.failed() >= outliers.consecutiveFailures()) {
      writer.maybeEject(st);
    }
    if (outcomeListener != null) {
      notifyListener(endpoint, success, latencyNanos);
    }
  }

  /** One listener that tells each of {@code listeners} in turn (null for none), each guarded on its own. */
  private static @Nullable OutcomeListener composed(List<OutcomeListener> listeners) {
    if (listeners.isEmpty()) {
      return null;
    }
    if (listeners.size() == 1) {
      return listeners.get(0);
    }
    OutcomeListener[] all = listeners.toArray(OutcomeListener[]::new);
    return (endpoint, success, latencyNanos) -> {
      for (OutcomeListener l : all) {
        try {
          l.onOutcome(endpoint, success, latencyNanos);
        } catch (RuntimeException e) {
          LOG.debug("outcome listener failed on {}", endpoint.id(), e);
        }
      }
    };
  }

  private void notifyListener(Endpoint endpoint, boolean success, long latencyNanos) {
    try {
      outcomeListener.onOutcome(endpoint, success, latencyNanos);
    } catch (RuntimeException e) {
      LOG.debug("{}: outcome listener failed on {}", service, endpoint.id(), e);
    }
  }

  /** Like {@link #report(Endpoint, boolean, long)} with the latency as a {@link Duration}. */
  public void report(Endpoint endpoint, boolean success, Duration latency) {
    report(endpoint, success, latency.toNanos());
  }

  /** Ends a pick without an outcome (the request was cancelled or never sent): only the in-flight count changes. */
  public void release(Endpoint endpoint) {
    EndpointStats st = stats.get(endpoint.id());
    if (st != null) {
      st.release();
    }
  }

  /** The requests picked for endpoint {@code endpointId} and not yet reported or released; 0 if unknown. */
  public long inFlight(String endpointId) {
    Objects.requireNonNull(endpointId, "endpointId");
    EndpointStats st = stats.get(endpointId);
    return st == null ? 0 : st.inFlight();
  }

  /**
   * The requests reported done ({@link #report}) on endpoint {@code endpointId} since this balancer first saw it,
   * successes and failures (a request released without a report is not counted; reports on one endpoint from
   * two threads at once may lose a count: it is a rate's source, not an exact tally).
   */
  public long reported(String endpointId) {
    Objects.requireNonNull(endpointId, "endpointId");
    EndpointStats st = stats.get(endpointId);
    return st == null ? 0 : st.reported;
  }

  /** Whether {@link #close()} was called. */
  public boolean isClosed() {
    return closedFlag;
  }

  // ---------------------------------------------------------------- state views

  /** The endpoints a pick may return now, in no particular order. */
  public List<Endpoint> candidates() {
    return List.of(state.endpoints);
  }

  /** Whether the balancer is in panic mode: too few healthy endpoints, so it spreads over all members. */
  public boolean inPanic() {
    return state.panic;
  }

  /** The ids of the endpoints ejected now, sorted. */
  public Set<String> ejected() {
    return writer.ejected();
  }

  /** Whether endpoint {@code endpointId} is ejected now. */
  public boolean isEjected(String endpointId) {
    Objects.requireNonNull(endpointId, "endpointId");
    return writer.isEjected(endpointId);
  }

  /** The snapshot of members the balancer works from. */
  public Endpoints members() {
    return writer.members();
  }

  // ---------------------------------------------------------------- weights

  /**
   * Overrides endpoint {@code endpointId}'s weight (0 sends it nothing) until cleared; it applies also if
   * the endpoint joins later.
   *
   * @throws IllegalArgumentException if the weight is negative
   */
  public void setWeight(String endpointId, int weight) {
    Objects.requireNonNull(endpointId, "endpointId");
    if (weight < 0) {
      throw new IllegalArgumentException("weight of " + endpointId + ": " + weight + ": must be >= 0");
    }
    writer.setWeight(endpointId, weight);
  }

  /** Removes the weight override of endpoint {@code endpointId}; its own weight applies again. */
  public void clearWeight(String endpointId) {
    Objects.requireNonNull(endpointId, "endpointId");
    writer.clearWeight(endpointId);
  }

  /**
   * Splits traffic between groups of endpoints by the value of their label {@code label}, e.g. a canary:
   * {@code trafficSplit(OrchLabels.REVISION, Map.of("v1", 999, "v2", 1))} sends 0.1% to revision v2.
   * Each group with healthy endpoints gets its weight's share of the total, spread over its endpoints
   * by their weights; endpoints whose label value has no weight (or is missing) get nothing. A group
   * without healthy endpoints gives its share to the others.
   *
   * @throws IllegalArgumentException if a weight is negative or none is positive
   */
  public void trafficSplit(String label, Map<String, Integer> groupWeights) {
    Objects.requireNonNull(groupWeights, "groupWeights");
    writer.split(TrafficSplit.of(label, groupWeights));
  }

  /** Ends the traffic split: every endpoint gets its own weight again. */
  public void clearTrafficSplit() {
    writer.split(null);
  }

  /** Stops following the endpoint source and cancels the balancer's timers. Idempotent. */
  @Override
  public void close() {
    closedFlag = true;
    subscription.close();
    writer.close();
    if (ownsTime) {
      time.close();
    }
  }

  @Override
  public String toString() {
    PickState s = state;
    return "LoadBalancer[" + service + ", " + picker + ", " + s.endpoints.length + " candidates of "
        + s.members + " members" + (s.panic ? ", panic" : "") + "]";
  }

  /**
   * Configures a {@link LoadBalancer}; defaults: round robin, a system time source, Envoy's outlier
   * detection, a 50% panic threshold, no slow start, no outcome listener. Not thread-safe.
   */
  public static final class Builder {
    private final EndpointSource source;
    private Picker picker = Pickers.roundRobin();
    private @Nullable TimeSource time;
    private OutlierDetection outliers = OutlierDetection.defaults();
    private @Nullable SlowStart slowStart;
    private double panicThresholdPercent = 50.0;
    private final List<OutcomeListener> outcomeListeners = new ArrayList<>();
    private final List<Consumer<? super LoadBalancer>> onBuild = new ArrayList<>();
    private @Nullable String caller;
    private CallerGate gate = CallerGate.OPEN;
    private @Nullable Runnable onNoEndpoint;

    private Builder(EndpointSource source) {
      this.source = Objects.requireNonNull(source, "source");
    }

    /** The algorithm, from {@link Pickers}. */
    public Builder picker(Picker picker) {
      this.picker = Objects.requireNonNull(picker, "picker");
      return this;
    }

    /**
     * The time source for ejection times, slow start and latency stamps; the caller keeps ownership.
     * Default: a system time source of the balancer's own.
     */
    public Builder timeSource(TimeSource time) {
      this.time = Objects.requireNonNull(time, "time");
      return this;
    }

    /** Passive outlier ejection; {@link OutlierDetection#disabled()} turns it off. */
    public Builder outlierDetection(OutlierDetection outliers) {
      this.outliers = Objects.requireNonNull(outliers, "outliers");
      return this;
    }

    /** Slow start for endpoints that join or turn ready after the balancer started. */
    public Builder slowStart(SlowStart slowStart) {
      this.slowStart = Objects.requireNonNull(slowStart, "slowStart");
      return this;
    }

    /**
     * The panic threshold in percent of members healthy, 0..100 (default 50); 0 turns panic mode off.
     *
     * @throws IllegalArgumentException if out of range
     */
    public Builder panicThreshold(double percent) {
      if (!(percent >= 0 && percent <= 100)) {
        throw new IllegalArgumentException("panicThreshold: " + percent + ": must be in 0..100");
      }
      this.panicThresholdPercent = percent;
      return this;
    }

    /**
     * Adds a listener told of every reported outcome (default: none; each one added is told, in the order
     * added). It runs on the reporting thread, so it must be fast; if it throws, the balancer logs at debug
     * and the report still takes effect.
     */
    public Builder outcomeListener(OutcomeListener listener) {
      outcomeListeners.add(Objects.requireNonNull(listener, "outcomeListener"));
      return this;
    }

    /**
     * Names the service that calls through this balancer (default: none). An orchestrator's balancer
     * ({@code orch.loadBalancer("inventory").caller("orders")}) then checks it against the network policies, and
     * picks throw {@link CallRefusedException} naming the rule while they deny it; a balancer built alone only
     * remembers the name ({@link LoadBalancer#caller()}).
     *
     * @throws IllegalArgumentException when {@code caller} is not a service name (a DNS-1123 label)
     */
    public Builder caller(String caller) {
      Objects.requireNonNull(caller, "caller");
      if (!caller.matches("[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?")) {
        throw new IllegalArgumentException("caller: \"" + caller + "\": must be a service name (a DNS-1123 label)");
      }
      this.caller = caller;
      return this;
    }

    /**
     * What to run when {@link LoadBalancer#pickAsync} finds no endpoint and waits (default: nothing); an
     * orchestrator's balancer wakes an autoscaled service at zero replicas with it. Must be fast; runs on the
     * picking thread.
     */
    public Builder onNoEndpoint(Runnable action) {
      this.onNoEndpoint = Objects.requireNonNull(action, "action");
      return this;
    }

    /**
     * The gate that refuses picks while its holder says so (default: always open). An orchestrator's balancer
     * has one that its network policies hold; a balancer built alone may take one of the caller's own.
     */
    public Builder gate(CallerGate gate) {
      this.gate = Objects.requireNonNull(gate, "gate");
      return this;
    }

    /**
     * Runs {@code action} with the balancer as soon as it is built, before {@link #build()} returns: to
     * register it where its requests in flight are counted, say. Actions run in the order added.
     */
    public Builder onBuild(Consumer<? super LoadBalancer> action) {
      onBuild.add(Objects.requireNonNull(action, "action"));
      return this;
    }

    /**
     * Builds the balancer and subscribes it to the source. Without a time source it starts its own
     * {@link TimeSource#system()} (one daemon timer thread), which {@link LoadBalancer#close()} stops.
     */
    public LoadBalancer build() {
      LoadBalancer lb = new LoadBalancer(this);
      onBuild.forEach(a -> a.accept(lb));
      return lb;
    }
  }
}
