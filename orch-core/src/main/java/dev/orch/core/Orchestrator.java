package dev.orch.core;

import dev.orch.api.runtime.ContainerRuntime;
import dev.orch.api.runtime.NodeInfo;
import dev.orch.api.spec.ServiceSpec;
import dev.orch.api.time.TimeSource;
import dev.orch.api.time.VirtualTimeSource;
import dev.orch.core.engine.ControlPlane;
import dev.orch.core.engine.Leadership;
import dev.orch.core.engine.EngineSettings;
import dev.orch.core.lb.EndpointSource;
import dev.orch.core.lb.LoadBalancer;
import dev.orch.core.lb.Picker;
import dev.orch.core.reconcile.MpscWorkQueue;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

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
 * the thread that advances the clock). The facade holds no state of its own: it delegates to the engine.
 */
public final class Orchestrator implements AutoCloseable {
  private final Leadership leadership;
  private final ContainerRuntime runtime;
  private final TimeSource time;
  private final String ownerId;

  Orchestrator(EngineSettings settings) {
    this.runtime = settings.runtime();
    this.time = settings.time();
    this.ownerId = settings.ownerId();
    this.leadership = new Leadership(settings);
  }

  /** The engine to read through: the acting one, or a standby's (see {@link OrchestratorBuilder#leaderElection}). */
  private ControlPlane plane(String what) {
    return leadership.plane(what);
  }

  /** The engine to act through; on a standby it throws, naming the leader. */
  private ControlPlane acting(String what) {
    return leadership.acting(what);
  }

  /** Starts a builder. */
  public static OrchestratorBuilder builder() {
    return new OrchestratorBuilder();
  }

  /**
   * Makes {@code spec} the desired state of its service (creating or updating it). Validates the whole
   * spec first: an invalid one is refused with every violation and changes nothing. Idempotent; returns
   * once the state store has kept it (at once with the in-memory default), before any replica changes. On a
   * standby (see {@link OrchestratorBuilder#leaderElection}) it validates the spec and keeps it in the store for
   * the leader, which applies it (or, if it refuses it, says why in a {@code RequestRefused} event).
   *
   * @throws dev.orch.api.spec.InvalidSpecException when the spec breaks a rule, or would make an applied service
   *                                                 stateful or not, or change its pod management
   * @throws IllegalStateException when the orchestrator is closed
   * @throws dev.orch.api.state.StateStoreException when the state store cannot keep it; nothing changed
   */
  public void apply(ServiceSpec spec) {
    Objects.requireNonNull(spec, "spec");
    leadership.apply(spec);
  }

  /**
   * Sets the desired replica count of service {@code name}. On a standby it is kept for the leader, as
   * {@link #apply} is.
   *
   * @throws UnknownServiceException when no such service was applied
   * @throws IllegalStateException when the service is autoscaled and its autoscaling is not paused
   * @throws dev.orch.api.spec.InvalidSpecException when {@code replicas} is negative
   * @throws dev.orch.api.state.StateStoreException when the state store cannot keep it; nothing changed
   */
  public void scale(String name, int replicas) {
    Objects.requireNonNull(name, "name");
    leadership.scale(name, replicas);
  }

  /**
   * Deletes service {@code name}: its replicas are stopped (with their grace period) and removed. Also
   * removes the owned replicas of a service that was never applied here (an orchestrator that restarted
   * adopts what it owns; see the {@code Orphaned} event). On a standby it is kept for the leader, as {@link #apply}
   * is.
   *
   * @return whether the service existed, or had owned replicas (as this orchestrator sees it)
   * @throws dev.orch.api.state.StateStoreException when the state store cannot keep it; nothing changed
   */
  public boolean delete(String name) {
    Objects.requireNonNull(name, "name");
    return leadership.delete(name);
  }

  /** The revisions of service {@code name} that Orch remembers, oldest first; the last is the current one. */
  public List<Revision> revisions(String name) {
    Objects.requireNonNull(name, "name");
    return plane("revisions").revisions(name);
  }

