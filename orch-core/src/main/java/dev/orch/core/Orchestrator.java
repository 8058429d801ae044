package dev.orch.core;

import dev.orch.api.runtime.ContainerInfo;
import dev.orch.api.runtime.ContainerRuntime;
import dev.orch.api.runtime.LabelSelector;
import dev.orch.api.runtime.NodeInfo;
import dev.orch.api.runtime.OrchLabels;
import dev.orch.api.runtime.RuntimeEvent;
import dev.orch.api.runtime.RuntimeProvider;
import dev.orch.api.runtime.Subscription;
import dev.orch.api.spec.InvalidSpecException;
import dev.orch.api.spec.ServiceSpec;
import dev.orch.api.time.ScheduledTask;
import dev.orch.api.time.TimeSource;
import dev.orch.api.time.VirtualTimeSource;
import dev.orch.core.util.Durations;
import dev.orch.core.util.ExponentialBackoff;
import dev.orch.core.internal.Placer;
import dev.orch.core.util.Revisions;
import dev.orch.core.internal.SchedulerPlacer;
import dev.orch.core.lb.EndpointSource;
import dev.orch.core.lb.LoadBalancer;
import dev.orch.core.lb.Picker;
import dev.orch.core.probe.HealthProber;
import dev.orch.core.probe.ProbeState;
import dev.orch.core.reconcile.MpscWorkQueue;
import dev.orch.core.reconcile.ReconcileResult;
import dev.orch.core.scheduler.Scheduler;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.composite.CompositeMeterRegistry;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.ServiceLoader;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The facade: owns one {@link ContainerRuntime} and keeps it equal to the services applied to it —
 * placing replicas through the Scheduler, restarting what crashes (with crash-loop backoff), replacing
 * what a lost node ran, and removing what is no longer wanted.
 *
 * <pre>{@code
 * try (Orchestrator orch = Orchestrator.builder().runtime(runtime).build()) {
 *   orch.apply(ServiceSpec.builder("orders").replicas(3).container(c).build());
 *   orch.awaitReady("orders", Duration.ofSeconds(30));
 * }
 * }</pre>
 *
 * <p>Level-triggered: each service is reconciled whole (desired against observed) on one shard worker of
 * an {@link MpscWorkQueue}, whenever its spec, its containers or its nodes change, and on a periodic
 * resync, so a lost or duplicated runtime event cannot leave it wrong. On start it adopts the containers
 * that carry its owner label; it never touches one that lacks it.
 *
 * <p>Thread-safe: every method may be called from any thread; {@link #apply} and the other mutators
 * return at once and the work happens on Orch's own threads (or, with a {@link VirtualTimeSource}, on
 * the thread that advances the clock).
 */
public final class Orchestrator implements AutoCloseable {
  /** Retries of a failed create or an unschedulable replica: 1 s doubling to 60 s. */
  private static final ExponentialBackoff RETRY_BACKOFF =
      new ExponentialBackoff(Duration.ofSeconds(1), Duration.ofSeconds(60));

  final Logger log = LoggerFactory.getLogger(Orchestrator.class);

  final ContainerRuntime runtime;
  final TimeSource time;
  private final boolean ownsTime;
  final String ownerId;
  final Duration nodeLostGrace;
  final Duration terminationGrace;
  final Duration callTimeout;
  final Duration drainTimeout;
  final int revisionHistoryLimit;
  final boolean autoRollback;
  final CrashLoopBackoff crashLoop;
  private final Duration resyncPeriod;
  final Placer placer;
  final Object placementLock = new Object();

  final ConcurrentHashMap<String, ServiceSpec> desired = new ConcurrentHashMap<>();
  final ConcurrentHashMap<String, ServiceState> states = new ConcurrentHashMap<>();
  final ObservedState observed = new ObservedState();
  private final EventLog events;
  final MpscWorkQueue queue;
  final RuntimeCalls calls;
  final ReplicaProbes probes;
  /** The services' endpoints, the balancers Orch made over them, and the traffic they report. */
  final ServiceEndpoints serving = new ServiceEndpoints(this);
  final RolloutDriver rollouts = new RolloutDriver(this);
  final MeterRegistry meterRegistry;
  private final ServiceController controller;
  private final Subscription runtimeSubscription;
  private final Object readinessMonitor = new Object();
  /** Orders applies, so that an automatic rollback replaces only the spec it rolls back from. */
  private final Object applyLock = new Object();
  private final CompletableFuture<Void> started = new CompletableFuture<>();
  private volatile ScheduledTask resyncTask;
  volatile boolean closed;

  private final Timer reconcileTimer;
  private final Counter reconcileCounter;
  final Counter restarts;
  final Counter replacements;
  final Counter unschedulable;

  private final boolean ownsRuntime;

