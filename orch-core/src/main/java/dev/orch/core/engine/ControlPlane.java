package dev.orch.core.engine;

import dev.orch.api.runtime.ContainerRuntime;
import dev.orch.api.runtime.LabelSelector;
import dev.orch.api.runtime.NetworkInfo;
import dev.orch.api.runtime.NodeInfo;
import dev.orch.api.runtime.OrchLabels;
import dev.orch.api.runtime.RuntimeCapability;
import dev.orch.api.runtime.Subscription;
import dev.orch.api.spec.ServiceSpec;
import dev.orch.core.EventLog;
import dev.orch.core.OrchEvent;
import dev.orch.core.Revision;
import dev.orch.core.ServiceStatus;
import dev.orch.core.UnknownServiceException;
import dev.orch.core.engine.journal.StateJournal;
import dev.orch.core.lb.EndpointSource;
import dev.orch.core.lb.LoadBalancer;
import dev.orch.core.reconcile.MpscWorkQueue;
import dev.orch.core.reconcile.ReconcileResult;
import dev.orch.core.rollout.RolloutEffects;
import dev.orch.core.rollout.RevisionHistory;
import dev.orch.core.rollout.RolloutOperations;
import dev.orch.core.rollout.RolloutState;
import dev.orch.core.rollout.RolloutStateJson;
import dev.orch.core.util.Failures;
import dev.orch.core.util.Revisions;
import io.micrometer.core.instrument.Gauge;
import java.time.Duration;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
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
  private final ConcurrentHashMap<String, ServiceSpec> desired = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<String, ServiceRecord> records = new ConcurrentHashMap<>();
  private final ObservedState observed = new ObservedState();
  private final EventRing events;
  private final EngineMetrics metrics;
  private final ReplicaProbes probes;
  private final EndpointPublisher endpoints;
  private final RolloutOperations rollouts;
  private final ServiceReconciler reconciler;
  private final MpscWorkQueue queue;
  private final RuntimeIntake intake;
  private final StatusReport statusReport;
  private final Subscription runtimeSubscription;
  private final StateJournal journal;
  /** Notified after every pass, for those who wait for an outcome. */
  private final Object passMonitor = new Object();
  /** Orders applies, so that an automatic rollback replaces only the spec it rolls back from. */
  private final Object applyLock = new Object();
  private volatile boolean closed;

  /** Builds the engine and starts it: it discovers the nodes and adopts what it owns, asynchronously. */
  public ControlPlane(EngineSettings s) {
    this.settings = s;
    this.events = new EventRing(s.eventCapacity());
    this.metrics = new EngineMetrics(s.meterRegistry(), s.ownerId());
    this.journal = new StateJournal(s.store(), s.ownerId(), s.callTimeout());
    List<StateJournal.Stored> stored = journal.open(); // before any thread starts: a refusal leaves nothing behind
    RuntimeCalls calls = new RuntimeCalls(s.time(), s.callTimeout(), metrics.retries, () -> closed);
    this.probes = new ReplicaProbes(s.runtime(), s.prober(), s.ownsProber(), this, this, observed);
    this.endpoints = new EndpointPublisher(s.time(), probes, observed);
    this.rollouts = new RolloutOperations(this, endpoints.traffic, s.meterRegistry(), s.analysisChecks(),
        s.autoRollback());
    ReplicaLifecycle lifecycle = new ReplicaLifecycle(s, this, this, observed, calls, endpoints);
    ReplicaActions replicas = new ReplicaActions(s, metrics, this, this, this, observed,
        new SchedulerPlacement(s.scheduler()), probes, lifecycle);
    this.reconciler = new ServiceReconciler(this, new Workers(replicas, lifecycle, probes, endpoints, observed,
        rollouts), this, s.time());
    this.queue = MpscWorkQueue.builder().timeSource(s.time()).shards(s.deterministic() ? 1 : s.shards())
        .driver(s.deterministic() ? MpscWorkQueue.Driver.TIME_SOURCE : MpscWorkQueue.Driver.THREADS)
        .handler(this::reconcile).build();
    Gauge.builder("orch.queue.depth", queue, MpscWorkQueue::depth).tag("owner", s.ownerId())
        .description("keys waiting to be reconciled").register(s.meterRegistry());
    this.statusReport = new StatusReport(observed, probes, events, rollouts);
    this.intake = new RuntimeIntake(s, observed, this, this, this, () -> closed);
    restore(stored);
    this.runtimeSubscription = s.runtime().subscribe(intake::onRuntimeEvent);
    intake.startUp();
  }

  // ------------------------------------------------------------------------------------------ desired state

  /** Validates {@code spec} whole and makes it its service's desired state (see {@code Orchestrator.apply}). */
  public void apply(ServiceSpec spec) {
    Objects.requireNonNull(spec, "spec");
    requireRunnable(spec);
    ensureOpen("apply " + spec.name());
    ServiceSpec previous;
    synchronized (applyLock) {
      Revision revision = new Revision(Revisions.revision(spec), spec.container(), spec.probes(),
          settings.time().now());
      ServiceRecord known = records.get(spec.name());
      RevisionHistory next = known == null ? new RevisionHistory() : known.rollout.history().copy();
      next.remember(revision, settings.revisionHistoryLimit());
      journal.saveService("apply " + spec.name(), spec, false, next); // kept before acted on; throws if not
      previous = desired.put(spec.name(), spec);
      ServiceRecord st = records.compute(spec.name(), (k, r) -> r == null ? new ServiceRecord(k) : revive(r));
      st.rollout.history().remember(revision, settings.revisionHistoryLimit());
    }
    if (!spec.equals(previous)) {
      emit(OrchEvent.Type.NORMAL, previous == null ? "Applied" : "Updated", spec.name(), "", "",
          spec.replicas() + " replicas of " + spec.container().image() + ", revision " + Revisions.revision(spec));
    }
    queue.enqueue(spec.name());
  }

  private static ServiceRecord revive(ServiceRecord r) {
    r.deleted = false;
    return r;
  }

  /** Refuses a spec that breaks a rule, or asks what the runtime cannot do. */
  public void requireRunnable(ServiceSpec spec) {
    spec.requireValid();
    RegisteredChecks.require(spec, settings.analysisChecks().keySet());
    CapabilityCheck.require(spec, settings.runtime());
  }

  /** Sets the desired replica count of service {@code name} (see {@code Orchestrator.scale}). */
  public void scale(String name, int replicas) {
    apply(desired(name).orElseThrow(() -> new UnknownServiceException("scale", name)).withReplicas(replicas));
  }

  /** Deletes service {@code name}, or the owned replicas of one never applied (see {@code Orchestrator.delete}). */
  public boolean delete(String name) {
    ensureOpen("delete " + name);
    ServiceSpec removed;
    boolean orphaned;
    synchronized (applyLock) {
      ServiceSpec spec = desired.get(name);
      if (spec != null) { // kept as being deleted first, so that a restart finishes the deletion
        ServiceRecord known = records.get(name);
        journal.saveService("delete " + name, spec, true, known == null ? new RevisionHistory()
            : known.rollout.history());
      }
      removed = desired.remove(name);
      orphaned = removed == null && !observed.containersOf(name).isEmpty();
      if (removed == null && !orphaned) {
        return false;
      }
      records.computeIfAbsent(name, ServiceRecord::new).deleted = true;
    }
    emit(OrchEvent.Type.NORMAL, "Deleting", name, "", "", orphaned
        ? "removing the owned replicas of a service that was not applied" : "service deleted; removing its replicas");
    queue.enqueue(name);
    return true;
  }

  /** The remembered revisions of service {@code name}, oldest first. */
  public List<Revision> revisions(String name) {
    ServiceRecord st = records.get(name);
    return st == null ? List.of() : st.rollout.history().all();
  }

  /** Returns service {@code name} to its last good revision before the current one (see {@code Orchestrator.rollback}). */
  public Revision rollback(String name) {
    ServiceSpec spec = desired.get(name);
    ServiceRecord st = records.get(name);
    if (spec == null || st == null) {
      throw new UnknownServiceException("rollback", name);
    }
    Revision target = st.rollout.history().lastGoodBefore(Revisions.revision(spec)).orElseThrow(() ->
        new IllegalStateException("rollback " + name + ": no earlier revision was ever fully available"));
    return rollback(name, target.id());
  }

  /** Returns service {@code name} to its remembered revision {@code revision} (see {@code Orchestrator.rollback}). */
  public Revision rollback(String name, String revision) {
    ServiceSpec spec = desired.get(name);
    ServiceRecord st = records.get(name);
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
    synchronized (applyLock) {
      if (desired.get(failed.name()) != failed) {
        LOG.info("{}: not rolling back to {}: a newer spec was applied meanwhile", failed.name(), target.id());
        return;
      }
      apply(back);
    }
  }

  private static ServiceSpec withRevision(ServiceSpec spec, Revision target) {
    return spec.toBuilder().container(target.container()).probes(target.probes()).build();
  }

  /** The rollouts' operations: pause, resume, promote, abort and plan. */
  public RolloutOperations rollouts() {
    return rollouts;
  }

  /** The names of every applied service, sorted. */
  public List<String> services() {
    return desired.keySet().stream().sorted().toList();
  }

  /** The desired spec of service {@code name}, if applied. */
  public Optional<ServiceSpec> spec(String name) {
    return desired(name);
  }

  /** The observed state of service {@code name}, if applied. */
  public Optional<ServiceStatus> status(String name) {
    ServiceSpec spec = desired.get(name);
    ServiceRecord st = records.get(name);
    return spec == null || st == null ? Optional.empty() : Optional.of(statusReport.status(spec, st));
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
   * Removes the networks the runtime made for this owner's containers (labelled with the owner) that no
   * container uses any more, waiting up to the call timeout; a network still in use stays. Does nothing on a
   * runtime without {@link RuntimeCapability#NETWORKS}.
   *
   * @return the networks that stayed, as {@code node/name}
   */
  public List<String> removeOwnedNetworks() {
    ContainerRuntime rt = settings.runtime();
    if (!rt.capabilities().contains(RuntimeCapability.NETWORKS)) {
      return List.of();
    }
    long timeout = settings.callTimeout().toMillis();
    List<String> stayed = new java.util.concurrent.CopyOnWriteArrayList<>();
    try {
      List<NetworkInfo> owned = rt.listNetworks(LabelSelector.of(OrchLabels.OWNER, settings.ownerId()))
          .toCompletableFuture().get(timeout, TimeUnit.MILLISECONDS);
      CompletableFuture<?>[] removals = owned.stream().map(n -> rt.removeNetwork(n.nodeId(), n.name())
          .toCompletableFuture().exceptionally(e -> {
            stayed.add(n.nodeId() + "/" + n.name());
            LOG.info("orchestrator {}: network {} on {} stays: {}", settings.ownerId(), n.name(), n.nodeId(),
                Failures.describe(e));
            return null;
          })).toArray(CompletableFuture[]::new);
      CompletableFuture.allOf(removals).get(timeout, TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (ExecutionException | TimeoutException e) {
      LOG.warn("orchestrator {}: removing its networks failed: {}", settings.ownerId(), Failures.describe(e));
    }
    return stayed;
  }

  /** Whether service {@code name} is gone: not applied, no record left, no container of it observed. */
  public boolean isGone(String name) {
    return !desired.containsKey(name) && !records.containsKey(name) && observed.containersOf(name).isEmpty();
  }

  /** Whether every service is gone, replicas and all. */
  public boolean isEmpty() {
    return records.isEmpty();
  }

  // ------------------------------------------------------------------------------------------ the store

  /** Takes back what the store holds: specs, revision histories, rollout positions and deletions in flight. */
  private void restore(List<StateJournal.Stored> stored) {
    int resumed = 0;
    for (StateJournal.Stored s : stored) {
      ServiceRecord st = new ServiceRecord(s.name());
      st.rollout.history().restore(s.revisions(), Set.copyOf(s.good()));
      if (s.deleted()) {
        st.deleted = true;
      } else {
        try {
          requireRunnable(s.spec());
        } catch (IllegalArgumentException e) {
          emit(OrchEvent.Type.WARNING, "RestoreRefused", s.name(), "", "", "the stored spec is not run here: "
              + e.getMessage() + "; apply it again to replace it");
          continue;
        }
        desired.put(s.name(), s.spec());
        try {
          st.rollout.restoreOps(s.ops());
        } catch (IllegalArgumentException e) {
          emit(OrchEvent.Type.WARNING, "RolloutNotRestored", s.name(), "", "", e.getMessage());
        }
        if (s.rollout() != null) {
          try {
            RolloutStateJson.restore(st.rollout, s.rollout());
          } catch (IllegalArgumentException e) {
            emit(OrchEvent.Type.WARNING, "RolloutNotRestored", s.name(), "", "", e.getMessage()
                + "; the rollout starts from what runs");
          }
        }
      }
      records.put(s.name(), st);
      journal.noteRestored(s.name(), st.rollout.history(), st.rollout);
      resumed++;
    }
    if (resumed > 0) {
      emit(OrchEvent.Type.NORMAL, "Restored", "", "", "", "resumed " + resumed + " services from the state store "
          + journal.storeName());
    }
  }

  /**
   * Writes what changed of service {@code name} since it was last kept: its revision history (a revision
   * became good) and its rollout's position. A failure is reported in the condition {@code StateStored} and
   * thrown, so that the pass does not act on what was not kept; the pass is retried with backoff.
   */
  private void keep(String name) {
    ServiceRecord st = records.get(name);
    if (st == null || st.deleted) {
      return;
    }
    try {
      if (journal.historyChanged(name, st.rollout.history())) {
        synchronized (applyLock) { // with the spec applied now, never an older one
          ServiceSpec spec = desired.get(name);
          if (spec != null && records.get(name) == st) {
            journal.saveService("keep the revisions of " + name, spec, false, st.rollout.history());
          }
        }
      }
      journal.saveRollout(name, st.rollout);
      st.rollout.keepOps(ops -> journal.saveOps(name, ops));
      st.unkept = false;
      st.clearCondition("StateStored");
    } catch (dev.orch.api.state.StateStoreException e) {
      st.unkept = true;
      if (st.setCondition("StateStored", false, "StoreWriteFailed", e.getMessage(), settings.time().now())) {
        emit(OrchEvent.Type.WARNING, "StoreWriteFailed", name, "", "", e.getMessage() + "; not acting until it is "
            + "kept");
      }
      throw e;
    }
  }

  // ------------------------------------------------------------------------------------------ the worker

  private ReconcileResult reconcile(String name) {
    if (!intake.started().isDone() || closed) {
      return ReconcileResult.done(); // start-up queues every key when it completes
    }
    long t0 = settings.time().nanoTime();
    try {
      ServiceRecord unkept = records.get(name);
      if (unkept != null && unkept.unkept) {
        keep(name); // what an earlier pass decided, and could not keep, is kept before this one acts on it
      }
      ReconcileResult result = reconciler.reconcile(name);
      keep(name);
      return result;
    } catch (RuntimeException e) {
      emit(OrchEvent.Type.WARNING, "ReconcileFailed", name, "", "", "reconcile failed, retrying with backoff: " + e);
      throw e;
    } finally {
      metrics.reconcileCounter.increment();
      metrics.reconcileTimer.record(settings.time().nanoTime() - t0, TimeUnit.NANOSECONDS);
      synchronized (passMonitor) {
        passMonitor.notifyAll();
      }
    }
  }

  /**
   * Waits on real time, up to {@code timeout}, until {@code done} holds, looking after every pass and at
   * least every 200 ms; returns whether it held.
   */
  public boolean awaitPasses(Duration timeout, java.util.function.BooleanSupplier done) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    synchronized (passMonitor) {
      while (true) {
        if (done.getAsBoolean()) {
          return true;
        }
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          return false;
        }
        TimeUnit.NANOSECONDS.timedWait(passMonitor, Math.min(left, TimeUnit.MILLISECONDS.toNanos(200)));
      }
    }
  }

  // ------------------------------------------------------------------------------------------ for the workers

  @Override
  public void emit(OrchEvent.Type type, String reason, String service, String replica, String node, String message) {
    OrchEvent e = new OrchEvent(settings.time().now(), type, reason, service, replica, node, message);
    if (type == OrchEvent.Type.WARNING) {
      LOG.warn("{}", e);
    } else {
      LOG.debug("{}", e);
    }
    events.record(e);
  }

  @Override
  public void event(OrchEvent.Type type, String reason, String service, String message) {
    emit(type, reason, service, "", "", message);
  }

  @Override
  public boolean setCondition(String service, String type, boolean status, String reason, String message) {
    ServiceRecord st = records.get(service);
    return st != null && st.setCondition(type, status, reason, message, settings.time().now());
  }

  @Override
  public Optional<ServiceSpec> desired(String service) {
    return Optional.ofNullable(desired.get(service));
  }

  @Override
  public Optional<RolloutState> rollout(String service) {
    return record(service).map(st -> st.rollout);
  }

  @Override
  public Optional<ServiceRecord> record(String service) {
    return Optional.ofNullable(records.get(service));
  }

  @Override
  public ServiceRecord recordFor(String service) {
    return records.computeIfAbsent(service, ServiceRecord::new);
  }

  @Override
  public Set<String> known() {
    Set<String> out = new HashSet<>(desired.keySet());
    out.addAll(records.keySet());
    return out;
  }

  @Override
  public Collection<ServiceRecord> records() {
    return records.values();
  }

  @Override
  public void forget(ServiceRecord st) {
    synchronized (applyLock) {
      if (records.get(st.name) != st || desired.containsKey(st.name)) {
        return; // applied again meanwhile
      }
      journal.forget(st.name); // throws when the store fails: the record stays, and the next pass tries again
      records.remove(st.name);
    }
    queue.forget(st.name);
  }

  @Override
  public void keepOperations(String service, List<String> ops) {
    journal.saveOps(service, ops);
  }

  @Override
  public void enqueue(String service) {
    queue.enqueue(service);
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
    return endpoints.balancer(name, name);
  }

  /** A load balancer builder over service {@code name}'s preview endpoints, wired. */
  public LoadBalancer.Builder previewLoadBalancer(String name) {
    Objects.requireNonNull(name, "name");
    ensureOpen("previewLoadBalancer " + name);
    return endpoints.balancer(EndpointPublisher.previewKey(name), name);
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
    intake.close();
    runtimeSubscription.close();
    queue.close();
    probes.close();
    if (settings.ownsRuntime()) {
      settings.runtime().close(); // it was discovered, so it is ours to close
    }
    if (settings.ownsTime()) {
      settings.time().close();
    }
    if (settings.ownsStore()) {
      settings.store().close();
    }
    LOG.info("orchestrator {} closed", settings.ownerId());
  }
}