  /**
   * Returns service {@code name} to its last revision that was fully available before the current one.
   *
   * @throws UnknownServiceException when no such service was applied
   * @throws IllegalStateException when there is no earlier good revision
   * @throws dev.orch.api.state.StateStoreException when the state store cannot keep it; nothing changed
   */
  public Revision rollback(String name) {
    Objects.requireNonNull(name, "name");
    acting("rollback").ensureOpen("rollback " + name);
    return acting("rollback").rollback(name);
  }

  /**
   * Returns service {@code name} to its remembered revision {@code revision}: its template and probes,
   * with the current replica count, placement and strategy.
   *
   * @throws UnknownServiceException when no such service was applied
   * @throws IllegalArgumentException naming the revision and those remembered, when it is not one of them
   * @throws dev.orch.api.state.StateStoreException when the state store cannot keep it; nothing changed
   */
  public Revision rollback(String name, String revision) {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(revision, "revision");
    acting("rollback").ensureOpen("rollback " + name);
    return acting("rollback").rollback(name, revision);
  }

  /**
   * Pauses service {@code name}'s rollout: a rolling update starts no new wave, a blue/green or canary
   * rollout takes no further step, until {@link #resume}. What is under way (replicas starting, drains, a
   * promoted blue/green rollout's scale-down) completes. Returns at once; the service's worker carries it
   * out.
   *
   * @throws UnknownServiceException when no such service was applied
   * @throws IllegalStateException when no rollout is in progress
   * @throws dev.orch.api.state.StateStoreException when the state store cannot keep it; nothing changed
   */
  public void pause(String name) {
    Objects.requireNonNull(name, "name");
    leadership.rollout("pause", name);
  }

  /**
   * Resumes service {@code name}'s rollout after {@link #pause} or a canary's pause step without a
   * duration; after {@link #abort}, rolls the aborted revision out again from its first step (a retry).
   * Idempotent.
   *
   * @throws UnknownServiceException when no such service was applied
   * @throws IllegalStateException when no rollout is in progress
   * @throws dev.orch.api.state.StateStoreException when the state store cannot keep it; nothing changed
   */
  public void resume(String name) {
    Objects.requireNonNull(name, "name");
    leadership.rollout("resume", name);
  }

  /**
   * Promotes service {@code name}'s blue/green or canary rollout now: skips the remaining steps, pauses and
   * analyses; the new revision is scaled to the full count and then takes all the traffic in one step.
   *
   * @throws UnknownServiceException when no such service was applied
   * @throws IllegalStateException when the service rolls out with a rolling update, or no rollout is in progress
   * @throws dev.orch.api.state.StateStoreException when the state store cannot keep it; nothing changed
   */
  public void promote(String name) {
    Objects.requireNonNull(name, "name");
    leadership.rollout("promote", name);
  }

  /**
   * Aborts service {@code name}'s rollout: a blue/green or canary rollout sends all traffic back to the
   * stable revision at once and removes the new revision's replicas (the spec stays; apply another revision
   * or {@link #rollback} to go on); a rolling update is rolled back to the last fully available revision.
   *
   * @throws UnknownServiceException when no such service was applied
   * @throws IllegalStateException when no rollout is in progress
   * @throws dev.orch.api.state.StateStoreException when the state store cannot keep it; nothing changed
   */
  public void abort(String name) {
    Objects.requireNonNull(name, "name");
    leadership.rollout("abort", name);
  }

  /**
   * Cordons node {@code node}: no new replica is placed there (it carries the taint
   * {@code node.orch.dev/unschedulable:NO_SCHEDULE}, which {@link #nodes()} shows); the replicas there stay.
   * Kept in the state store, so a restarted orchestrator keeps it. Idempotent.
   *
   * @throws IllegalArgumentException naming the known nodes when {@code node} is not one
   * @throws dev.orch.api.state.StateStoreException when the store cannot keep it; nothing changed
   */
  public void cordon(String node) {
    leadership.cordon(node, true);
  }

  /** Uncordons node {@code node}: it takes new replicas again (see {@link #cordon}). */
  public void uncordon(String node) {
    leadership.cordon(node, false);
  }

