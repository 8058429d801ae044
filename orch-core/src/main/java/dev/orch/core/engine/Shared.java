package dev.orch.core.engine;

import dev.orch.core.lb.EndpointRegistry;
import dev.orch.core.lb.LoadBalancer;
import dev.orch.core.rollout.RevisionTraffic;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * What outlives one engine of an orchestrator: the endpoints it publishes, the load balancers made over them (whose
 * requests in flight every later engine drains), the traffic those report per revision and per replica, and the
 * event log with its subscribers. An orchestrator that leads through an election builds a new engine for every
 * leadership; callers keep their endpoint sources, balancers and subscriptions across them. Thread-safe.
 */
final class Shared {
  final EventRing events;
  final EndpointRegistry registry = new EndpointRegistry();
  /** Requests, failures and latency per service revision, as reported through the balancers below. */
  final RevisionTraffic traffic = new RevisionTraffic();
  /**
   * Requests and latency per replica (a "revision" here is a replica's name), recorded only for the services in
   * {@link #latencyServices}: each replica's histogram takes about 8 KB.
   */
  final RevisionTraffic replicaTraffic = new RevisionTraffic();
  final Set<String> latencyServices = ConcurrentHashMap.newKeySet();
  final CopyOnWriteArrayList<LoadBalancer> balancers = new CopyOnWriteArrayList<>();
  /** The work queue of the engine that runs now, for the {@code orch.queue.depth} gauge registered once. */
  volatile dev.orch.core.reconcile.@org.jspecify.annotations.Nullable MpscWorkQueue queue;
  /**
   * Whether a standby's engine has started once: the engines that replace it (a refresh after the leader wrote)
   * say nothing of their start-up again ({@code Started}, {@code Orphaned}, {@code NodeDraining}).
   */
  volatile boolean standbyStarted;
  /**
   * The balancers whose callers named themselves, with their gates: judged by whichever engine runs now, so that a
   * balancer built on a standby's engine (rebuilt at each refresh) or before a failover follows the policies.
   */
  final CopyOnWriteArrayList<PolicyEnforcement.Tracked> gated = new CopyOnWriteArrayList<>();
  /** The engine built last: the one that runs now (a balancer's wake of a service at zero goes to it). */
  volatile @org.jspecify.annotations.Nullable ControlPlane engine;
  /** Where a standby's engine keeps the writes asked of it for the leader; null without an election. */
  volatile @org.jspecify.annotations.Nullable StandbyRequests requests;
  /** Whether that gauge is registered. */
  final java.util.concurrent.atomic.AtomicBoolean queueGauge = new java.util.concurrent.atomic.AtomicBoolean();

  Shared(int eventCapacity) {
    this.events = new EventRing(eventCapacity);
  }

  /** Wakes service {@code service} at zero through the engine that runs now (a standby's asks the leader). */
  void wake(String service) {
    ControlPlane p = engine;
    if (p != null && !p.isClosed()) {
      p.wake(service);
    }
  }
}
