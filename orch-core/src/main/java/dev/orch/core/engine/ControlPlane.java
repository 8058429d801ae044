package dev.orch.core.engine;

import dev.orch.api.runtime.NodeInfo;
import dev.orch.api.runtime.Subscription;
import dev.orch.api.runtime.ContainerInfo;
import dev.orch.api.spec.ServiceSpec;
import dev.orch.api.state.StateStoreException;
import dev.orch.core.EventLog;
import dev.orch.core.OrchEvent;
import dev.orch.core.ServiceLogs;
import dev.orch.core.Revision;
import dev.orch.core.ServiceStatus;
import dev.orch.core.UnknownServiceException;
import dev.orch.core.engine.journal.StateJournal;
import dev.orch.core.lb.EndpointSource;
import dev.orch.core.lb.LoadBalancer;
import dev.orch.core.reconcile.MpscWorkQueue;
import dev.orch.core.reconcile.ReconcileResult;
import dev.orch.core.rollout.RolloutEffects;
import dev.orch.core.rollout.RolloutOperations;
import dev.orch.core.rollout.RolloutState;
import dev.orch.core.util.Revisions;
import io.micrometer.core.instrument.Gauge;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The control plane behind the {@code Orchestrator} facade: it owns the desired specs, the services' records,
 * the observed state, the work queue and its handler, the intake of runtime events, the events and the
 * conditions. Workers get only the narrow interfaces of what they need ({@link EngineEvents},
 * {@link KeyQueue}, {@link ServiceDirectory}, {@link RolloutEffects}), never the facade. Not API. Thread-safe:
 * the mutators return at once and the work happens on the queue's workers.
 */