  /**
   * Drains node {@code node}: cordons it, then moves every replica Orch runs there to other nodes, each within
   * its service's disruption budget, and completes with what moved once none is left there, or once
   * {@code timeout} passes (on the orchestrator's time source). A stateless replica is replaced by surge: its
   * successor starts elsewhere and it is removed once the successor is available, within the rolling update's
   * {@code maxSurge} and {@code maxUnavailable} (other strategies: one at a time, none down), so the service
   * never drops below its floor. A stateful replica is removed, at most {@code maxUnavailable} of the service
   * down at once and never two of one ordinal; its volumes are copied to the node the scheduler chooses and
   * verified there (the runtime's {@link dev.orch.api.runtime.RuntimeCapability#VOLUME_COPY}), it is created
   * again on the copies, and the originals are removed once it is ready. A stateless service's volumes do not
   * move: its successor starts on fresh ones. At the timeout what is left stays, and the report says why of
   * each; the node stays cordoned. The drain is kept in the state store (a restarted orchestrator goes on
   * draining, without the timeout); {@link #uncordon} ends it.
   *
   * @throws IllegalArgumentException naming the known nodes when {@code node} is not one, or when
   *                                  {@code timeout} is not positive
   * @throws dev.orch.api.state.StateStoreException when the store cannot keep it; nothing changed
   */
  public CompletableFuture<DrainReport> drain(String node, Duration timeout) {
    return acting("drain").nodeOperations().drain(node, timeout);
  }

  /**
   * The network policies ({@link dev.orch.api.policy.NetworkPolicy}): {@code apply}, {@code delete} and
   * {@code list} them like specs (each kept in the state store before it takes effect; a refused one changes
   * nothing), and {@code check(from, to, port, protocol)} a connection between applied services, with the
   * policies on each side and the rule that allowed it, or that none did, and what the runtime cannot enforce
   * ({@code limits}). Enforced through the runtime's networks, its connection filter where it has one, and the
   * callers that name themselves to {@link #loadBalancer}'s balancers (see the README).
   */
  public dev.orch.core.engine.PolicyOperations policies() {
    return plane("policies").policies();
  }

  /**
   * The autoscaling of services ({@link dev.orch.api.spec.AutoscalePolicy}, decided by
   * {@link dev.orch.core.autoscale.Autoscaler}): {@code apply(policy)}, {@code delete}, {@code pause},
   * {@code resume}, the recent {@code decisions(service)} with every number, and {@code metricSource(name, source)}
   * for metrics of your own ({@code cpu} and {@code memory} come from the runtime's usage stats). While a service is
   * autoscaled, {@link #scale} is refused unless its autoscaling is paused, and an {@link #apply} keeps the count
   * the autoscaler set.
   */
  public dev.orch.core.engine.AutoscaleOperations autoscaling() {
    return plane("autoscaling").autoscaling();
  }

  /** The cordoned nodes, sorted. */
  public List<String> cordoned() {
    return plane("cordoned").nodeOperations().cordoned();
  }

  /**
   * Replaces replica {@code ordinal} of stateful service {@code name} now. One on a node that answers is
   * removed and created again on its volumes, as an update would. One on a node that does not answer (lost,
   * partitioned) is given up without its stop confirmed, which Orch otherwise never does: if that node still
   * runs it, two replicas of the ordinal run at once until the node answers again (then it is removed), and
   * its data stays on that node while the new replica starts elsewhere with empty volumes. The
   * {@code ForceReplaced} event says which. Returns at once; the service's worker carries it out.
   *
   * @throws UnknownServiceException when no such service was applied
   * @throws IllegalStateException when the service is not stateful
   * @throws IllegalArgumentException when {@code ordinal} is not one of its replicas
   */
  public void forceReplace(String name, int ordinal) {
    Objects.requireNonNull(name, "name");
    acting("forceReplace").stateful().forceReplace(name, ordinal);
  }