  private Orchestrator(Builder b, ContainerRuntime runtime, boolean ownsRuntime, Placer placer) {
    this.runtime = runtime;
    this.ownsRuntime = ownsRuntime;
    this.ownsTime = b.timeSource == null;
    this.time = ownsTime ? TimeSource.system() : b.timeSource;
    this.ownerId = b.ownerId;
    this.nodeLostGrace = b.nodeLostGrace;
    this.terminationGrace = b.terminationGrace;
    this.callTimeout = b.callTimeout;
    this.drainTimeout = b.drainTimeout;
    this.revisionHistoryLimit = b.revisionHistoryLimit;
    this.autoRollback = b.autoRollback;
    this.crashLoop = b.crashLoopBackoff;
    this.resyncPeriod = b.resyncPeriod;
    this.placer = placer;
    this.events = new EventLog(b.eventCapacity);
    MeterRegistry registry = b.meterRegistry != null ? b.meterRegistry : new CompositeMeterRegistry();
    this.meterRegistry = registry;
    this.reconcileTimer = Timer.builder("orch.reconcile.duration").tag("owner", b.ownerId).description("time to reconcile one service")
        .register(registry);
    Counter retries = Counter.builder("orch.runtime.retries").tag("owner", b.ownerId).description("runtime calls retried").register(registry);
    this.restarts = Counter.builder("orch.restarts").tag("owner", b.ownerId).description("containers restarted").register(registry);
    this.replacements = Counter.builder("orch.replacements").tag("owner", b.ownerId).description("replicas replaced off lost nodes")
        .register(registry);
    this.unschedulable = Counter.builder("orch.scheduler.unschedulable.passes").tag("owner", b.ownerId)
        .description("reconcile passes that left a replica unschedulable").register(registry);
    this.calls = new RuntimeCalls(this, time, retries);
    HealthProber prober = b.healthProber;
    if (prober == null) {
      HealthProber.Builder pb = HealthProber.builder().timeSource(time).seed(b.seed);
      if (b.meterRegistry != null) {
        pb.meterRegistry(b.meterRegistry);
      }
      prober = pb.build();
    }
    this.probes = new ReplicaProbes(this, prober, b.healthProber == null);
    // Mixing in the owner keeps the names of two orchestrators on one engine apart.
    this.controller = new ServiceController(this, b.seed * 31 + b.ownerId.hashCode());
    boolean deterministic = b.deterministic != null ? b.deterministic : time instanceof VirtualTimeSource;
    this.queue = MpscWorkQueue.builder().timeSource(time).shards(deterministic ? 1 : b.shards)
        .driver(deterministic ? MpscWorkQueue.Driver.TIME_SOURCE : MpscWorkQueue.Driver.THREADS)
        .handler(this::reconcile).build();
    Gauge.builder("orch.queue.depth", queue, MpscWorkQueue::depth).tag("owner", b.ownerId).description("keys waiting to be reconciled")
        .register(registry);
    this.reconcileCounter = Counter.builder("orch.reconcile.count").tag("owner", b.ownerId).description("reconcile passes")
        .register(registry);
    this.runtimeSubscription = runtime.subscribe(this::onRuntimeEvent);
    startUp();
  }

  /** Starts a builder. */
  public static Builder builder() {
    return new Builder();
  }

  // ------------------------------------------------------------------------------------------ API

  /**
   * Makes {@code spec} the desired state of its service (creating or updating it). Validates the whole
   * spec first: an invalid one is refused with every violation and changes nothing. Idempotent; returns
   * at once.
   *
   * @throws dev.orch.api.spec.InvalidSpecException when the spec breaks a rule
   * @throws IllegalStateException when the orchestrator is closed
   */
  public void apply(ServiceSpec spec) {
    Objects.requireNonNull(spec, "spec");
    spec.requireValid();
    RuntimeSupport.require(spec, runtime);
    ensureOpen("apply " + spec.name());
    ServiceSpec previous;
    synchronized (applyLock) {
      previous = desired.put(spec.name(), spec);
      ServiceState state =
          states.compute(spec.name(), (k, st) -> st == null || st.deleted ? newState(k, st) : st);
      state.remember(new Revision(Revisions.revision(spec), spec.container(), spec.probes(), time.now()),
          revisionHistoryLimit);
    }
    if (!spec.equals(previous)) {
      event(OrchEvent.Type.NORMAL, previous == null ? "Applied" : "Updated", spec.name(), "", "",
          spec.replicas() + " replicas of " + spec.container().image() + ", revision " + Revisions.revision(spec));
    }
    queue.enqueue(spec.name());
  }

  private ServiceState newState(String name, ServiceState old) {
    if (old == null) {
      return new ServiceState(name);
    }
    old.deleted = false;
    return old;
  }

