package dev.orch.core.lb;

import dev.orch.api.time.TimeSource;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Applies every change to one balancer (new members, ejections and returns, weight overrides, traffic
 * splits, slow-start steps) and publishes the {@link PickState} rebuilt from all of them. Thread-safe:
 * every method takes one lock, so this is the only writer of the pick state; picks never take it.
 *
 * <p>It owns what the lock guards: the members snapshot, the overrides and split, the membership,
 * ejection and slow-start fields of {@link EndpointStats}, and the timers of {@link Ejections} and
 * {@link SlowStartRamp}. The statistics map itself is concurrent, because reports read it lock-free.
 */
final class PickStateWriter {
  // The balancer's logger, so that the names users configure for its logs still apply.
  private static final Logger LOG = LoggerFactory.getLogger(LoadBalancer.class);

  private final String service;
  private final Picker picker;
  private final TimeSource time;
  private final double panicThresholdPercent;
  private final ConcurrentHashMap<String, EndpointStats> stats;
  private final Consumer<PickState> publish;
  private final Object lock = new Object();

  // Guarded by lock.
  private final Ejections ejections;
  private final SlowStartRamp ramp;
  private final Map<String, Integer> weightOverrides = new HashMap<>();
  private Endpoints members;
  private @Nullable TrafficSplit split;
  private boolean initialised;
  private boolean closed;

  /**
   * A writer over {@code stats}, the balancer's statistics by endpoint id, that hands each new state to
   * {@code publish}, under the lock. It starts with no members and publishes nothing until a change.
   */
  PickStateWriter(String service, Picker picker, TimeSource time, OutlierDetection outliers,
      @Nullable SlowStart slowStart, double panicThresholdPercent, ConcurrentHashMap<String, EndpointStats> stats,
      Consumer<PickState> publish) {
    this.service = service;
    this.picker = picker;
    this.time = time;
    this.panicThresholdPercent = panicThresholdPercent;
    this.stats = stats;
    this.publish = publish;
    this.ejections = new Ejections(service, outliers, time, stats, this::uneject);
    this.ramp = new SlowStartRamp(slowStart, picker, time, this::slowStartStep);
    this.members = Endpoints.empty(service);
  }

  /** Takes a new members snapshot from the endpoint source; ignored once closed. */
  void onEndpoints(Endpoints next) {
    synchronized (lock) {
      if (closed) {
        return;
      }
      long now = time.nanoTime();
      Set<String> nextIds = new HashSet<>();
      for (Endpoint e : next.all()) {
        EndpointStats st = stats.computeIfAbsent(e.id(), EndpointStats::new);
        boolean wasReady = st.member && st.lastReady;
        ramp.onMember(st, e.ready(), wasReady, initialised, now);
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
        ejections.forget(st);
        st.lastReady = false;
        return st.inFlight() == 0;
      });
      members = next;
      initialised = true;
      rebuild();
    }
  }

  /** Ejects {@code st} if outlier detection allows it; reports call it when a failure streak is long enough. */
  void maybeEject(EndpointStats st) {
    synchronized (lock) {
      if (!closed && ejections.tryEject(st, members.size())) {
        rebuild();
      }
    }
  }

  private void uneject(EndpointStats st) {
    synchronized (lock) {
      if (!closed && ejections.end(st)) {
        rebuild();
      }
    }
  }

  private void slowStartStep() {
    synchronized (lock) {
      ramp.stepRan();
      if (!closed) {
        rebuild();
      }
    }
  }

  /** Overrides endpoint {@code endpointId}'s weight (validated by the caller). */
  void setWeight(String endpointId, int weight) {
    synchronized (lock) {
      weightOverrides.put(endpointId, weight);
      rebuild();
    }
  }

  /** Removes endpoint {@code endpointId}'s weight override, if it has one. */
  void clearWeight(String endpointId) {
    synchronized (lock) {
      if (weightOverrides.remove(endpointId) != null) {
        rebuild();
      }
    }
  }

  /** Splits traffic by {@code split}, or ends the split if null. */
  void split(@Nullable TrafficSplit split) {
    synchronized (lock) {
      this.split = split;
      rebuild();
    }
  }

  /** The ids of the endpoints ejected now, sorted. */
  Set<String> ejected() {
    synchronized (lock) {
      return ejections.ejectedIds();
    }
  }

  /** Whether endpoint {@code endpointId} is ejected now. */
  boolean isEjected(String endpointId) {
    synchronized (lock) {
      return ejections.isEjected(endpointId);
    }
  }

  /** The members snapshot the pick state is built from. */
  Endpoints members() {
    synchronized (lock) {
      return members;
    }
  }

  /** Ignores later member snapshots and timers and cancels the pending ones. Idempotent. */
  void close() {
    synchronized (lock) {
      closed = true;
      ejections.cancelAll();
      ramp.cancel();
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
    if (split != null) {
      split.apply(chosen, base);
    }
    boolean ramping = ramp.scale(chosen, base, stats, now);
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
    publish.accept(new PickState(service, endpoints, st, picker.build(c), panic, all.size(), healthy));
    if (ramping) {
      ramp.scheduleStep();
    }
    if (panic) {
      LOG.debug("{}: panic mode: {} of {} members healthy", service, healthy, all.size());
    }
  }
}
