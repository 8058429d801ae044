package dev.orch.core.engine;

import dev.orch.api.runtime.ContainerInfo;
import dev.orch.api.runtime.ContainerState;
import dev.orch.api.spec.AutoscalePolicy;
import dev.orch.api.spec.ServiceSpec;
import dev.orch.core.OrchEvent;
import dev.orch.core.autoscale.Autoscaler;
import dev.orch.core.autoscale.Decision;
import dev.orch.core.autoscale.MetricReading;
import dev.orch.core.autoscale.MetricSource;
import dev.orch.core.autoscale.UsageRates;
import dev.orch.core.reconcile.ReconcileResult;
import io.micrometer.core.instrument.Counter;
import java.util.ArrayDeque;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The orchestrator's autoscaling: one {@link Autoscaler} per service with a policy, deciding every sync period
 * (one work-queue key per service, {@code #autoscale:<service>}) from its replicas' metrics and setting the
 * service's replica count. Metrics with no agent to install: {@code cpu} and {@code memory} (the runtime's usage
 * stats, {@link UsageRates}); {@value #REQUESTS_PER_SECOND}, {@value #REQUESTS_IN_FLIGHT} and the latency
 * quantiles {@value #LATENCY_P50}, {@value #LATENCY_P90} and {@value #LATENCY_P99} of the traffic through the
 * orchestrator's balancers; a metric source registered by name ({@link #metricSource}); and any other name is read
 * from the meters of that name in the orchestrator's meter registry ({@link dev.orch.core.autoscale.MeterSource}).
 * A manual {@code scale} of an autoscaled service is refused unless its autoscaling is paused; an {@code apply}
 * keeps the count the autoscaler set. Each change is a {@code Scaled} event with the decision's numbers and
 * counts in {@code orch.autoscaler.decisions}. During a rollout it scales up, not down (never below the
 * rollout's availability floor). A pick that waits on one of the orchestrator's balancers ({@code pickAsync})
 * wakes a service at zero. Policies, their autoscalers' histories and pauses are kept in the state store (a
 * policy before it takes effect, a history at each decision), so a restarted orchestrator goes on with the same
 * windows. Thread-safe.
 */
public final class AutoscaleOperations {
  private static final String PREFIX = "#autoscale:";
  /** Requests per second per replica through the orchestrator's balancers (reported ones). */
  public static final String REQUESTS_PER_SECOND = "requests-per-second";
  /** Requests in flight per replica through the orchestrator's balancers. */
  public static final String REQUESTS_IN_FLIGHT = "requests-in-flight";
  /** The median latency, in seconds, of each replica's requests through the balancers since the last sync. */
  public static final String LATENCY_P50 = "latency-p50";
  /** The 90th percentile latency, in seconds, per replica, since the last sync. */
  public static final String LATENCY_P90 = "latency-p90";
  /** The 99th percentile latency, in seconds, per replica, since the last sync. */
  public static final String LATENCY_P99 = "latency-p99";
  private static final int KEPT_DECISIONS = 20;

  /** One autoscaled service. */
  private static final class Entry {
    final AutoscalePolicy policy;
    final Autoscaler autoscaler;
    volatile boolean paused;
    /** A pick waits on a service at zero: the next sync starts a replica at once. */
    volatile boolean wake;
    final ArrayDeque<Decision> recent = new ArrayDeque<>();

    Entry(AutoscalePolicy policy, dev.orch.core.autoscale.ScaleHistory history, boolean paused) {
      this.policy = policy;
      this.autoscaler = new Autoscaler(policy, history);
      this.paused = paused;
    }
  }

  private final EngineSettings settings;
  private final DesiredState state;
  private final ObservedState observed;
  private final EndpointPublisher endpoints;
  private final ControlPlane plane;
  private final AutoscaleMetrics metrics;
  private final dev.orch.core.engine.journal.StateJournal journal;
  private final ConcurrentHashMap<String, Entry> entries = new ConcurrentHashMap<>();

  AutoscaleOperations(EngineSettings settings, DesiredState state, ObservedState observed, EndpointPublisher endpoints,
                      ControlPlane plane, dev.orch.core.engine.journal.StateJournal journal,
                      List<dev.orch.core.state.AutoscaleJson.Kept> kept) {
    this.settings = settings;
    this.journal = journal;
    kept.forEach(k -> entries.put(k.policy().service(), new Entry(k.policy(), k.history(), k.paused())));
    this.state = state;
    this.observed = observed;
    this.endpoints = endpoints;
    this.plane = plane;
    this.metrics = new AutoscaleMetrics(settings, endpoints);
    entries.values().forEach(e -> metrics.track(e.policy));
  }

  /** Whether {@code key} is an autoscaling key of the work queue. */
  static boolean isKey(String key) {
    return key.startsWith(PREFIX);
  }

  /** The service an autoscaling key is of. */
  static String service(String key) {
    return key.substring(PREFIX.length());
  }

  /**
   * Autoscales {@code policy.service()} from now on (replacing an earlier policy and its history). The service
   * may be applied later; the first decision comes one sync period after both are there.
   *
   * @throws dev.orch.api.spec.InvalidSpecException listing every violation of the policy; nothing changed
   */
  public void apply(AutoscalePolicy policy) {
    Objects.requireNonNull(policy, "policy");
    plane.observe("autoscaling", policy.service(), () -> applyObserved(policy));
  }

  private void applyObserved(AutoscalePolicy policy) {
    plane.ensureOpen("autoscale " + policy.service());
    List<dev.orch.api.spec.Violation> violations = policy.validate();
    if (!violations.isEmpty()) {
      throw new dev.orch.api.spec.InvalidSpecException(violations);
    }
    journal.saveAutoscaling(policy.service(), policy, dev.orch.core.autoscale.ScaleHistory.EMPTY, false); // kept first
    entries.put(policy.service(), new Entry(policy, dev.orch.core.autoscale.ScaleHistory.EMPTY, false));
    metrics.track(policy);
    plane.emit(OrchEvent.Type.NORMAL, "AutoscalingApplied", policy.service(), "", "", policy.minReplicas() + ".."
        + policy.maxReplicas() + " replicas on " + policy.metrics().stream().map(m -> m.metric()).toList());
    plane.enqueueAfter(PREFIX + policy.service(), policy.syncPeriod());
  }

  /**
   * Stops autoscaling {@code service}; returns whether it was. Its replica count stays as it is.
   *
   * @throws dev.orch.api.state.StateStoreException when the store cannot forget it; nothing changed
   */
  public boolean delete(String service) {
    Objects.requireNonNull(service, "service");
    Entry e = entries.get(service);
    if (e == null) {
      return false;
    }
    journal.saveAutoscaling(service, null, dev.orch.core.autoscale.ScaleHistory.EMPTY, false);
    boolean removed = entries.remove(service, e);
    if (removed) {
      metrics.forget(service);
    }
    return removed;
  }

  /** Queues the first sync of every kept policy, once the orchestrator has started. */
  void resume() {
    entries.forEach((service, e) -> plane.enqueueAfter(PREFIX + service, e.policy.syncPeriod()));
  }

  /** The policy of {@code service}, if autoscaled. */
  public Optional<AutoscalePolicy> get(String service) {
    return Optional.ofNullable(entries.get(Objects.requireNonNull(service, "service"))).map(e -> e.policy);
  }

  /** The policies, by service. */
  public List<AutoscalePolicy> list() {
    return entries.values().stream().map(e -> e.policy)
        .sorted(java.util.Comparator.comparing(AutoscalePolicy::service)).toList();
  }

  /**
   * Pauses {@code service}'s autoscaling, so that a manual {@code scale} is accepted; kept in the state store, so
   * a restarted orchestrator keeps it paused.
   *
   * @throws IllegalArgumentException if {@code service} is not autoscaled
   * @throws dev.orch.api.state.StateStoreException when the store cannot keep it; nothing changed
   */
  public void pause(String service) {
    setPaused(require(service, "pause"), service, true);
  }

  /**
   * Resumes {@code service}'s autoscaling (kept in the state store).
   *
   * @throws IllegalArgumentException if {@code service} is not autoscaled
   * @throws dev.orch.api.state.StateStoreException when the store cannot keep it; nothing changed
   */
  public void resume(String service) {
    setPaused(require(service, "resume"), service, false);
  }

  private void setPaused(Entry e, String service, boolean paused) {
    synchronized (e) {
      if (e.paused != paused) {
        journal.saveAutoscaling(service, e.policy, e.autoscaler.history(), paused); // kept first
        e.paused = paused;
        plane.setCondition(service, "Autoscaling", true, paused ? "Paused" : "Resumed", paused
            ? "autoscaling is paused: the replica count is the user's until it is resumed"
            : "autoscaling resumed: the next sync decides");
      }
    }
  }

  /** {@code service}'s recent decisions, oldest first (at most 20). */
  public List<Decision> decisions(String service) {
    Entry e = entries.get(Objects.requireNonNull(service, "service"));
    if (e == null) {
      return List.of();
    }
    synchronized (e.recent) {
      return List.copyOf(e.recent);
    }
  }

  /**
   * Reads metric {@code metric} from {@code source} from now on, instead of from the meters of that name in
   * the orchestrator's registry.
   *
   * @throws IllegalArgumentException if {@code metric} is built in (the runtime's usage stats, or the traffic
   *                                  through the orchestrator's balancers)
   */
  public void metricSource(String metric, MetricSource source) {
    metrics.register(metric, source);
  }

  private Entry require(String service, String what) {
    Entry e = entries.get(Objects.requireNonNull(service, "service"));
    if (e == null) {
      throw new IllegalArgumentException(what + " autoscaling: service: \"" + service + "\": is not autoscaled");
    }
    return e;
  }

  /**
   * A pick through one of the orchestrator's balancers waits for {@code service}, which has no endpoint: if it is
   * autoscaled at zero replicas, its next sync (queued now) starts one. Fast: it only queues.
   */
  void wake(String service) {
    Entry e = entries.get(service);
    if (e != null && !e.paused && state.desired(service).map(s -> s.replicas() == 0).orElse(false)) {
      StandbyRequests forLeader = plane.standbyRequests();
      if (forLeader != null) {
        forLeader.wake(service); // a standby's balancer: the leader wakes it
        return;
      }
      e.wake = true;
      plane.enqueue(PREFIX + service);
    }
  }

  /**
   * Refuses a manual scale of an autoscaled service whose autoscaling is not paused.
   *
   * @throws IllegalStateException naming the policy and the way out
   */
  void requireManualScale(String service) {
    Entry e = entries.get(service);
    if (e != null && !e.paused) {
      throw new IllegalStateException("scale " + service + " refused: it is autoscaled (" + e.policy.minReplicas()
          + ".." + e.policy.maxReplicas() + " replicas); pause its autoscaling first (orch.autoscaling().pause(\""
          + service + "\"))");
    }
  }

  /** {@code spec} with the replica count the autoscaler set, when it scales the service (an apply keeps it). */
  ServiceSpec keepScaled(ServiceSpec spec, ServiceSpec previous) {
    Entry e = entries.get(spec.name());
    return e == null || e.paused || previous == null ? spec : spec.withReplicas(previous.replicas());
  }

  /** One sync of the service the key names: read, decide, apply; the next one a sync period later. */
  ReconcileResult sync(String key) {
    String service = key.substring(PREFIX.length());
    Entry e = entries.get(service);
    ServiceSpec spec = state.desired(service).orElse(null);
    if (e == null) {
      return ReconcileResult.done();
    }
    if (spec == null || e.paused) {
      return ReconcileResult.requeueAfter(e.policy.syncPeriod());
    }
    if (e.wake) {
      e.wake = false;
      if (spec.replicas() == 0) {
        int to = Math.max(1, e.policy.minReplicas());
        plane.applyScaled(spec.withReplicas(to));
        plane.emit(OrchEvent.Type.NORMAL, "Woken", service, "", "", "a call through the balancer waits: 0 -> " + to);
        return ReconcileResult.requeueAfter(e.policy.syncPeriod());
      }
    }
    List<ContainerInfo> replicas = observed.containersOf(service).stream()
        .filter(c -> c.state() == ContainerState.RUNNING).toList();
    Map<String, Boolean> ready = readiness(spec, replicas);
    Traces traces = plane.traces();
    io.micrometer.observation.Observation o = traces.autoscale(service, traces.current());
    CompletableFuture<Map<String, MetricReading>> reads;
    try (io.micrometer.observation.Observation.Scope scope = o.openScope()) {
      reads = metrics.read(e.policy, spec, replicas);
    }
    reads.thenApply(readings -> {
      try (io.micrometer.observation.Observation.Scope scope = o.openScope()) {
        return decide(e, spec, ready, readings);
      }
    }).whenComplete((reason, x) -> {
      Traces.stop(o, x != null ? "failed" : reason, x);
      plane.enqueueAfter(key, e.policy.syncPeriod());
    });
    return ReconcileResult.done();
  }

  /** Decides and scales; returns the decision's reason ({@code Replaced} when the policy went meanwhile). */
  private String decide(Entry e, ServiceSpec spec, Map<String, Boolean> ready, Map<String, MetricReading> readings) {
    if (entries.get(spec.name()) != e || e.paused) {
      return "Replaced"; // replaced, deleted or paused meanwhile
    }
    // During a rollout the autoscaler may add replicas (the rollout keeps its proportions of the total) but
    // takes none away: a scale-down could take the service below the rollout's availability floor.
    boolean rolling = plane.status(spec.name()).map(st -> st.rollout().phase() == dev.orch.core.RolloutStatus.Phase
        .PROGRESSING || st.rollout().phase() == dev.orch.core.RolloutStatus.Phase.PAUSED).orElse(false);
    Decision d = e.autoscaler.decide(spec.replicas(), rolling ? spec.replicas() : 0, ready, readings,
        settings.time().now());
    try {
      synchronized (e) { // not over a pause asked meanwhile
        journal.saveAutoscaling(spec.name(), e.policy, e.autoscaler.history(), e.paused); // a restart keeps windows
      }
    } catch (dev.orch.api.state.StateStoreException x) {
      plane.emit(OrchEvent.Type.WARNING, "AutoscalingNotKept", spec.name(), "", "", "the state store did not keep"
          + " the autoscaler's history (" + x.getMessage() + "); this decision stands, the next sync tries again");
    }
    synchronized (e.recent) {
      e.recent.addLast(d);
      while (e.recent.size() > KEPT_DECISIONS) {
        e.recent.removeFirst();
      }
    }
    // In the status: the last decision, with every number (false when no metric could drive one).
    boolean held = d.reason().equals("Held");
    plane.setCondition(spec.name(), "Autoscaling", !d.reason().equals("MetricsUnavailable"),
        held ? "RolloutInProgress" : d.reason(), held ? "holding " + d.current() + " while the rollout runs ("
        + d.explain() + ")" : d.explain());
    Counter.builder("orch.autoscaler.decisions").description("autoscaling decisions, by what they decided")
        .tag("owner", settings.ownerId()).tag("service", spec.name()).tag("reason", d.reason())
        .register(settings.meterRegistry()).increment();
    if (d.changed()) {
      ServiceSpec now = state.desired(spec.name()).orElse(null);
      if (now != null) {
        plane.applyScaled(now.withReplicas(d.desired()));
        plane.emit(OrchEvent.Type.NORMAL, "Scaled", spec.name(), "", "", d.explain());
      }
    }
    return d.reason();
  }

  /** Each running replica, ready or not (as its endpoint says, or running when the service has no ports). */
  private Map<String, Boolean> readiness(ServiceSpec spec, List<ContainerInfo> replicas) {
    Set<String> ready = new HashSet<>(endpoints.readyNames(spec.name()));
    Map<String, Boolean> out = new LinkedHashMap<>();
    for (ContainerInfo c : replicas) {
      out.put(c.name(), spec.container().ports().isEmpty() || ready.contains(c.name()));
    }
    return out;
  }
}