  /**
   * Sets the desired replica count of service {@code name}.
   *
   * @throws UnknownServiceException when no such service was applied
   * @throws dev.orch.api.spec.InvalidSpecException when {@code replicas} is negative
   */
  public void scale(String name, int replicas) {
    ServiceSpec spec = desired.get(name);
    if (spec == null) {
      throw new UnknownServiceException("scale", name);
    }
    apply(spec.withReplicas(replicas));
  }

  /**
   * Deletes service {@code name}: its replicas are stopped (with their grace period) and removed. Also
   * removes the owned replicas of a service that was never applied here (an orchestrator that restarted
   * adopts what it owns; see the {@code Orphaned} event).
   *
   * @return whether the service existed, or had owned replicas
   */
  public boolean delete(String name) {
    ensureOpen("delete " + name);
    ServiceSpec removed = desired.remove(name);
    boolean orphaned = removed == null && !observed.containersOf(name).isEmpty();
    if (removed == null && !orphaned) {
      return false;
    }
    ServiceState st = states.computeIfAbsent(name, ServiceState::new);
    st.deleted = true;
    event(OrchEvent.Type.NORMAL, "Deleting", name, "", "", orphaned
        ? "removing the owned replicas of a service that was not applied" : "service deleted; removing its replicas");
    queue.enqueue(name);
    return true;
  }

  /** The revisions of service {@code name} that Orch remembers, oldest first; the last is the current one. */
  public List<Revision> revisions(String name) {
    ServiceState st = states.get(name);
    return st == null ? List.of() : st.history();
  }

  /**
   * Returns service {@code name} to its last revision that was fully available before the current one.
   *
   * @throws UnknownServiceException when no such service was applied
   * @throws IllegalStateException when there is no earlier good revision
   */
  public Revision rollback(String name) {
    ServiceSpec spec = desired.get(name);
    ServiceState st = states.get(name);
    if (spec == null || st == null) {
      throw new UnknownServiceException("rollback", name);
    }
    String current = Revisions.revision(spec);
    Revision target = st.lastGoodBefore(current).orElseThrow(() ->
        new IllegalStateException("rollback " + name + ": no earlier revision was ever fully available"));
    return rollback(name, target.id());
  }

  /**
   * Returns service {@code name} to its remembered revision {@code revision}: its template and probes,
   * with the current replica count, placement and strategy.
   *
   * @throws UnknownServiceException when no such service was applied
   * @throws IllegalArgumentException naming the revision and those remembered, when it is not one of them
   */
  public Revision rollback(String name, String revision) {
    ServiceSpec spec = desired.get(name);
    ServiceState st = states.get(name);
    if (spec == null || st == null) {
      throw new UnknownServiceException("rollback", name);
    }
    Revision target = st.history().stream().filter(r -> r.id().equals(revision)).findFirst().orElseThrow(() ->
        new IllegalArgumentException("rollback " + name + ": revision: \"" + revision + "\": must be one of "
            + st.history().stream().map(Revision::id).toList()));
    rollouts.note(spec, "rolledback", revision, "RolledBack", "rollback(): back to revision " + revision + " ("
        + target.container().image() + ")");
    applyRevision(spec, target);
    return target;
  }

  /** Applies {@code spec} with {@code target}'s template and probes. */
  void applyRevision(ServiceSpec spec, Revision target) {
    apply(spec.toBuilder().container(target.container()).probes(target.probes()).build());
  }

  /**
   * Like {@link #applyRevision}, for the worker's automatic rollbacks: only if {@code spec} is still the
   * desired one, so that a spec applied meanwhile (a scale, a newer revision) is never overwritten.
   */
  void applyRevisionIfUnchanged(ServiceSpec spec, Revision target) {
    ServiceSpec back = spec.toBuilder().container(target.container()).probes(target.probes()).build();
    synchronized (applyLock) {
      if (desired.get(spec.name()) != spec) {
        log.info("{}: not rolling back to {}: a newer spec was applied meanwhile", spec.name(), target.id());
        return;
      }
      apply(back);
    }
  }

  /**
   * Revision {@code id} of {@code spec}'s service: the spec's own, or a remembered one.
   *
   * @throws IllegalStateException when it is neither
   */
  Revision revisionOf(ServiceState st, ServiceSpec spec, String id) {
    if (id.equals(Revisions.revision(spec))) {
      return st.history().stream().filter(r -> r.id().equals(id)).findFirst()
          .orElseGet(() -> new Revision(id, spec.container(), spec.probes(), time.now()));
    }
    return st.history().stream().filter(r -> r.id().equals(id)).findFirst().orElseThrow(() ->
        new IllegalStateException(spec.name() + ": revision " + id + " is not remembered"));
  }

  /**
   * Pauses service {@code name}'s rollout: a rolling update starts no new wave, a blue/green or canary
   * rollout takes no further step, until {@link #resume}. What is under way (replicas starting, drains, a
   * promoted blue/green rollout's scale-down) completes. Returns at once; the service's worker carries it
   * out.
   *
   * @throws UnknownServiceException when no such service was applied
   * @throws IllegalStateException when no rollout is in progress
   */
  public void pause(String name) {
    rollouts.pause(name);
  }