  /**
   * The volumes of stateful service {@code name}'s replicas that the runtime holds, applied or deleted, in use
   * or retained, by ordinal, each with its node, template and size. Nodes that do not answer are left out
   * ({@link #nodes} says which are not ready).
   *
   * @throws dev.orch.api.runtime.ContainerRuntimeException when the runtime cannot list them
   */
  public List<ServiceVolume> volumes(String name) {
    Objects.requireNonNull(name, "name");
    return plane("volumes").stateful().volumes(name);
  }

  /**
   * Removes the retained volume {@code volume} of service {@code name}, with its data; returns false when
   * there is no such volume.
   *
   * @throws IllegalStateException when a replica of the service still uses it (its ordinal is wanted, or its
   *                               container exists), or when it is not found while some node does not answer
   *                               (it may be there)
   */
  public boolean deleteVolume(String name, String volume) {
    Objects.requireNonNull(name, "name");
    return acting("deleteVolume").stateful().deleteVolume(name, volume);
  }

  /**
   * The exact steps applying {@code spec} would take from what service {@code spec.name()} runs now:
   * replicas per revision, the availability floor, the total ceiling and the traffic weights of each,
   * assuming every new replica becomes available and every analysis passes. Touches nothing.
   *
   * @throws dev.orch.api.spec.InvalidSpecException when the spec breaks a rule (as {@link #apply} would)
   */
  public RolloutPlan plan(ServiceSpec spec) {
    Objects.requireNonNull(spec, "spec");
    plane("plan").requireRunnable(spec);
    return plane("plan").rollouts().plan(spec);
  }

  /** The desired spec of service {@code name}, if applied. */
  public Optional<ServiceSpec> spec(String name) {
    Objects.requireNonNull(name, "name");
    return plane("spec").spec(name);
  }

  /** The names of every applied service, sorted. */
  public List<String> services() {
    return plane("services").services();
  }

  /** The nodes as Orch last saw them, by id. */
  public List<NodeInfo> nodes() {
    return plane("nodes").nodes();
  }

  /**
   * The merged log of every replica of service {@code name}, each line with its replica, as {@code options} say:
   * {@code LogOptions.defaults().following()} follows the service as replicas come and go, as
   * {@code kubectl logs -l app=x --prefix -f} does. Close it when done.
   *
   * <pre>{@code
   * try (ServiceLogs logs = orch.logs("orders", LogOptions.defaults().withTail(10).following())) {
   *   for (ServiceLogs.Line l; (l = logs.poll(Duration.ofSeconds(1))) != null || !logs.isEnded(); ) {
   *     if (l != null) System.out.println(l); // orders-0-x7k2p | GET /orders 200
   *   }
   * }
   * }</pre>
   *
   * @throws IllegalArgumentException if the service is not applied
   * @throws dev.orch.api.runtime.UnsupportedCapabilityException if the runtime cannot stream logs
   */
  public ServiceLogs logs(String name, dev.orch.api.runtime.LogOptions options) {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(options, "options");
    return plane("logs").logs(name, options);
  }

  /** The observed state of service {@code name}, if applied. */
  public Optional<ServiceStatus> status(String name) {
    Objects.requireNonNull(name, "name");
    return plane("status").status(name);
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
    return awaitStatus("awaitReady", name, ServiceStatus::isReady, timeout).isPresent();
  }

  /**
   * Waits until the rollout of service {@code name} has ended, as {@code kubectl rollout status} does: it is
   * {@code COMPLETE} with every replica ready, or it ended otherwise ({@code ROLLED_BACK}, {@code ABORTED},
   * {@code STALLED}), or {@code timeout} passes. A rollout that waits for a {@code promote} or {@code resume}
   * has not ended. Real time only, as {@link #awaitReady}.
   *
   * @return the rollout as it ended; empty when it had not ended in time
   * @throws UnknownServiceException when no such service was applied
   * @throws IllegalStateException on a virtual time source
   */
  public Optional<RolloutStatus> awaitRollout(String name, Duration timeout) throws InterruptedException {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(timeout, "timeout");
    return awaitStatus(name, s -> switch (s.rollout().phase()) {
      case COMPLETE -> s.isReady();
      case ROLLED_BACK, ABORTED, STALLED -> true;
      case PROGRESSING, PAUSED -> false;
    }, timeout).map(ServiceStatus::rollout);
  }

