package dev.orch.core.engine;

import dev.orch.api.runtime.ContainerInfo;
import dev.orch.api.runtime.ContainerRuntime;
import dev.orch.api.runtime.LabelSelector;
import dev.orch.api.runtime.NetworkInfo;
import dev.orch.api.runtime.NoSuchContainerException;
import dev.orch.api.runtime.OrchLabels;
import dev.orch.api.runtime.RuntimeCapability;
import dev.orch.api.spec.PortSpec;
import dev.orch.api.spec.ServiceSpec;
import dev.orch.core.policy.PolicyEvaluator;
import dev.orch.core.reconcile.ReconcileResult;
import dev.orch.core.util.Failures;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Discovery and network policy through the runtime's networks ({@link RuntimeCapability#NETWORKS}).
 *
 * <p>Each destination service (one with ports) gets a network of its own on each node where it or a caller of
 * it runs, named {@code orch.<owner>.<service>} and labelled with the owner and the service. A replica joins its
 * service's network under the service's name (a stateful one also under {@code <name>-<ordinal>}) once it is
 * ready, and keeps its place there without the name when it stops being ready or leaves, so the name stands for
 * ready replicas only and the connections open on a replica survive its leaving the name (the runtime keeps its
 * address; see {@link ContainerRuntime#connect}). A replica of a service the policies allow to call a destination
 * on at least one of the destination's ports joins that destination's network, without a name, before it
 * starts; one the policies stop allowing leaves it. Containers that share no network cannot reach each other
 * (Docker with its iptables on; the in-memory runtime), and networks are node-local, so a name reaches the
 * replicas of its caller's node only.
 *
 * <p>The wiring runs as one key of the work queue ({@link #KEY}): one pass at a time compares what should be
 * connected with what is and makes the runtime calls, each change of a container's place on a network one at a
 * time; a failed call is tried again by a later pass. Thread-safe.
 */
final class ServiceNetworks {
  private static final Logger LOG = LoggerFactory.getLogger(ServiceNetworks.class);
  /** The work-queue key of the wiring pass (not a service name: those are DNS labels). */
  static final String KEY = "#networks";
  /** The label naming the destination service of a network Orch made. */
  static final String SERVICE_LABEL = "orch.network-service";
  /** A place on a network whose aliases are not known (learnt from a listing after a restart). */
  private static final Set<String> UNKNOWN = Set.of("\0unknown");

  /** Where the wiring sets and clears a service's conditions. */
  interface Conditions {
    void set(String service, String type, boolean status, String reason, String message);

    void clear(String service, String type);
  }

  private final EngineSettings settings;
  private final ContainerRuntime runtime;
  /** The changes' calls: bounded in time and, under a leadership, by its lease; none made by a standby. */
  private final RuntimeCalls calls;
  private final boolean enabled;
  private final ObservedState observed;
  private final DesiredState state;
  private final Supplier<PolicyEvaluator> policies;
  private final EndpointPublisher endpoints;
  private final KeyQueue keys;
  private final Conditions conditions;
  /** Container id to network to the aliases it has there. */
  private final ConcurrentHashMap<String, ConcurrentHashMap<String, Set<String>>> joined = new ConcurrentHashMap<>();
  /** The networks known to exist, as {@code node/name}. */
  private final Set<String> networks = ConcurrentHashMap.newKeySet();
  /** When to try again to remove a network whose removal failed, by {@code node/name}. */
  private final ConcurrentHashMap<String, Instant> removeAfter = new ConcurrentHashMap<>();
  /** Changes of a place on a network in flight, by {@code containerId/network}: a second caller waits on the first. */
  private final ConcurrentHashMap<String, CompletableFuture<Void>> connecting = new ConcurrentHashMap<>();
  /** Network creations in flight, by {@code node/name}, so that a second caller waits on the first. */
  private final ConcurrentHashMap<String, CompletableFuture<Void>> creating = new ConcurrentHashMap<>();
  /** Changes in flight, as {@code containerId/network} or {@code node/name}: one at a time each. */
  private final Set<String> busy = ConcurrentHashMap.newKeySet();
  /** When a service's name left a container that callers may have looked it up on, by container id. */
  private final ConcurrentHashMap<String, Instant> nameLeft = new ConcurrentHashMap<>();
  /** The ready replicas each service's name stood for at the last look, to spot a change cheaply. */
  private final ConcurrentHashMap<String, List<String>> lastReady = new ConcurrentHashMap<>();
  private final NetworkRoutes routes;
  private volatile boolean learnt;
  private volatile boolean learning;

  ServiceNetworks(EngineSettings settings, RuntimeCalls calls, ObservedState observed, DesiredState state,
                  Supplier<PolicyEvaluator> policies, EndpointPublisher endpoints, KeyQueue keys, Conditions conditions) {
    this.settings = settings;
    this.runtime = settings.runtime();
    this.calls = calls;
    this.enabled = settings.discovery() && runtime.capabilities().contains(RuntimeCapability.NETWORKS);
    this.observed = observed;
    this.state = state;
    this.policies = policies;
    this.endpoints = endpoints;
    this.keys = keys;
    this.conditions = conditions;
    this.routes = new NetworkRoutes(settings, enabled, observed, policies, endpoints::readyNames, conditions);
  }

  /** Whether the engine wires the runtime's networks. */
  boolean enabled() {
    return enabled;
  }

  /** The network that carries service {@code service}'s name for this owner. */
  String networkOf(String service) {
    return "orch." + settings.ownerId() + "." + service;
  }

  /** Something that decides the wiring changed (a policy, a spec): a pass looks again. */
  void changed() {
    if (enabled) {
      keys.enqueue(KEY);
    }
  }

  /** Service {@code service}'s endpoints were published: a pass looks again if its ready replicas changed. */
  void published(String service) {
    if (!enabled) {
      return;
    }
    List<String> ready = endpoints.readyNames(service);
    if (!ready.equals(lastReady.put(service, ready))) {
      keys.enqueue(KEY);
    }
  }

  /**
   * The environment a replica of {@code spec} gets for its dependencies: {@code <NAME>_HOST} (the service's
   * name) and {@code <NAME>_PORT} (its first port, once applied); the spec's own variables win.
   */
  Map<String, String> environment(ServiceSpec spec) {
    Map<String, String> env = new LinkedHashMap<>();
    for (String d : spec.dependencies()) {
      String prefix = ServiceSpec.envPrefix(d);
      env.put(prefix + "_HOST", d);
      state.desired(d).filter(ds -> !ds.container().ports().isEmpty())
          .ifPresent(ds -> env.put(prefix + "_PORT", Integer.toString(ds.container().ports().get(0).containerPort())));
    }
    env.keySet().removeAll(spec.container().env().keySet());
    return env;
  }

  /**
   * Joins new replica {@code c} of {@code spec}, before it starts, to its own service's network (without the
   * name, which it gets once ready: its peers reach it, and it them, meanwhile) and to the networks of the
   * destinations the policies allow it to call; completes when it has (a failure is left to the next pass and
   * completes normally).
   */
  CompletableFuture<Void> join(ServiceSpec spec, ContainerInfo c) {
    if (!enabled) {
      return CompletableFuture.completedFuture(null);
    }
    PolicyEvaluator ev = null; // asked only if some other service has ports: most creates need no network
    List<CompletableFuture<Void>> joins = new ArrayList<>();
    for (String d : state.known()) {
      ServiceSpec dest = state.desired(d).orElse(null);
      if (dest == null || dest.container().ports().isEmpty()) {
        continue;
      }
      ev = ev == null ? policies.get() : ev;
      if (d.equals(spec.name()) || allowed(ev, spec.name(), dest)) {
        String net = networkOf(d);
        joins.add(ensureNetwork(c.nodeId(), d).thenCompose(v -> connect(c, net, Set.of())).toCompletableFuture());
      }
    }
    return CompletableFuture.allOf(joins.toArray(CompletableFuture[]::new)).handle((v, e) -> null);
  }

  /**
   * Whether {@code c} no longer carries its service's name and, if callers may have looked it up, has run on for
   * the name drain delay since it left: a draining replica stops only then. True when the engine does not wire
   * networks.
   */
  boolean nameReleased(ContainerInfo c) {
    if (!enabled) {
      return true;
    }
    Map<String, Set<String>> nets = joined.get(c.id());
    if (nets != null && nets.values().stream().anyMatch(a -> !a.isEmpty())) {
      return false; // its name leaves in the pass its leaving the endpoints queued
    }
    Instant left = nameLeft.get(c.id());
    return left == null || !settings.time().now().isBefore(left.plus(settings.nameDrainDelay()));
  }

  /** Container {@code c} was removed: a pass forgets its places and removes the networks nobody uses now. */
  void removed(ContainerInfo c) {
    if (enabled && joined.containsKey(c.id())) {
      keys.enqueue(KEY);
    }
  }

  // ------------------------------------------------------------------------------------------ the pass

  /** One wiring pass: compares what should be connected with what is and makes the calls that differ. */
  ReconcileResult sync() {
    if (!enabled) {
      return ReconcileResult.done();
    }
    if (!learnt) {
      learn();
      return ReconcileResult.done(); // the listing's completion queues the next pass
    }
    Map<String, ServiceSpec> specs = new TreeMap<>();
    for (String name : state.known()) {
      state.desired(name).ifPresent(s -> specs.put(name, s));
    }
    Map<String, List<ContainerInfo>> byService = new TreeMap<>();
    Map<String, ContainerInfo> byId = new HashMap<>();
    for (String service : observed.services()) {
      List<ContainerInfo> cs = observed.containersOf(service);
      byService.put(service, cs);
      cs.forEach(c -> byId.put(c.id(), c));
    }
    Map<String, Map<String, Set<String>>> want = wanted(specs, byService);
    List<String> calls = new ArrayList<>();
    want.forEach((id, nets) -> nets.forEach((net, aliases) -> {
      ContainerInfo c = byId.get(id);
      String service = net.substring(net.lastIndexOf('.') + 1);
      if (!observed.isNodeReady(c.nodeId())) {
        return; // wired once its node answers again
      }
      if (!networks.contains(c.nodeId() + "/" + net)) {
        calls.add("create " + net + " on " + c.nodeId());
        ensureNetwork(c.nodeId(), service); // its success queues the next pass, its failure a later one
      } else if (!aliases.equals(aliasesOf(id, net))) {
        calls.add("connect " + c.name() + " to " + net + " as " + aliases);
        connect(c, net, aliases);
      }
    }));
    joined.forEach((id, nets) -> nets.keySet().forEach(net -> {
      ContainerInfo c = byId.get(id);
      if (c == null) {
        nets.remove(net); // removed with its container
      } else if (!want.getOrDefault(id, Map.of()).containsKey(net) && observed.isNodeReady(c.nodeId())) {
        calls.add("disconnect " + c.name() + " from " + net);
        disconnect(c, net);
      }
    }));
    for (String id : List.copyOf(joined.keySet())) {
      joined.computeIfPresent(id, (k, nets) -> nets.isEmpty() && !byId.containsKey(k) ? null : nets);
    }
    lastReady.keySet().retainAll(specs.keySet());
    nameLeft.keySet().removeIf(id -> !byId.containsKey(id));
    removeUnused(want, byId, specs, byService);
    routes.report(specs, byService);
    if (!calls.isEmpty()) {
      LOG.debug("orchestrator {}: networks: {}", settings.ownerId(), calls);
    }
    return ReconcileResult.done();
  }

  /** Container id to network to aliases: what the specs, the ready replicas and the policies call for. */
  private Map<String, Map<String, Set<String>>> wanted(Map<String, ServiceSpec> specs,
                                                       Map<String, List<ContainerInfo>> byService) {
    PolicyEvaluator ev = policies.get();
    Map<String, Map<String, Set<String>>> want = new HashMap<>();
    for (ServiceSpec dest : specs.values()) {
      if (dest.container().ports().isEmpty()) {
        continue;
      }
      String d = dest.name();
      String net = networkOf(d);
      Set<String> ready = new java.util.HashSet<>(endpoints.readyNames(d));
      ServiceRecord st = state.record(d).orElse(null);
      for (ContainerInfo c : byService.getOrDefault(d, List.of())) {
        // One an orchestrator adopted keeps the names it has until its probes judge it (after a restart it is
        // not ready until then, and its callers must not lose it meanwhile), unless it is leaving.
        boolean leaving = st != null && (st.draining.containsKey(c.id()) || st.deleting.containsKey(c.id()));
        Set<String> aliases = ready.contains(c.name()) ? names(dest, c)
            : observed.isAdoptedUnprobed(c.id()) && !leaving && joined.containsKey(c.id()) ? aliasesOf(c.id(), net)
            : Set.of();
        want.computeIfAbsent(c.id(), k -> new HashMap<>()).put(net, aliases);
      }
      for (Map.Entry<String, List<ContainerInfo>> caller : byService.entrySet()) {
        if (!caller.getKey().equals(d) && allowed(ev, caller.getKey(), dest)) {
          for (ContainerInfo c : caller.getValue()) {
            want.computeIfAbsent(c.id(), k -> new HashMap<>()).put(net, Set.of());
          }
        }
      }
    }
    for (Map.Entry<String, List<ContainerInfo>> gone : byService.entrySet()) {
      String net = networkOf(gone.getKey());
      if (!specs.containsKey(gone.getKey())) { // deleted: its replicas lose the name, not their connections
        for (ContainerInfo c : gone.getValue()) {
          if (joined.getOrDefault(c.id(), new ConcurrentHashMap<>()).containsKey(net)) {
            want.computeIfAbsent(c.id(), k -> new HashMap<>()).put(net, Set.of());
          }
        }
      }
    }
    return want;
  }

  /** The names a ready replica {@code c} of {@code spec} carries: the service's, and a stateful one's own. */
  private static Set<String> names(ServiceSpec spec, ContainerInfo c) {
    String ordinal = c.labels().get(OrchLabels.ORDINAL);
    if (spec.stateful().isEmpty() || ordinal == null) {
      return Set.of(spec.name());
    }
    return Set.of(spec.name(), spec.name() + "-" + ordinal);
  }

  /** Whether the enforced policies allow {@code from} to call {@code dest} on at least one of its ports. */
  static boolean allowed(PolicyEvaluator ev, String from, ServiceSpec dest) {
    for (PortSpec p : dest.container().ports()) {
      if (ev.allows(from, dest.name(), p.containerPort(), p.protocol())) {
        return true;
      }
    }
    return false;
  }

  private Set<String> aliasesOf(String id, String net) {
    Map<String, Set<String>> nets = joined.get(id);
    Set<String> a = nets == null ? null : nets.get(net);
    return a == null ? UNKNOWN : a;
  }

  // ------------------------------------------------------------------------------------------ runtime calls

  /** Learns, once, which containers the owner's networks already hold (after a restart), then queues a pass. */
  private void learn() {
    if (learning) {
      return;
    }
    learning = true;
    runtime.listNetworks(LabelSelector.of(OrchLabels.OWNER, settings.ownerId())).whenComplete((list, e) -> {
      learning = false;
      if (e != null) {
        LOG.debug("orchestrator {}: listing its networks failed, will retry: {}", settings.ownerId(),
            Failures.describe(e));
        keys.enqueueAfter(KEY, Duration.ofSeconds(2));
        return;
      }
      for (NetworkInfo n : list) {
        if (n.labels().containsKey(SERVICE_LABEL)) {
          networks.add(n.nodeId() + "/" + n.name());
          for (String member : n.containers()) {
            joined.computeIfAbsent(member, k -> new ConcurrentHashMap<>()).putIfAbsent(n.name(), UNKNOWN);
          }
        }
      }
      learnt = true;
      keys.enqueue(KEY);
    });
  }

  private CompletionStage<Void> ensureNetwork(String nodeId, String service) {
    String net = networkOf(service);
    String key = nodeId + "/" + net;
    if (networks.contains(key)) {
      return CompletableFuture.completedFuture(null);
    }
    Map<String, String> labels = Map.of(OrchLabels.OWNER, settings.ownerId(), SERVICE_LABEL, service);
    CompletableFuture<Void> made = creating.computeIfAbsent(key, k -> calls.callOnce(nodeId, "create network " + net,
            () -> runtime.createNetwork(nodeId, net, labels))
        .thenAccept(info -> {
          networks.add(key);
          keys.enqueue(KEY);
        }).exceptionally(e -> {
          LOG.debug("orchestrator {}: create network {} on {} failed, will retry: {}", settings.ownerId(), net, nodeId,
              Failures.describe(e));
          keys.enqueueAfter(KEY, Duration.ofSeconds(2));
          return null;
        }).toCompletableFuture());
    made.whenComplete((v, e) -> creating.remove(key, made)); // outside computeIfAbsent: it may be done already
    return made;
  }

  private CompletionStage<Void> connect(ContainerInfo c, String net, Set<String> aliases) {
    String key = c.id() + "/" + net;
    CompletableFuture<Void> mine = new CompletableFuture<>();
    CompletableFuture<Void> running = connecting.putIfAbsent(key, mine);
    if (running != null) {
      return running; // one change of a place at a time; a second caller (a create's join) waits for the first
    }
    Set<String> had = aliasesOf(c.id(), net);
    CompletionStage<Void> call = calls.callOnce(c.nodeId(), "connect " + c.name() + " to " + net,
        () -> runtime.connect(c.id(), net, aliases));
    call.handle((v, e) -> {
      if (e != null) {
        if (Failures.rootCause(e) instanceof dev.orch.api.runtime.NoSuchNetworkException) {
          networks.remove(c.nodeId() + "/" + net); // gone under Orch: made again by the next pass
        }
        failed("connect " + c.name() + " to " + net, e);
        return null;
      }
      joined.compute(c.id(), (k, nets) -> {
        ConcurrentHashMap<String, Set<String>> m = nets == null ? new ConcurrentHashMap<>() : nets;
        m.put(net, aliases);
        return m;
      });
      if (!had.isEmpty() && aliases.isEmpty() && hasCallers(c.nodeId(), net, c)) {
        nameLeft.put(c.id(), settings.time().now());
      }
      keys.enqueue(KEY); // a drain may be waiting for this
      return null;
    }).whenComplete((v, e) -> {
      connecting.remove(key, mine);
      mine.complete(null);
    });
    return mine;
  }

  private void disconnect(ContainerInfo c, String net) {
    String key = c.id() + "/" + net;
    if (!busy.add(key)) {
      return;
    }
    CompletionStage<Void> call = calls.callOnce(c.nodeId(), "disconnect " + c.name() + " from " + net,
        () -> runtime.disconnect(c.id(), net));
    call.whenComplete((v, e) -> {
      busy.remove(key);
      if (e != null && !(Failures.rootCause(e) instanceof NoSuchContainerException)) {
        failed("disconnect " + c.name() + " from " + net, e);
        return;
      }
      Map<String, Set<String>> nets = joined.get(c.id());
      if (nets != null) {
        nets.remove(net);
      }
      keys.enqueue(KEY);
    });
  }

  private void failed(String what, Throwable e) {
    LOG.debug("orchestrator {}: {} failed, will retry: {}", settings.ownerId(), what, Failures.describe(e));
    keys.enqueueAfter(KEY, Duration.ofSeconds(2));
  }

  /** Whether containers other than {@code c}'s service's are on network {@code net} of node {@code nodeId}. */
  private boolean hasCallers(String nodeId, String net, ContainerInfo c) {
    String service = ObservedState.serviceOf(c);
    Map<String, ContainerInfo> byId = new HashMap<>();
    observed.allContainers().forEach(o -> byId.put(o.id(), o));
    for (Map.Entry<String, ConcurrentHashMap<String, Set<String>>> e : joined.entrySet()) {
      ContainerInfo other = e.getValue().containsKey(net) ? byId.get(e.getKey()) : null;
      if (other != null && other.nodeId().equals(nodeId) && !ObservedState.serviceOf(other).equals(service)) {
        return true;
      }
    }
    return false;
  }

  /**
   * Removes the networks no container is wanted on or joined to and whose service has no replica on their node
   * (a service deleted, its replicas and callers gone), so that a rollout does not remove and make them again.
   */
  private void removeUnused(Map<String, Map<String, Set<String>>> want, Map<String, ContainerInfo> byId,
                            Map<String, ServiceSpec> specs, Map<String, List<ContainerInfo>> byService) {
    Set<String> used = new LinkedHashSet<>();
    specs.keySet().forEach(d -> byService.getOrDefault(d, List.of())
        .forEach(c -> used.add(c.nodeId() + "/" + networkOf(d))));
    want.forEach((id, nets) -> nets.keySet().forEach(net -> used.add(byId.get(id).nodeId() + "/" + net)));
    joined.forEach((id, nets) -> {
      ContainerInfo c = byId.get(id);
      nets.keySet().forEach(net -> used.add((c == null ? "?" : c.nodeId()) + "/" + net));
    });
    for (String key : networks) {
      Instant notBefore = removeAfter.get(key);
      if (used.contains(key) || creating.containsKey(key) || notBefore != null
          && settings.time().now().isBefore(notBefore) || !busy.add(key)) {
        continue;
      }
      int slash = key.indexOf('/');
      String node = key.substring(0, slash);
      String net = key.substring(slash + 1);
      if (!observed.knowsNode(node)) {
        networks.remove(key); // its node left the cluster, with its networks
        busy.remove(key);
        continue;
      }
      if (!observed.isNodeReady(node)) {
        busy.remove(key); // removed once the node answers
        continue;
      }
      calls.callOnce(node, "remove network " + net, () -> runtime.removeNetwork(node, net)).whenComplete((v, e) -> {
        busy.remove(key);
        if (e == null) {
          networks.remove(key);
          removeAfter.remove(key);
        } else {
          removeAfter.put(key, settings.time().now().plus(Duration.ofSeconds(30))); // (foreign members, say)
          LOG.debug("orchestrator {}: network {} on {} stays: {}", settings.ownerId(), net, node, Failures.describe(e));
        }
      });
    }
  }

  /**
   * Waits, up to {@code timeout}, for the network creations in flight, so that a removal of everything that
   * follows the engine's close sees the networks they make.
   */
  void awaitCreations(Duration timeout) {
    try {
      CompletableFuture.allOf(creating.values().toArray(CompletableFuture[]::new))
          .get(timeout.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
      LOG.debug("orchestrator {}: network creations still in flight at close: {}", settings.ownerId(), e.toString());
    }
  }

  /** What the runtime cannot do about connections {@code from -> to}, for a verdict's limits. */
  List<String> limits(String from, String to) {
    return routes.limits(from, to);
  }
}