  /**
   * Resumes service {@code name}'s rollout after {@link #pause} or a canary's pause step without a
   * duration; after {@link #abort}, rolls the aborted revision out again from its first step (a retry).
   * Idempotent.
   *
   * @throws UnknownServiceException when no such service was applied
   * @throws IllegalStateException when no rollout is in progress
   */
  public void resume(String name) {
    rollouts.resume(name);
  }

  /**
   * Promotes service {@code name}'s blue/green or canary rollout now: skips the remaining steps, pauses and
   * analyses; the new revision is scaled to the full count and then takes all the traffic in one step.
   *
   * @throws UnknownServiceException when no such service was applied
   * @throws IllegalStateException when the service rolls out with a rolling update, or no rollout is in progress
   */
  public void promote(String name) {
    rollouts.promote(name);
  }

  /**
   * Aborts service {@code name}'s rollout: a blue/green or canary rollout sends all traffic back to the
   * stable revision at once and removes the new revision's replicas (the spec stays; apply another revision
   * or {@link #rollback} to go on); a rolling update is rolled back to the last fully available revision.
   *
   * @throws UnknownServiceException when no such service was applied
   * @throws IllegalStateException when no rollout is in progress
   */
  public void abort(String name) {
    rollouts.abort(name);
  }

  /**
   * The exact steps applying {@code spec} would take from what service {@code spec.name()} runs now:
   * replicas per revision, the availability floor, the total ceiling and the traffic weights of each,
   * assuming every new replica becomes available and every analysis passes. Touches nothing.
   *
   * @throws dev.orch.api.spec.InvalidSpecException when the spec breaks a rule (as {@link #apply} would)
   */
  public RolloutPlan plan(ServiceSpec spec) {
    return rollouts.plan(spec);
  }

  /** The desired spec of service {@code name}, if applied. */
  public Optional<ServiceSpec> spec(String name) {
    return Optional.ofNullable(desired.get(name));
  }

  /** The names of every applied service, sorted. */
  public List<String> services() {
    return desired.keySet().stream().sorted().toList();
  }

  /** The nodes as Orch last saw them, by id. */
  public List<NodeInfo> nodes() {
    return observed.nodeInfos();
  }

  /** The observed state of service {@code name}, if applied. */
  public Optional<ServiceStatus> status(String name) {
    ServiceSpec spec = desired.get(name);
    ServiceState st = states.get(name);
    if (spec == null || st == null) {
      return Optional.empty();
    }
    List<ReplicaStatus> replicas = new ArrayList<>();
    int running = 0;
    int ready = 0;
    for (ContainerInfo c : observed.containersOf(name)) {
      if (st.deleting.containsKey(c.id())) {
        continue;
      }
      boolean nodeReady = observed.isNodeReady(c.nodeId());
      boolean isRunning = c.isRunning() && nodeReady;
      Optional<ProbeState> probe = probes.state(c.id());
      boolean isReady = isRunning && (probe.isPresent() ? probe.get().ready() : !ReplicaProbes.hasProbes(spec));
      running += isRunning ? 1 : 0;
      ready += isReady ? 1 : 0;
      ServiceState.RestartTracker rt = st.restarts.get(c.id());
      replicas.add(new ReplicaStatus(ServiceController.ordinal(c), c.name(), c.id(), c.nodeId(),
          nodeReady ? c.state() : dev.orch.api.runtime.ContainerState.UNKNOWN, isReady,
          rt == null ? 0 : rt.total, c.exitCode(), c.oomKilled(),
          c.labels().getOrDefault(OrchLabels.REVISION, ""), probe.map(ProbeState::live).orElse(isRunning),
          probe.flatMap(ProbeState::lastFailure)));
    }
    replicas.sort(Comparator.comparingInt(ReplicaStatus::ordinal).thenComparing(ReplicaStatus::name));
    List<Condition> conditions;
    synchronized (st.conditions) {
      conditions = List.copyOf(st.conditions.values());
    }
    return Optional.of(new ServiceStatus(name, spec.replicas(), running, ready, conditions, replicas,
        events.recent(name, 10), rollouts.status(spec, st.rollout.view, replicas)));
  }

