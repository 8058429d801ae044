package dev.orch.core.lb;

import dev.orch.api.runtime.Subscription;
import dev.orch.api.time.ScheduledTask;
import dev.orch.api.time.TimeSource;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
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
  private volatile boolean closedFlag;
  private static final Logger LOG = LoggerFactory.getLogger(LoadBalancer.class);

  private final String service;
  private final Picker picker;
  private final TimeSource time;
  private final boolean ownsTime;
  private final OutlierDetection outliers;
  private final SlowStart slowStart;
  private final double panicThresholdPercent;
  private final double ewmaTauNanos;
  private final boolean recordLatency;
  private final boolean hashesKey;
  private final OutcomeListener outcomeListener;

  private final ConcurrentHashMap<String, EndpointStats> stats = new ConcurrentHashMap<>();
  private final Object lock = new Object();
  private volatile State state;

  // Guarded by lock.
  private Endpoints members;
  private boolean initialised;
  private boolean closed;
  private final Map<String, Integer> weightOverrides = new HashMap<>();
  private String splitLabel;
  private Map<String, Integer> splitWeights = Map.of();
  private ScheduledTask slowStartTick;

  private final Subscription subscription;

  private LoadBalancer(Builder b) {
    this.picker = b.picker;
    this.time = b.time != null ? b.time : TimeSource.system();
    this.outliers = b.outliers;
    this.slowStart = b.slowStart;
    this.panicThresholdPercent = b.panicThresholdPercent;
    this.ownsTime = b.time == null;
    this.recordLatency = picker.usesLatency();
    this.ewmaTauNanos = picker instanceof PeakEwmaPicker p ? p.tauNanos() : 10e9;
    this.hashesKey = picker.hashesKey();
    this.outcomeListener = b.outcomeListener;
    Endpoints first = b.source.current();
    this.service = first.service();
    this.members = Endpoints.empty(service);
    this.state = State.empty(service);
    this.subscription = b.source.subscribe(this::onEndpoints);
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
   */
  public Endpoint pick() {
    State s = state;
    return select(s, hashesKey ? ThreadLocalRandom.current().nextLong() : 0L);
  }

  /**
   * Picks an endpoint for a request with key {@code key}: consistent-hashing pickers send equal keys to
   * the same endpoint while it stays healthy; other pickers ignore the key. Allocates nothing.
   *
   * @throws NoAvailableEndpointException if no endpoint may take traffic
   */
  public Endpoint pick(CharSequence key) {
    return select(state, Hashing.hash(key));
  }

  /**
   * Picks an endpoint for a request whose key hashes to {@code keyHash} (any well-mixed 64-bit hash).
   *
   * @throws NoAvailableEndpointException if no endpoint may take traffic
   */
  public Endpoint pickByHash(long keyHash) {
    return select(state, keyHash);
  }

  /** Like {@link #pick()}, but empty instead of throwing when no endpoint may take traffic. */
  public Optional<Endpoint> tryPick() {
    State s = state;
    int i = s.table.pick(hashesKey ? ThreadLocalRandom.current().nextLong() : 0L);
    if (i < 0) {
      return Optional.empty();
    }
    s.stats[i].acquire();
    return Optional.of(s.endpoints[i]);
  }

  private Endpoint select(State s, long keyHash) {
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
    if (recordLatency && latencyNanos >= 0) {
      long now = time.nanoTime();
      st.observe(now, latencyNanos, ewmaTauNanos);
    }
    if (success) {
      st.succeeded();
    } else if (outliers.enabled() && st.failed() >= outliers.consecutiveFailures()) {
      maybeEject(st);
    }
    if (outcomeListener != null) {
      notifyListener(endpoint, success, latencyNanos);
    }
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
    EndpointStats st = stats.get(endpointId);
    return st == null ? 0 : st.inFlight();
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
    Set<String> out = new TreeSet<>();
    synchronized (lock) {
      for (EndpointStats st : stats.values()) {
        if (st.ejected) {
          out.add(st.id);
        }
      }
    }
    return out;
  }

  /** Whether endpoint {@code endpointId} is ejected now. */
  public boolean isEjected(String endpointId) {
    synchronized (lock) {
      EndpointStats st = stats.get(endpointId);
      return st != null && st.ejected;
    }
  }

  /** The snapshot of members the balancer works from. */
  public Endpoints members() {
    synchronized (lock) {
      return members;
    }
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
    synchronized (lock) {
      weightOverrides.put(endpointId, weight);
      rebuild();
    }
  }

  /** Removes the weight override of endpoint {@code endpointId}; its own weight applies again. */
  public void clearWeight(String endpointId) {
    synchronized (lock) {
      if (weightOverrides.remove(endpointId) != null) {
        rebuild();
      }
    }
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
    Objects.requireNonNull(label, "label");
    int positive = 0;
    for (Map.Entry<String, Integer> g : groupWeights.entrySet()) {
      if (g.getValue() < 0) {
        throw new IllegalArgumentException(
            "trafficSplit." + label + "=" + g.getKey() + ": weight " + g.getValue() + ": must be >= 0");
      }
      if (g.getValue() > 0) {
        positive++;
      }
    }
    if (positive == 0) {
      throw new IllegalArgumentException("trafficSplit." + label + ": " + groupWeights
          + ": at least one group must have a positive weight");
    }
    synchronized (lock) {
      splitLabel = label;
      splitWeights = Map.copyOf(groupWeights);
      rebuild();
    }
  }

  /** Ends the traffic split: every endpoint gets its own weight again. */
  public void clearTrafficSplit() {
    synchronized (lock) {
      splitLabel = null;
      splitWeights = Map.of();
      rebuild();
    }
  }

  /** Stops following the endpoint source and cancels the balancer's timers. Idempotent. */
  @Override
  public void close() {
    closedFlag = true;
    subscription.close();
    synchronized (lock) {
      closed = true;
      for (EndpointStats st : stats.values()) {
        if (st.unejectTask != null) {
          st.unejectTask.cancel();
        }
      }
      if (slowStartTick != null) {
        slowStartTick.cancel();
        slowStartTick = null;
      }
    }
    if (ownsTime) {
      time.close();
    }
  }

  // ---------------------------------------------------------------- changes

  private void onEndpoints(Endpoints next) {
    synchronized (lock) {
      if (closed) {
        return;
      }
      long now = time.nanoTime();
      Set<String> nextIds = new HashSet<>();
      for (Endpoint e : next.all()) {
        EndpointStats st = stats.computeIfAbsent(e.id(), EndpointStats::new);
        boolean wasReady = st.member && st.lastReady;
        if (!e.ready()) {
          st.slowStartSince = Long.MIN_VALUE;
        } else if (slowStart != null && initialised && !wasReady) {
          st.slowStartSince = now;
        }
        st.lastReady = e.ready();
        nextIds.add(e.id());
      }
      for (EndpointStats st : stats.values()) {
        st.member = nextIds.contains(st.id);
      }
      // Forget endpoints that left and have nothing in flight; keep the others so a drain can be watched.
      stats.values().removeIf(st -> {
        if (st.member) {
          return false;
        }
        if (st.unejectTask != null) {
          st.unejectTask.cancel();
          st.unejectTask = null;
        }
        st.ejected = false;
        st.lastReady = false;
        return st.inFlight() == 0;
      });
      members = next;
      initialised = true;
      rebuild();
    }
  }

  private void maybeEject(EndpointStats st) {
    synchronized (lock) {
      if (closed || st.ejected || !st.member || st.consecutiveFailures < outliers.consecutiveFailures()) {
        return;
      }
      int ejectedNow = 0;
      for (EndpointStats other : stats.values()) {
        if (other.ejected) {
          ejectedNow++;
        }
      }
      int max = outliers.maxEjected(members.size());
      if (ejectedNow >= max || outliers.maxEjectionPercent() == 0) {
        LOG.debug("{}: {} not ejected: {} of at most {} already ejected", service, st.id, ejectedNow, max);
        return;
      }
      long now = time.nanoTime();
      if (st.returnedAt != Long.MIN_VALUE && st.ejections > 0) {
        long forgiven = (now - st.returnedAt) / outliers.interval().toNanos();
        st.ejections = (int) Math.max(0, st.ejections - forgiven);
      }
      st.ejections++;
      Duration base = outliers.baseEjectionTime();
      Duration duration = base.multipliedBy(st.ejections);
      if (duration.compareTo(outliers.maxEjectionTime()) > 0) {
        duration = outliers.maxEjectionTime();
      }
      st.ejected = true;
      st.consecutiveFailures = 0;
      st.unejectTask = time.schedule(duration, () -> uneject(st));
      LOG.info("{}: ejected {} for {} (ejection {})", service, st.id, duration, st.ejections);
      rebuild();
    }
  }

  private void uneject(EndpointStats st) {
    synchronized (lock) {
      if (closed || !st.ejected) {
        return;
      }
      st.ejected = false;
      st.unejectTask = null;
      st.returnedAt = time.nanoTime();
      st.consecutiveFailures = 0;
      LOG.info("{}: {} back in service after ejection", service, st.id);
      rebuild();
    }
  }

  private void slowStartStep() {
    synchronized (lock) {
      slowStartTick = null;
      if (!closed) {
        rebuild();
      }
    }
  }

  /** Builds and publishes a new pick state from the members and the health, weights and splits. */
  private void rebuild() {
    long now = time.nanoTime();
    List<Endpoint> all = members.all();
    int healthy = 0;
    for (Endpoint e : all) {
      if (e.ready() && !stats.get(e.id()).ejected) {
        healthy++;
      }
    }
    boolean panic = !all.isEmpty() && healthy * 100.0 < panicThresholdPercent * all.size();
    List<Endpoint> chosen = new ArrayList<>(all.size());
    for (Endpoint e : all) {
      if (panic || (e.ready() && !stats.get(e.id()).ejected)) {
        chosen.add(e);
      }
    }
    double[] base = new double[chosen.size()];
    for (int i = 0; i < base.length; i++) {
      Endpoint e = chosen.get(i);
      Integer override = weightOverrides.get(e.id());
      base[i] = override != null ? override : e.weight();
    }
    if (splitLabel != null) {
      applySplit(chosen, base);
    }
    boolean ramping = false;
    if (slowStart != null && picker.honoursSlowStart()) {
      long window = slowStart.window().toNanos();
      for (int i = 0; i < base.length; i++) {
        EndpointStats st = stats.get(chosen.get(i).id());
        if (st.slowStartSince != Long.MIN_VALUE) {
          long elapsed = now - st.slowStartSince;
          if (elapsed >= window) {
            st.slowStartSince = Long.MIN_VALUE;
          } else {
            base[i] *= slowStart.factor(elapsed);
            ramping = true;
          }
        }
      }
    }
    int n = 0;
    for (double w : base) {
      if (w > 0) {
        n++;
      }
    }
    Endpoint[] endpoints = new Endpoint[n];
    EndpointStats[] st = new EndpointStats[n];
    double[] weights = new double[n];
    for (int i = 0, k = 0; i < base.length; i++) {
      if (base[i] > 0) {
        endpoints[k] = chosen.get(i);
        st[k] = stats.get(chosen.get(i).id());
        weights[k] = base[i];
        k++;
      }
    }
    Candidates c = new Candidates(service, endpoints, st, weights);
    state = new State(service, endpoints, st, picker.build(c), panic, all.size(), healthy);
    if (ramping && slowStartTick == null) {
      Duration step = slowStart.window().dividedBy(10);
      slowStartTick = time.schedule(step.isZero() ? Duration.ofNanos(1) : step, this::slowStartStep);
    }
    if (panic) {
      LOG.debug("{}: panic mode: {} of {} members healthy", service, healthy, all.size());
    }
  }

  private void applySplit(List<Endpoint> chosen, double[] base) {
    Map<String, Double> groupTotals = new LinkedHashMap<>();
    for (int i = 0; i < base.length; i++) {
      String group = chosen.get(i).labels().get(splitLabel);
      Integer gw = group == null ? null : splitWeights.get(group);
      if (gw == null || gw == 0) {
        base[i] = 0;
      } else if (base[i] > 0) {
        groupTotals.merge(group, base[i], Double::sum);
      }
    }
    double shares = 0;
    for (String g : groupTotals.keySet()) {
      shares += splitWeights.get(g);
    }
    for (int i = 0; i < base.length; i++) {
      if (base[i] > 0) {
        String group = chosen.get(i).labels().get(splitLabel);
        base[i] = splitWeights.get(group) / shares * base[i] / groupTotals.get(group);
      }
    }
  }

  @Override
  public String toString() {
    State s = state;
    return "LoadBalancer[" + service + ", " + picker + ", " + s.endpoints.length + " candidates of "
        + s.members + " members" + (s.panic ? ", panic" : "") + "]";
  }

  /** One immutable pick state: the candidates and the picker's table over them. */
  private static final class State {
    final String service;
    final Endpoint[] endpoints;
    final EndpointStats[] stats;
    final Table table;
    final boolean panic;
    final int members;
    final int healthy;

    State(String service, Endpoint[] endpoints, EndpointStats[] stats, Table table, boolean panic,
        int members, int healthy) {
      this.service = service;
      this.endpoints = endpoints;
      this.stats = stats;
      this.table = table;
      this.panic = panic;
      this.members = members;
      this.healthy = healthy;
    }

    static State empty(String service) {
      return new State(service, new Endpoint[0], new EndpointStats[0], Table.EMPTY, false, 0, 0);
    }

    NoAvailableEndpointException noEndpoint() {
      return new NoAvailableEndpointException(service, members == 0 ? "the service has no members"
          : healthy + " of " + members + " members healthy, none with a positive weight"
              + (panic ? " (panic mode)" : ""));
    }
  }

  /**
   * Configures a {@link LoadBalancer}; defaults: round robin, a system time source, Envoy's outlier
   * detection, a 50% panic threshold, no slow start, no outcome listener. Not thread-safe.
   */
  public static final class Builder {
    private final EndpointSource source;
    private Picker picker = Pickers.roundRobin();
    private TimeSource time;
    private OutlierDetection outliers = OutlierDetection.defaults();
    private SlowStart slowStart;
    private double panicThresholdPercent = 50.0;
    private OutcomeListener outcomeListener;

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
     * A listener told of every reported outcome (default: none). It runs on the reporting thread, so it
     * must be fast; if it throws, the balancer logs at debug and the report still takes effect.
     */
    public Builder outcomeListener(OutcomeListener listener) {
      this.outcomeListener = Objects.requireNonNull(listener, "outcomeListener");
      return this;
    }

    /**
     * Builds the balancer and subscribes it to the source. Without a time source it starts its own
     * {@link TimeSource#system()} (one daemon timer thread), which {@link LoadBalancer#close()} stops.
     */
    public LoadBalancer build() {
      return new LoadBalancer(this);
    }
  }
}