  /**
   * Waits until the status of service {@code name} satisfies {@code condition}, or {@code timeout} passes;
   * the condition is tested after each reconcile pass (and at least every 200 ms). Real time only.
   *
   * @return the first status that satisfied it; empty when none did in time
   * @throws UnknownServiceException when no such service was applied (or it is deleted meanwhile)
   * @throws IllegalStateException on a virtual time source
   */
  public Optional<ServiceStatus> awaitStatus(String name, java.util.function.Predicate<ServiceStatus> condition,
                                             Duration timeout) throws InterruptedException {
    return awaitStatus("awaitStatus", name, condition, timeout);
  }

  /** {@link #awaitStatus(String, java.util.function.Predicate, Duration)}, its errors naming operation {@code op}. */
  private Optional<ServiceStatus> awaitStatus(String op, String name,
                                              java.util.function.Predicate<ServiceStatus> condition, Duration timeout)
      throws InterruptedException {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(condition, "condition");
    Objects.requireNonNull(timeout, "timeout");
    requireRealTime(op + " " + name);
    ServiceStatus[] seen = new ServiceStatus[1];
    boolean met = plane("awaitStatus").awaitPasses(timeout, () -> {
      ServiceStatus s = status(name).orElseThrow(() -> new UnknownServiceException(op, name));
      seen[0] = s;
      return condition.test(s);
    });
    return met ? Optional.of(seen[0]) : Optional.empty();
  }

  /**
   * Waits until service {@code name} is gone after {@link #delete}: every replica stopped and removed, and
   * the service forgotten. Real time only.
   *
   * @return whether it was gone in time (true at once for a service that does not exist)
   * @throws IllegalStateException on a virtual time source
   */
  public boolean awaitDeleted(String name, Duration timeout) throws InterruptedException {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(timeout, "timeout");
    requireRealTime("awaitDeleted " + name);
    return plane("awaitDeleted").awaitPasses(timeout, () -> plane("awaitDeleted").isGone(name));
  }

  private void requireRealTime(String what) {
    if (time instanceof VirtualTimeSource) {
      throw new IllegalStateException(what + ": blocks on real time; with a VirtualTimeSource advance the clock "
          + "(orch-testkit's VirtualClocks.advanceUntil) and check status(name) instead");
    }
  }

  /**
   * The endpoints of service {@code name}: each replica that runs, with its readiness, published as a
   * new immutable snapshot whenever it changes; feed a {@link dev.orch.core.lb.LoadBalancer} from it.
   * Only a service whose container has a port has endpoints (on its first port). Read-only.
   */
  public EndpointSource endpoints(String name) {
    Objects.requireNonNull(name, "name");
    return leadership.endpoints(name);
  }

  /**
   * A load balancer builder over service {@code name}'s ready replicas, with every option of
   * {@link LoadBalancer#builder} (picker, outlier detection, slow start, panic threshold, outcome listeners)
   * and already wired to the orchestrator: its time source, its outcomes counted per revision so that canary
   * analyses see them, and its requests in flight known to Orch, which takes a replica out of the endpoints
   * before it stops it (scale down, update, deletion) and waits until no such balancer has a request in flight
   * on it (at most the drain timeout), so that no request fails because its replica stopped under it. A
   * balancer built with {@code LoadBalancer.builder(orch.endpoints(name))} has none of this: its outcomes
   * never reach an analysis. During a canary the endpoints' weights carry the traffic split: use a weighted
   * picker ({@code weightedRoundRobin}, {@code random}, {@code leastRequest}, {@code p2cPeakEwma});
   * {@code roundRobin} ignores weights. Close the balancer when done.
   *
   * <pre>{@code
   * LoadBalancer lb = orch.loadBalancer("orders").picker(Pickers.leastRequest())
   *     .slowStart(SlowStart.of(Duration.ofSeconds(30))).build();
   * }</pre>
   *
   * @throws IllegalStateException when the orchestrator is closed
   */
  public LoadBalancer.Builder loadBalancer(String name) {
    Objects.requireNonNull(name, "name");
    return plane("loadBalancer").loadBalancer(name);
  }