public final class ControlPlane implements EngineEvents, KeyQueue, ServiceDirectory, RolloutEffects, AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(ControlPlane.class);

  private final EngineSettings settings;
  /** What this engine shares with the other engines of its orchestrator (see {@link Shared}). */
  private final Shared shared;
  /** The start-up events a standby's engine says only once, not again at each refresh. */
  private static final java.util.Set<String> START_UP = java.util.Set.of("Started", "Orphaned", "NodeDraining");
  private final ObservedState observed = new ObservedState();
  private final EventRing events;
  private final EngineMetrics metrics;
  private final ReplicaProbes probes;
  private final EndpointPublisher endpoints;
  private final RolloutOperations rollouts;
  private final ServiceReconciler reconciler;
  private final MpscWorkQueue queue;
  private final Traces traces;
  /** The merged logs open now, closed with the orchestrator. */
  private final java.util.Set<ServiceLogs> logs = java.util.concurrent.ConcurrentHashMap.newKeySet();
  private final RuntimeIntake intake;
  private final StatusReport statusReport;
  private final Subscription runtimeSubscription;
  private final DesiredState state;
  private final StatefulOperations stateful;
  private final PolicyOperations policies;
  private final NodeOperations nodeOperations;
  private final TrafficControl traffic;
  private final AutoscaleOperations autoscaling;
  /** Told of every pass, for those who wait for an outcome. */
  private final PassMonitor passes = new PassMonitor();
  private volatile boolean closed;
  /** Whether the store refused a write of this engine's term ({@link dev.orch.api.state.NotLeaderException}). */
  private volatile boolean fenced;

  /** Builds the engine and starts it: it discovers the nodes and adopts what it owns, asynchronously. */
  public ControlPlane(EngineSettings s) {
    this(s, new Shared(s.eventCapacity()));
  }

  /** As {@link #ControlPlane(EngineSettings)}, publishing into {@code shared}, which earlier engines used. */
  ControlPlane(EngineSettings s, Shared shared) {
    this.settings = s;
    this.shared = shared;
    this.events = shared.events;
    this.metrics = new EngineMetrics(s.meterRegistry(), s.ownerId());
    StateJournal journal = new StateJournal(s.store(), s.ownerId(), s.callTimeout());
    List<StateJournal.Stored> stored;
    Map<String, Map<Integer, StateJournal.Move>> moves;
    List<dev.orch.api.policy.NetworkPolicy> policies;
    List<dev.orch.core.state.AutoscaleJson.Kept> autoscaled;
    try {
      stored = journal.open(!s.passive()); // before any thread of the engine starts
      moves = journal.moves();
      policies = journal.policies();
      autoscaled = journal.autoscaling();
      journal.cordons().forEach((n, draining) -> {
        observed.cordon(n, true);
        observed.drain(n, draining); // a drain goes on, without the timeout of the one that began it
      });
    } catch (RuntimeException e) {
      s.closeOwned(); // a refusal leaves nothing the builder made running
      throw e;
    }
    this.state = new DesiredState(journal, this, s.revisionHistoryLimit());
    this.nodeOperations = new NodeOperations(journal, observed, state, this, s);
    this.policies = new PolicyOperations(journal, state, this, policies);
    this.traces = new Traces(s.observations());
    RuntimeCalls calls = new RuntimeCalls(s.time(), s.callTimeout(), metrics.retries, () -> closed || fenced, traces,
        s.term(), s.passive());
    this.stateful = new StatefulOperations(s, calls, state, observed, this);
    this.probes = new ReplicaProbes(s.runtime(), s.prober(), false, this, this, observed); // closeOwned closes it
    this.endpoints = new EndpointPublisher(s.time(), probes, observed, shared, s.election() != null);
    this.traffic = new TrafficControl(s, calls, observed, state, this.policies, endpoints, this, this, shared);
    this.autoscaling = new AutoscaleOperations(s, state, observed, endpoints, this, journal, autoscaled);
    this.rollouts = new RolloutOperations(this, endpoints.traffic, s.meterRegistry(), s.analysisChecks(),
        s.autoRollback());
    ReplicaLifecycle lifecycle = new ReplicaLifecycle(s, this, this, observed, calls, endpoints,
        traffic.networks());
    ReplicaActions replicas = new ReplicaActions(s, metrics, this, this, this, observed,
        new SchedulerPlacement(s.scheduler()).observedBy(traces), probes, lifecycle);
    StatefulVolumes volumes = new StatefulVolumes(s, this, this, calls, observed);
    this.reconciler = new ServiceReconciler(this, new Workers(replicas, lifecycle, probes, endpoints, observed,
        rollouts, volumes, new VolumeMoves(s, this, this, calls, journal, volumes), this,
        s.election() == null || s.term() == null ? null
            : s.time().now().plus(s.election().leaseTtl()).plus(s.callTimeout())), this, s.time());
    this.queue = MpscWorkQueue.builder().timeSource(s.time()).shards(s.deterministic() ? 1 : s.shards())
        .driver(s.deterministic() ? MpscWorkQueue.Driver.TIME_SOURCE : MpscWorkQueue.Driver.THREADS)
        .handler(this::reconcile).build();
    shared.queue = queue; // the gauge, registered by the first engine, reads the queue of the one running now
    if (shared.queueGauge.compareAndSet(false, true)) {
      Gauge.builder("orch.queue.depth", shared, x -> {
        MpscWorkQueue q = x.queue;
        return q == null ? 0 : q.depth();
      }).tag("owner", s.ownerId()).description("keys waiting to be reconciled").register(s.meterRegistry());
    }
    this.statusReport = new StatusReport(observed, probes, events, rollouts, autoscaling::decisions);
    this.intake = new RuntimeIntake(s, observed, this, this, this, () -> closed);
    state.restore(stored, this::requireRunnable);
    moves.forEach((service, m) -> state.record(service).ifPresent(st -> VolumeMoves.restore(st, m)));
    nodeOperations.resumeDrains();
    this.runtimeSubscription = s.runtime().subscribe(intake::onRuntimeEvent);
    intake.startUp();
    intake.started().thenRun(traffic::changed);
    intake.started().thenRun(autoscaling::resume);
    if (s.passive()) {
      intake.started().thenRun(() -> shared.standbyStarted = true);
    }
    shared.engine = this;
  }

  // ------------------------------------------------------------------------------------------ desired state

  /** Validates {@code spec} whole and makes it its service's desired state (see {@code Orchestrator.apply}). */
  public void apply(ServiceSpec spec) {
    Objects.requireNonNull(spec, "spec");
    observe("service", spec.name(), () -> applyScaled(autoscaling.keepScaled(spec, desired(spec.name()).orElse(null))));
  }

  /** Runs {@code apply} (of {@code kind}, for {@code subject}) inside an {@code orch.apply} observation. */
  public void observe(String kind, String subject, Runnable apply) {
    io.micrometer.observation.Observation o = traces.apply(kind, subject);
    try (io.micrometer.observation.Observation.Scope scope = o.openScope()) {
      apply.run();
    } catch (RuntimeException e) {
      Traces.stop(o, "refused", e);
      throw e;
    }
    Traces.stop(o, "applied", null);
  }

  /** Where this engine keeps the writes asked of it for the leader: a standby's; null for an acting engine. */
  @org.jspecify.annotations.Nullable StandbyRequests standbyRequests() {
    return settings.passive() ? shared.requests : null;
  }

  /** The orchestrator's observations. */
  Traces traces() {
    return traces;
  }

  /** Queues {@code key} now, noting what queued it (for its pass's parent observation). */
  private void enqueueNow(String key) {
    traces.queued(key);
    queue.enqueue(key);
  }

  /** Applies {@code spec} as it is: its replica count too, even if the service is autoscaled (the autoscaler's). */
  void applyScaled(ServiceSpec spec) {
    requireRunnable(spec);
    ensureOpen("apply " + spec.name());
    ServiceSpec previous = state.apply(spec, settings.time().now()); // kept before acted on; throws if not
    if (!spec.equals(previous)) {
      emit(OrchEvent.Type.NORMAL, previous == null ? "Applied" : "Updated", spec.name(), "", "",
          spec.replicas() + " replicas of " + spec.container().image() + ", revision " + Revisions.revision(spec));
      policiesChanged(); // what the policies select may have changed
    }
    enqueueNow(spec.name());
  }

  /** Refuses a spec that breaks a rule, or asks what the runtime cannot do. */
  public void requireRunnable(ServiceSpec spec) {
    spec.requireValid();
    RegisteredChecks.require(spec, settings.analysisChecks().keySet());
    CapabilityCheck.require(spec, settings.runtime());
  }

  /** Sets the desired replica count of service {@code name} (see {@code Orchestrator.scale}). */
  public void scale(String name, int replicas) {
    autoscaling.requireManualScale(name);
    applyScaled(desired(name).orElseThrow(() -> new UnknownServiceException("scale", name)).withReplicas(replicas));
  }

  /** Deletes service {@code name}, or the owned replicas of one never applied (see {@code Orchestrator.delete}). */
  public boolean delete(String name) {
    ensureOpen("delete " + name);
    DesiredState.Deletion deletion = state.delete(name, !observed.containersOf(name).isEmpty());
    if (deletion == DesiredState.Deletion.NONE) {
      return false;
    }
    boolean orphaned = deletion == DesiredState.Deletion.ORPHANED;
    emit(OrchEvent.Type.NORMAL, "Deleting", name, "", "", orphaned
        ? "removing the owned replicas of a service that was not applied" : "service deleted; removing its replicas");
    policiesChanged();
    enqueueNow(name);
    return true;
  }

  /** The remembered revisions of service {@code name}, oldest first. */
  public List<Revision> revisions(String name) {
    return state.record(name).map(st -> st.rollout.history().all()).orElse(List.of());
  }

  /** Returns service {@code name} to its last good revision before the current one (see {@code Orchestrator.rollback}). */
  public Revision rollback(String name) {
    ServiceSpec spec = state.desired(name).orElse(null);
    ServiceRecord st = state.record(name).orElse(null);
    if (spec == null || st == null) {
      throw new UnknownServiceException("rollback", name);
    }
    Revision target = st.rollout.history().lastGoodBefore(Revisions.revision(spec)).orElseThrow(() ->
        new IllegalStateException("rollback " + name + ": no earlier revision was ever fully available"));
    return rollback(name, target.id());
  }

  /** Returns service {@code name} to its remembered revision {@code revision} (see {@code Orchestrator.rollback}). */
  public Revision rollback(String name, String revision) {
    ServiceSpec spec = state.desired(name).orElse(null);
    ServiceRecord st = state.record(name).orElse(null);
    if (spec == null || st == null) {
      throw new UnknownServiceException("rollback", name);
    }
    List<Revision> history = st.rollout.history().all();
    Revision target = history.stream().filter(r -> r.id().equals(revision)).findFirst().orElseThrow(() ->
        new IllegalArgumentException("rollback " + name + ": revision: \"" + revision + "\": must be one of "
            + history.stream().map(Revision::id).toList()));
    rollouts.noteRollback(spec, target);
    applyRevision(spec, target);
    return target;
  }

  @Override
  public void applyRevision(ServiceSpec spec, Revision target) {
    apply(withRevision(spec, target));
  }

  @Override
  public void rollBack(ServiceSpec failed, Revision target) {
    ServiceSpec back = withRevision(failed, target);
    requireRunnable(back);
    ServiceRecord st = state.record(failed.name()).orElse(null);
    boolean applied;
    try {
      applied = state.applyIfCurrent(failed, back, settings.time().now());
    } catch (StateStoreException e) {
      if (st != null) { // owed: the next passes try again before they act on anything else
        st.owedRollback = new ServiceRecord.OwedRollback(failed, target);
      }
      throw e;
    }
    if (st != null) {
      st.owedRollback = null;
    }
    if (!applied) {
      LOG.info("{}: not rolling back to {}: a newer spec was applied meanwhile", failed.name(), target.id());
      return;
    }
    emit(OrchEvent.Type.NORMAL, "Updated", back.name(), "", "", back.replicas() + " replicas of "
        + back.container().image() + ", revision " + Revisions.revision(back));
    enqueueNow(back.name());
  }

  private static ServiceSpec withRevision(ServiceSpec spec, Revision target) {
    return target.applyTo(spec);
  }

  /** The operations on stateful services: force a replacement, list and delete their volumes. */
  public StatefulOperations stateful() {
    return stateful;
  }

  /** The rollouts' operations: pause, resume, promote, abort and plan. */
  public RolloutOperations rollouts() {
    return rollouts;
  }

  /** The names of every applied service, sorted. */
  public List<String> services() {
    return state.services();
  }

  /** The desired spec of service {@code name}, if applied. */
  public Optional<ServiceSpec> spec(String name) {
    return desired(name);
  }

  /** The observed state of service {@code name}, if applied. */
  public Optional<ServiceStatus> status(String name) {
    ServiceSpec spec = state.desired(name).orElse(null);
    ServiceRecord st = state.record(name).orElse(null);
    return spec == null || st == null ? Optional.empty() : Optional.of(statusReport.status(spec, st));
  }

  /** The network policies: apply, list, delete and check. */
  public PolicyOperations policies() {
    return policies;
  }

  /** The autoscaling of services (see {@code Orchestrator.autoscaling}). */
  public AutoscaleOperations autoscaling() {
    return autoscaling;
  }

  /** The operations on nodes: cordon and uncordon. */
  public NodeOperations nodeOperations() {
    return nodeOperations;
  }

  /** The nodes as Orch last saw them, by id. */
  public List<NodeInfo> nodes() {
    return observed.nodeInfos();
  }

  /** The services that still have owned containers, applied or not. */
  public List<String> servicesWithContainers() {
    return observed.services().stream().filter(s -> !observed.containersOf(s).isEmpty()).sorted().toList();
  }

  /**
   * Removes the networks the runtime made for this owner's containers that no container uses any more (see
   * {@link OwnedNetworks#remove}); returns those that stayed, as {@code node/name}.
   */
  public List<String> removeOwnedNetworks() {
    return OwnedNetworks.remove(settings.runtime(), settings.ownerId(), settings.callTimeout());
  }

  /** Whether service {@code name} is gone: not applied, no record left, no container of it observed. */
  public boolean isGone(String name) {
    return state.isForgotten(name) && observed.containersOf(name).isEmpty();
  }

  /** Whether every service is gone, replicas and all. */
  public boolean isEmpty() {
    return state.isEmpty();
  }

  // ------------------------------------------------------------------------------------------ the worker

  private ReconcileResult reconcile(String name) {
    String service = AutoscaleOperations.isKey(name) ? AutoscaleOperations.service(name)
        : TrafficControl.isKey(name) ? "" : name;
    io.micrometer.observation.Observation o = traces.pass(name, AutoscaleOperations.isKey(name) ? "autoscaling"
        : TrafficControl.isKey(name) ? "network" : "service", service);
    try (dev.orch.core.util.LogContext context = dev.orch.core.util.LogContext.of(service, "");
         io.micrometer.observation.Observation.Scope scope = o.openScope()) {
      ReconcileResult r = reconcileIn(name);
      Traces.stop(o, "ok", null);
      return r;
    } catch (RuntimeException e) {
      Traces.stop(o, "failed", e);
      throw e;
    }
  }

  /**
   * A standby's pass: probes the service's running replicas and publishes them as its endpoints, weighted as the
   * rollout the store holds says, with what the status shows of it, and acts on nothing.
   */
  private ReconcileResult observeOnly(String name) {
    if (TrafficControl.isKey(name) || AutoscaleOperations.isKey(name)) {
      return ReconcileResult.done();
    }
    // A replica seen only in an event so far (ObservedState names it by its id until a listing or an inspect tells
    // more) has no address known yet: it is published once the listing after its start tells where it listens.
    List<ContainerInfo> running = observed.containersOf(name).stream()
        .filter(c -> c.state() == dev.orch.api.runtime.ContainerState.RUNNING && observed.isNodeReady(c.nodeId()))
        .filter(c -> !c.name().equals(c.id()))
        .toList();
    return reconciler.observe(name, running);
  }

  private ReconcileResult reconcileIn(String name) {
    if (!intake.started().isDone() || closed) {
      return ReconcileResult.done(); // start-up queues every key when it completes
    }
    if (settings.passive()) {
      return observeOnly(name);
    }
    if (TrafficControl.isKey(name)) {
      return traffic.sync();
    }
    if (AutoscaleOperations.isKey(name)) {
      return autoscaling.sync(name);
    }
    long t0 = settings.time().nanoTime();
    try {
      ServiceRecord.OwedRollback owed = state.record(name).map(st -> st.owedRollback).orElse(null);
      if (owed != null) {
        rollBack(owed.failed(), owed.target()); // a rollback the store refused, before anything else
        emit(OrchEvent.Type.WARNING, "RolledBack", name, "", "", "back to revision " + owed.target().id() + " from "
            + Revisions.revision(owed.failed()) + ", now that the state store keeps it");
      }
      if (state.unkept(name)) {
        state.keep(name, settings.time().now()); // what an earlier pass could not keep, before this one acts
      }
      ReconcileResult result = reconciler.reconcile(name);
      state.keep(name, settings.time().now());
      return result;
    } catch (RuntimeException e) {
      state.record(name).ifPresent(st -> st.unkept = true); // whatever the pass decided is kept before more acts
      if (e instanceof dev.orch.api.state.NotLeaderException gone) {
        // The store refused a write of this engine's term: its leadership ended (a lease revoked early, say), even
        // if its election has not told it yet. It makes no runtime call from now on.
        fenced = true;
        LOG.warn("orchestrator {}: {}; no more runtime calls from this engine", settings.ownerId(),
            gone.getMessage());
      }
      if (e instanceof StateStoreException store) {
        state.storeFailed(name, store, settings.time().now()); // said once, in the condition and an event
      } else {
        emit(OrchEvent.Type.WARNING, "ReconcileFailed", name, "", "", "reconcile failed, retrying with backoff: " + e);
      }
      throw e;
    } finally {
      metrics.reconcileCounter.increment();
      metrics.reconcileTimer.record(settings.time().nanoTime() - t0, TimeUnit.NANOSECONDS);
      passes.passed();
    }
  }

  /**
   * Waits on real time, up to {@code timeout}, until {@code done} holds, looking after every pass and at
   * least every 200 ms; returns whether it held.
   */
  public boolean awaitPasses(Duration timeout, java.util.function.BooleanSupplier done) throws InterruptedException {
    return passes.await(timeout, done);
  }


  // ------------------------------------------------------------------------------------------ for the workers

  @Override
  public void emit(OrchEvent.Type type, String reason, String service, String replica, String node, String message) {
    if (settings.passive() && shared.standbyStarted && START_UP.contains(reason)) {
      return; // a standby's refresh: said when its first engine started
    }
    OrchEvent e = new OrchEvent(settings.time().now(), type, reason, service, replica, node, message);
    try (dev.orch.core.util.LogContext context = dev.orch.core.util.LogContext.of(service, replica)) {
      if (type == OrchEvent.Type.WARNING) {
        LOG.warn("{}", e);
      } else {
        LOG.debug("{}", e);
      }
      events.record(e);
      traces.event(reason, message);
    }
  }

  @Override
  public void event(OrchEvent.Type type, String reason, String service, String message) {
    emit(type, reason, service, "", "", message);
  }

  @Override
  public void step(OrchEvent.Type type, String step, String reason, String service, String message) {
    io.micrometer.observation.Observation o = traces.rolloutStep(service, step, message);
    try (io.micrometer.observation.Observation.Scope scope = o.openScope()) {
      emit(type, reason, service, "", "", message);
    }
    Traces.stop(o, type == OrchEvent.Type.WARNING ? "warning" : "ok", null);
  }

  /**
   * The merged log of service {@code service}'s replicas, as {@code options} say.
   *
   * @throws IllegalArgumentException if the service is not applied
   * @throws dev.orch.api.runtime.UnsupportedCapabilityException if the runtime cannot stream logs
   */
  public ServiceLogs logs(String service, dev.orch.api.runtime.LogOptions options) {
    if (state.desired(service).isEmpty()) {
      throw new IllegalArgumentException("logs: service: \"" + service + "\": is not applied");
    }
    if (!settings.runtime().capabilities().contains(dev.orch.api.runtime.RuntimeCapability.LOG_STREAM)) {
      throw new dev.orch.api.runtime.UnsupportedCapabilityException("logs of " + service + ": runtime "
          + settings.runtime().name() + " cannot stream logs (" + dev.orch.api.runtime.RuntimeCapability.LOG_STREAM
          + ")");
    }
    ensureOpen("logs of " + service);
    ServiceLogStream stream = new ServiceLogStream(settings.runtime(), () -> observed.containersOf(service).stream()
        .filter(c -> !observed.isRemoved(c.id())).toList(), options, logs::remove);
    logs.add(stream);
    return stream;
  }

  @Override
  public boolean setCondition(String service, String type, boolean status, String reason, String message) {
    return state.record(service).map(st -> st.setCondition(type, status, reason, message, settings.time().now()))
        .orElse(false);
  }

  @Override
  public Optional<ServiceSpec> desired(String service) {
    return state.desired(service);
  }

  @Override
  public Optional<RolloutState> rollout(String service) {
    return record(service).map(st -> st.rollout);
  }

  @Override
  public Optional<ServiceRecord> record(String service) {
    return state.record(service);
  }

  @Override
  public ServiceRecord recordFor(String service) {
    return state.recordFor(service);
  }

  @Override
  public Set<String> known() {
    return state.known();
  }

  @Override
  public Collection<ServiceRecord> records() {
    return state.records();
  }

  @Override
  public void forget(ServiceRecord st) {
    if (state.forget(st)) { // throws when the store fails: the record stays, and the next pass tries again
      queue.forget(st.name);
    }
  }


  @Override
  public void keepOperations(String service, List<String> ops) {
    state.keepOperations(service, ops);
  }

  @Override
  public void enqueue(String service) {
    enqueueNow(service);
  }

  @Override
  public void enqueueAfter(String service, Duration delay) {
    queue.enqueueAfter(service, delay);
  }

  // ------------------------------------------------------------------------------------------ reading

  /** The endpoints of service {@code name} (see {@code Orchestrator.endpoints}). */
  public EndpointSource endpoints(String name) {
    return endpoints.source(name);
  }

  /** The preview endpoints of service {@code name} (see {@code Orchestrator.previewEndpoints}). */
  public EndpointSource previewEndpoints(String name) {
    return endpoints.source(EndpointPublisher.previewKey(name));
  }

  /** A load balancer builder over service {@code name}'s endpoints, wired (see {@code Orchestrator.loadBalancer}). */
  public LoadBalancer.Builder loadBalancer(String name) {
    Objects.requireNonNull(name, "name");
    ensureOpen("loadBalancer " + name);
    return traffic.gated(endpoints.balancer(name, name)).onNoEndpoint(() -> shared.wake(name));
  }

  /** Wakes service {@code name} if it is autoscaled and at zero (a balancer found no endpoint). */
  void wake(String name) {
    autoscaling.wake(name);
  }

  /** The policies or the services changed: the wiring and the load balancers' callers are judged again. */
  void policiesChanged() {
    traffic.changed();
  }

  /** What the runtime cannot do about connections {@code from -> to}, for {@code check}'s verdict. */
  List<String> trafficLimits(String from, String to) {
    return traffic.limits(from, to);
  }

  /** A load balancer builder over service {@code name}'s preview endpoints, wired. */
  public LoadBalancer.Builder previewLoadBalancer(String name) {
    Objects.requireNonNull(name, "name");
    ensureOpen("previewLoadBalancer " + name);
    return traffic.gated(endpoints.balancer(EndpointPublisher.previewKey(name), name));
  }

  /** The event log. */
  public EventLog events() {
    return events;
  }

  /** Completes when start-up (node discovery and adoption) is done. */
  public java.util.concurrent.CompletableFuture<Void> started() {
    return intake.started().copy();
  }

  /** Whether {@link #close} was called. */
  public boolean isClosed() {
    return closed;
  }

  /** Throws naming {@code what} when the engine is closed. */
  public void ensureOpen(String what) {
    if (closed) {
      throw new IllegalStateException(what + ": the orchestrator is closed");
    }
  }

  /** Stops the engine's threads and timers; containers keep running (a later engine adopts them). */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    List.copyOf(logs).forEach(ServiceLogs::close); // a reader's merged logs end with the orchestrator
    nodeOperations.close();
    intake.close();
    runtimeSubscription.close();
    queue.close();
    traffic.close();
    probes.close(); // (its watches; the prober itself below, if the builder made it)
    settings.closeOwned();
    LOG.info("orchestrator {} closed", settings.ownerId());
  }
}