  /**
   * Waits until service {@code name} has exactly its desired replicas, all ready, or {@code timeout}
   * passes. Uses real time: with a {@link VirtualTimeSource}, advance the clock and check
   * {@link #status} instead.
   *
   * @return whether it became ready in time
   * @throws UnknownServiceException when no such service was applied
   * @throws IllegalStateException on a virtual time source
   */
  public boolean awaitReady(String name, Duration timeout) throws InterruptedException {
    if (time instanceof VirtualTimeSource) {
      throw new IllegalStateException("awaitReady " + name + ": blocks on real time; with a VirtualTimeSource "
          + "advance the clock and check status(name).isReady()");
    }
    long deadline = System.nanoTime() + timeout.toNanos();
    synchronized (readinessMonitor) {
      while (true) {
        ServiceStatus s = status(name).orElseThrow(() -> new UnknownServiceException("awaitReady", name));
        if (s.isReady()) {
          return true;
        }
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          return false;
        }
        TimeUnit.NANOSECONDS.timedWait(readinessMonitor, Math.min(left, TimeUnit.MILLISECONDS.toNanos(200)));
      }
    }
  }

  /**
   * The endpoints of service {@code name}: each replica that runs, with its readiness, published as a
   * new immutable snapshot whenever it changes; feed a {@link dev.orch.core.lb.LoadBalancer} from it.
   * Only a service whose container has a port has endpoints (on its first port). Read-only.
   */
  public EndpointSource endpoints(String name) {
    return serving.source(name);
  }

  /**
   * A load balancer over service {@code name}'s ready replicas. Orch knows the requests it has in flight:
   * before it stops a replica (scale down, update, deletion) it takes the replica out of the endpoints and
   * waits until no such balancer has a request in flight on it (at most the drain timeout), so that no
   * request fails because its replica stopped under it. The outcomes reported through it feed canary
   * analyses. During a canary the endpoints' weights carry the traffic split: use a weighted picker
   * ({@code weightedRoundRobin}, {@code random}, {@code leastRequest}, {@code p2cPeakEwma}); {@code roundRobin}
   * ignores weights. Close it when done.
   */
  public LoadBalancer loadBalancer(String name, Picker picker) {
    ensureOpen("loadBalancer " + name);
    return serving.balancer(name, name, picker);
  }

  /**
   * The preview endpoints of service {@code name}: during a blue/green rollout, before promotion, the new
   * revision's replicas (which the service's own endpoints do not list); empty otherwise. Read-only.
   */
  public EndpointSource previewEndpoints(String name) {
    return serving.source(ServiceEndpoints.previewKey(name));
  }

  /**
   * A load balancer over service {@code name}'s preview endpoints (see {@link #previewEndpoints}); the
   * outcomes reported through it feed a blue/green pre-promotion analysis, and its requests in flight are
   * drained as on {@link #loadBalancer}. Close it when done.
   */
  public LoadBalancer previewLoadBalancer(String name, Picker picker) {
    ensureOpen("previewLoadBalancer " + name);
    return serving.balancer(ServiceEndpoints.previewKey(name), name, picker);
  }

  /** The event log: recent events and subscriptions. */
  public EventLog events() {
    return events;
  }

  /** This orchestrator's owner id, the value of the {@code orch.owner} label on what it creates. */
  public String ownerId() {
    return ownerId;
  }

  /** The runtime this orchestrator drives. */
  public ContainerRuntime runtime() {
    return runtime;
  }

  /** Completes when start-up (node discovery and adoption) is done. */
  public CompletableFuture<Void> started() {
    return started.copy();
  }

  /** Stops Orch's threads and timers; containers keep running (a later orchestrator adopts them). */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    ScheduledTask r = resyncTask;
    if (r != null) {
      r.cancel();
    }
    runtimeSubscription.close();
    queue.close();
    probes.close();
    if (ownsRuntime) {
      runtime.close(); // it was discovered, so it is ours to close
    }
    if (ownsTime) {
      time.close();
    }
    log.info("orchestrator {} closed", ownerId);
  }

  /**
   * Removes every container this orchestrator owns (stopping each with its grace period), waits up to
   * {@code timeout}, then closes. Real time only.
   *
   * @return whether every owned container was removed in time
   */
  public boolean closeAndRemoveAll(Duration timeout) throws InterruptedException {
    if (time instanceof VirtualTimeSource) {
      throw new IllegalStateException("closeAndRemoveAll: blocks on real time; with a VirtualTimeSource delete "
          + "each service, advance the clock, then close()");
    }
    for (String name : services()) {
      delete(name);
    }
    for (String orphan : observed.services()) {
      if (!observed.containersOf(orphan).isEmpty()) {
        delete(orphan);
      }
    }
    // The controllers stop each replica with its grace, then remove it; wait until none is left.
    long deadline = System.nanoTime() + timeout.toNanos();
    boolean gone = false;
    synchronized (readinessMonitor) {
      while (!(gone = states.isEmpty()) && System.nanoTime() < deadline) {
        readinessMonitor.wait(Math.max(1, Math.min(200, (deadline - System.nanoTime()) / 1_000_000)));
      }
    }
    close();
    return gone;
  }

  // ------------------------------------------------------------------------------------------ internals

  private ReconcileResult reconcile(String name) {
    if (!started.isDone() || closed) {
      return ReconcileResult.done(); // start-up enqueues every key when it completes
    }
    long t0 = time.nanoTime();
    try {
      return controller.reconcile(name);
    } catch (RuntimeException e) {
      event(OrchEvent.Type.WARNING, "ReconcileFailed", name, "", "", "reconcile failed, retrying with backoff: " + e);
      throw e;
    } finally {
      reconcileCounter.increment();
      reconcileTimer.record(time.nanoTime() - t0, TimeUnit.NANOSECONDS);
      synchronized (readinessMonitor) {
        readinessMonitor.notifyAll();
      }
    }
  }

  /** Re-lists nodes and owned containers into the observed state; completes with {nodes, containers}. */
  private CompletionStage<int[]> relist() {
    Instant t0 = time.now();
    long mark = observed.mark();
    return runtime.nodes().thenCombine(runtime.list(LabelSelector.of(OrchLabels.OWNER, ownerId)), (nodes, owned) -> {
      observed.setNodes(nodes, t0);
      observed.replaceAll(owned, mark);
      return new int[] {nodes.size(), owned.size()};
    });
  }

  private void startUp() {
    relist().whenComplete((counts, error) -> {
      if (error != null) {
        log.warn("orchestrator {}: start-up listing failed, retrying: {}", ownerId, describe(error));
        event(OrchEvent.Type.WARNING, "StartupFailed", "", "", "", describe(error));
        if (!closed) {
          time.schedule(Duration.ofSeconds(1), this::startUp);
        }
        return;
      }
      log.info("orchestrator {} started on runtime {}: {} nodes, adopted {} containers", ownerId, runtime.name(),
          counts[0], counts[1]);
      event(OrchEvent.Type.NORMAL, "Started", "", "", "", counts[0] + " nodes, adopted " + counts[1]
          + " containers");
      started.complete(null);
      desired.keySet().forEach(queue::enqueue);
      states.keySet().forEach(queue::enqueue);
      reportOrphans();
      scheduleResync();
    });
  }

  /** Says which owned services nobody applied: apply them to adopt their replicas, or delete them. */
  private void reportOrphans() {
    for (String service : observed.services()) {
      int n = observed.containersOf(service).size();
      if (n > 0 && !desired.containsKey(service) && !states.containsKey(service)) {
        event(OrchEvent.Type.WARNING, "Orphaned", service, "", "", n + " owned containers of a service that is "
            + "not applied; apply it to adopt them, or delete it to remove them");
      }
    }
  }

  private void scheduleResync() {
    if (closed) {
      return;
    }
    resyncTask = time.schedule(resyncPeriod, () -> {
      resync();
      scheduleResync();
    });
  }

  /** Re-lists nodes and owned containers, then reconciles every service. */
  void resync() {
    relist().whenComplete((counts, error) -> {
      if (error != null) {
        event(OrchEvent.Type.WARNING, "ResyncFailed", "", "", "", describe(error));
      }
      states.keySet().forEach(queue::enqueue);
    });
  }

  private void onRuntimeEvent(RuntimeEvent e) {
    if (closed) {
      return;
    }
    if (e instanceof RuntimeEvent.ContainerEvent ce) {
      if (!ownerId.equals(ce.labels().get(OrchLabels.OWNER))) {
        return; // never ours: never touched
      }
      observed.apply(ce);
      String service = ce.labels().getOrDefault(OrchLabels.SERVICE, "");
      if (states.containsKey(service)) {
        queue.enqueue(service);
      }
    } else if (e instanceof RuntimeEvent.NodeLost lost) {
      observed.nodeLost(lost.nodeId(), time.now());
      event(OrchEvent.Type.WARNING, "NodeLost", "", "", lost.nodeId(), lost.reason() + "; replicas move after "
          + nodeLostGrace.toSeconds() + "s");
      states.keySet().forEach(queue::enqueue);
      for (String s : states.keySet()) {
        queue.enqueueAfter(s, nodeLostGrace);
      }
    } else if (e instanceof RuntimeEvent.NodeReady ready) {
      observed.nodeReady(ready.nodeId());
      event(OrchEvent.Type.NORMAL, "NodeReady", "", "", ready.nodeId(), "node is ready");
      resync(); // what the node still runs (or no longer runs) is learnt by listing

    }
  }

  List<Placer.Existing> existingReplicas() {
    List<Placer.Existing> out = new ArrayList<>();
    for (ContainerInfo c : observed.allContainers()) {
      ServiceSpec spec = desired.get(ObservedState.serviceOf(c));
      out.add(new Placer.Existing(c.name(), ObservedState.serviceOf(c), c.nodeId(), spec));
    }
    for (ServiceState st : states.values()) {
      out.addAll(st.pendingCreates.values());
      out.addAll(st.nominated.values());
    }
    return out;
  }

  /** Sets a condition; returns whether it changed. */
  boolean setCondition(ServiceState st, String type, boolean status, String reason, String message) {
    synchronized (st.conditions) {
      Condition old = st.conditions.get(type);
      if (old == null || old.status() != status || !old.reason().equals(reason) || !old.message().equals(message)) {
        Instant since = old != null && old.status() == status ? old.since() : time.now();
        st.conditions.put(type, new Condition(type, status, reason, message, since));
        return true;
      }
      return false;
    }
  }

  void event(OrchEvent.Type type, String reason, String service, String replica, String node, String message) {
    OrchEvent e = new OrchEvent(time.now(), type, reason, service, replica, node, message);
    if (type == OrchEvent.Type.WARNING) {
      log.warn("{}", e);
    } else {
      log.debug("{}", e);
    }
    events.record(e);
  }

  /** The delay before retry number {@code n} of a failed create or an unschedulable replica: 1 s doubling to 60 s. */
  Duration retryDelay(int n) {
    return RETRY_BACKOFF.delay(n);
  }

  private void ensureOpen(String what) {
    if (closed) {
      throw new IllegalStateException(what + ": the orchestrator is closed");
    }
  }

  static Throwable rootCause(Throwable t) {
    while ((t instanceof CompletionException || t instanceof ExecutionException) && t.getCause() != null) {
      t = t.getCause();
    }
    return t;
  }

  static String describe(Throwable t) {
    Throwable root = rootCause(t);
    return root.getMessage() != null ? root.getMessage() : root.toString();
  }

  /** Builds an {@link Orchestrator}; not thread-safe. */
  public static final class Builder {
    private ContainerRuntime runtime;
    private String runtimeName;
    private Map<String, String> runtimeProperties = Map.of();
    private MeterRegistry meterRegistry;
    private TimeSource timeSource;
    private String ownerId = "orch";
    private int shards = Math.min(8, Runtime.getRuntime().availableProcessors());
    private Duration nodeLostGrace = Duration.ofSeconds(40);
    private Duration terminationGrace = Duration.ofSeconds(30);
    private Duration resyncPeriod = Duration.ofSeconds(30);
    private Duration callTimeout = Duration.ofSeconds(60);
    private Duration drainTimeout = Duration.ofSeconds(30);
    private int revisionHistoryLimit = 10;
    private boolean autoRollback = true;
    private CrashLoopBackoff crashLoopBackoff = CrashLoopBackoff.DEFAULT;
    private int eventCapacity = 1000;
    private long seed = 1;
    private Boolean deterministic;
    private Placer placer;
    private Scheduler scheduler;
    private HealthProber healthProber;

    private Builder() {
    }

    /** The runtime to drive; wins over discovery. */
    public Builder runtime(ContainerRuntime runtime) {
      this.runtime = runtime;
      return this;
    }

    /**
     * Finds the runtime named {@code name} among the {@link RuntimeProvider}s on the class path, and
     * creates it with {@code properties}; used only when no runtime is passed.
     */
    public Builder runtime(String name, Map<String, String> properties) {
      this.runtimeName = name;
      this.runtimeProperties = Map.copyOf(properties);
      return this;
    }

    /** Where metrics go (default: nowhere; never the global registry). */
    public Builder meterRegistry(MeterRegistry registry) {
      this.meterRegistry = registry;
      return this;
    }

    /**
     * The time source for every timer (default: the system clock, owned and closed by the orchestrator).
     * With a {@link VirtualTimeSource}, reconciles run on the thread that advances it, repeatably.
     */
    public Builder timeSource(TimeSource timeSource) {
      this.timeSource = timeSource;
      return this;
    }

    /** The {@code orch.owner} label value of what this orchestrator creates and adopts (default {@code orch}). */
    public Builder ownerId(String ownerId) {
      this.ownerId = ownerId;
      return this;
    }

    /** Reconcile shards (worker threads); default the number of cores, at most 8. */
    public Builder shards(int shards) {
      this.shards = shards;
      return this;
    }

    /** How long a node may be lost before its replicas are replaced elsewhere (default 40 s). */
    public Builder nodeLostGrace(Duration grace) {
      this.nodeLostGrace = grace;
      return this;
    }

    /** How long a stopping container may take to exit before it is killed (default 30 s). */
    public Builder terminationGrace(Duration grace) {
      this.terminationGrace = grace;
      return this;
    }

    /**
     * How long one runtime call may go unanswered before it counts as failed and is retried (default
     * 60 s; a stop gets its termination grace on top).
     */
    public Builder callTimeout(Duration timeout) {
      this.callTimeout = timeout;
      return this;
    }

    /**
     * How long a replica that leaves the endpoints may keep serving the requests in flight on it before
     * it is stopped anyway (default 30 s).
     */
    public Builder drainTimeout(Duration timeout) {
      this.drainTimeout = timeout;
      return this;
    }

    /** How many revisions of each service Orch remembers for rollback (default 10). */
    public Builder revisionHistoryLimit(int limit) {
      this.revisionHistoryLimit = limit;
      return this;
    }

    /**
     * Whether an update that makes no progress within its progress deadline is rolled back to the last
     * fully available revision (default true; Kubernetes only reports it).
     */
    public Builder autoRollback(boolean enabled) {
      this.autoRollback = enabled;
      return this;
    }

    /** How often every node and container is re-listed and every service reconciled (default 30 s). */
    public Builder resyncPeriod(Duration period) {
      this.resyncPeriod = period;
      return this;
    }

    /** The restart backoff of crashing containers (default 10 s doubling to 5 min, reset after 10 min). */
    public Builder crashLoopBackoff(CrashLoopBackoff backoff) {
      this.crashLoopBackoff = backoff;
      return this;
    }

    /** How many recent events the event log keeps (default 1000). */
    public Builder eventCapacity(int capacity) {
      this.eventCapacity = capacity;
      return this;
    }

    /** The seed of every random choice (container name suffixes, scheduler ties); default 1. */
    public Builder seed(long seed) {
      this.seed = seed;
      return this;
    }

    /**
     * Whether reconciles run in tasks on the time source (deterministic) rather than on worker threads.
     * Default: deterministic exactly when the time source is a {@link VirtualTimeSource}.
     */
    public Builder deterministic(boolean deterministic) {
      this.deterministic = deterministic;
      return this;
    }

    Builder placer(Placer placer) {
      this.placer = placer;
      return this;
    }

    /**
     * The prober that runs every replica's startup, liveness and readiness probes (default: one on this
     * builder's time source, seed and meter registry, closed with the orchestrator). A prober passed here
     * is not closed by the orchestrator.
     */
    public Builder healthProber(HealthProber prober) {
      this.healthProber = prober;
      return this;
    }

    /**
     * The scheduler that places replicas (default: {@code Scheduler.builder().seed(seed)} with this
     * builder's meter registry). Pass one to add filters or scores of your own.
     */
    public Builder scheduler(Scheduler scheduler) {
      this.scheduler = scheduler;
      return this;
    }

    /**
     * Builds and starts the orchestrator: it discovers the nodes and adopts what it owns, asynchronously.
     *
     * @throws IllegalArgumentException naming every bad setting
     * @throws IllegalStateException when no runtime was given and none is found
     */
    public Orchestrator build() {
      List<String> problems = new ArrayList<>();
      if (ownerId == null || !ownerId.matches("[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?")) {
        problems.add("ownerId: " + ownerId + ": must be a DNS-1123 label");
      }
      if (shards < 1 || shards > 64) {
        problems.add("shards: " + shards + ": must be between 1 and 64");
      }
      Durations.requirePositive(problems, "nodeLostGrace", nodeLostGrace);
      Durations.requirePositive(problems, "terminationGrace", terminationGrace);
      Durations.requirePositive(problems, "resyncPeriod", resyncPeriod);
      Durations.requirePositive(problems, "callTimeout", callTimeout);
      Durations.requirePositive(problems, "drainTimeout", drainTimeout);
      if (revisionHistoryLimit < 1) {
        problems.add("revisionHistoryLimit: " + revisionHistoryLimit + ": must be >= 1");
      }
      if (crashLoopBackoff == null) {
        problems.add("crashLoopBackoff: null: is required");
      }
      if (eventCapacity < 1) {
        problems.add("eventCapacity: " + eventCapacity + ": must be >= 1");
      }
      if (!problems.isEmpty()) {
        throw new IllegalArgumentException("invalid orchestrator settings: " + String.join("; ", problems));
      }
      ContainerRuntime rt = runtime != null ? runtime : discover();
      Placer p = placer;
      if (p == null) {
        Scheduler s = scheduler;
        if (s == null) {
          Scheduler.Builder sb = Scheduler.builder().seed(seed);
          if (meterRegistry != null) {
            sb.meterRegistry(meterRegistry);
          }
          s = sb.build();
        }
        p = new SchedulerPlacer(s);
      }
      return new Orchestrator(this, rt, runtime == null, p);
    }

    private ContainerRuntime discover() {
      List<RuntimeProvider> found = new ArrayList<>();
      ServiceLoader.load(RuntimeProvider.class).forEach(found::add);
      Optional<RuntimeProvider> chosen = found.stream()
          .filter(p -> runtimeName == null || p.name().equals(runtimeName))
          .max(Comparator.comparingInt(RuntimeProvider::priority));
      return chosen.orElseThrow(() -> new IllegalStateException("no container runtime: none was passed to "
          + "runtime(...) and no RuntimeProvider" + (runtimeName == null ? "" : " named " + runtimeName)
          + " is on the class path (found: " + found.stream().map(RuntimeProvider::name).toList() + ")"))
          .create(runtimeProperties);
    }
  }
}