  /** {@code loadBalancer(name).picker(picker).build()}: a wired load balancer with the given picker. */
  public LoadBalancer loadBalancer(String name, Picker picker) {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(picker, "picker");
    return loadBalancer(name).picker(picker).build();
  }

  /**
   * The preview endpoints of service {@code name}: during a blue/green rollout, before promotion, the new
   * revision's replicas (which the service's own endpoints do not list); empty otherwise. Read-only.
   */
  public EndpointSource previewEndpoints(String name) {
    Objects.requireNonNull(name, "name");
    return leadership.previewEndpoints(name);
  }

  /**
   * A load balancer builder over service {@code name}'s preview endpoints (see {@link #previewEndpoints}),
   * wired as {@link #loadBalancer(String)} is: its outcomes feed a blue/green pre-promotion analysis, and its
   * requests in flight are drained. Close the balancer when done.
   */
  public LoadBalancer.Builder previewLoadBalancer(String name) {
    Objects.requireNonNull(name, "name");
    return plane("previewLoadBalancer").previewLoadBalancer(name);
  }

  /** {@code previewLoadBalancer(name).picker(picker).build()}. */
  public LoadBalancer previewLoadBalancer(String name, Picker picker) {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(picker, "picker");
    return previewLoadBalancer(name).picker(picker).build();
  }

  /** The event log: recent events and subscriptions. */
  public EventLog events() {
    return leadership.events();
  }

  /** This orchestrator's owner id, the value of the {@code orch.owner} label on what it creates. */
  public String ownerId() {
    return ownerId;
  }

  /** The runtime this orchestrator drives. */
  public ContainerRuntime runtime() {
    return runtime;
  }

  /**
   * Whether this orchestrator leads (acts) or is a standby, and who leads, with an election
   * ({@link OrchestratorBuilder#leaderElection}); without one it always leads.
   */
  public LeadershipStatus leadership() {
    return new LeadershipStatus(leadership.candidate(), leadership.leading(), leadership.leaderNow(),
        leadership.standbyReason());
  }

  /**
   * Completes when start-up (node discovery and adoption) is done; with an election, once this orchestrator leads
   * and has started (a standby's does not complete until then).
   */
  public CompletableFuture<Void> started() {
    return leadership.started();
  }

  /** Stops Orch's threads and timers; containers keep running (a later orchestrator adopts them). */
  @Override
  public void close() {
    leadership.close();
  }

  /**
   * Removes every container this orchestrator owns (stopping each with its grace period), waits up to
   * {@code timeout}, removes the networks the runtime made for them (labelled with the owner) that nothing
   * else uses, then closes. Real time only.
   *
   * @return whether every owned container was removed in time
   */
  public boolean closeAndRemoveAll(Duration timeout) throws InterruptedException {
    Objects.requireNonNull(timeout, "timeout");
    if (time instanceof VirtualTimeSource) {
      throw new IllegalStateException("closeAndRemoveAll: blocks on real time; with a VirtualTimeSource delete "
          + "each service, advance the clock, then close()");
    }
    List<String> applied = services();
    // The owned replicas of services never applied here, known before the applied ones are deleted (which
    // would make them look unapplied too, and report them twice).
    List<String> orphans = acting("closeAndRemoveAll").servicesWithContainers().stream().filter(s -> !applied.contains(s)).toList();
    for (String name : applied) {
      delete(name);
    }
    for (String orphan : orphans) {
      delete(orphan);
    }
    // The workers stop each replica with its grace, then remove it; wait until none is left.
    boolean gone = acting("closeAndRemoveAll").awaitPasses(timeout, acting("closeAndRemoveAll")::isEmpty);
    if (gone) {
      acting("closeAndRemoveAll").removeOwnedNetworks(); // the networks the runtime made for them, now that nothing uses them
    }
    close();
    return gone;
  }
}
