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
import java.util.function.BiConsumer;
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
 * time; a failed call is tried again by a later pass. A container's places follow from its own service alone, so a
 * pass looks at the containers something happened to since the last (their readiness or their places changed, a
 * network they waited for was made), and at every container when the policies or the specs changed and every
 * {@link #FULL_EVERY}; the changes of a burst are looked at together ({@link #COALESCE}). Thread-safe.
 */
final class ServiceNetworks {
  private static final Logger LOG = LoggerFactory.getLogger(ServiceNetworks.class);
  /** The work-queue key of the wiring pass (not a service name: those are DNS labels). */
  static final String KEY = "#networks";
  /** The label naming the destination service of a network Orch made. */
  static final String SERVICE_LABEL = "orch.network-service";
  /** How long the changes a pass's calls and the readiness report wait to be looked at together. */
  static final Duration COALESCE = Duration.ofMillis(100);
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
  /** How often a pass looks at every service, whatever happened (a node that answers again, say). */
  static final Duration FULL_EVERY = Duration.ofSeconds(30);
  /** The containers something happened to since the last pass (a place changed), by id. */
  private final Set<String> dirtyIds = ConcurrentHashMap.newKeySet();
  /** The containers a pass found waiting for a network to be made, by {@code node/name} of the network. */
  private final ConcurrentHashMap<String, Set<String>> waiting = new ConcurrentHashMap<>();
  /** The containers removed since the last pass, by id. */
  private final Set<String> gone = ConcurrentHashMap.newKeySet();
  /** Whether the next pass looks at every service (the policies or the specs changed). */
  private final java.util.concurrent.atomic.AtomicBoolean everything =
      new java.util.concurrent.atomic.AtomicBoolean(true);
  /** When the next pass looks at every service anyway. */
  private volatile Instant nextFull = Instant.MIN;
  /** The networks, as {@code node/name}, that passes wanted callers on (replicas of other services). */
  private volatile Set<String> called = Set.of();
  /** Whether a pass is queued by {@link #soon} and has not begun. */
  private final java.util.concurrent.atomic.AtomicBoolean soon = new java.util.concurrent.atomic.AtomicBoolean();
  private volatile boolean learnt;
  private volatile boolean learning;

  ServiceNetworks(EngineSettings settings, RuntimeCalls calls, ObservedState observed, DesiredState state,
                  Supplier<PolicyEvaluator> policies, EndpointPublisher endpoints, KeyQueue keys,
                  Conditions conditions) {
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

  /**
   * Queues a pass within {@link #COALESCE}, once however many ask meanwhile: what a pass's own calls and the
   * replicas' readiness report comes in bursts (a rollout's replicas, a scale-up's), and each pass looks at every
   * container, so one pass per burst keeps the wiring's cost in proportion to the changes rather than to the changes
   * times the containers.
   */
  private void soon() {
    if (soon.compareAndSet(false, true)) {
      keys.enqueueAfter(KEY, COALESCE);
    }
  }

  /** Something that decides the wiring changed (a policy, a spec): a pass looks again. */
  void changed() {
    if (enabled) {
      everything.set(true);
      keys.enqueue(KEY);
    }
  }

  /** Service {@code service}'s endpoints were published: a pass looks again if its ready replicas changed. */
  void published(String service) {
    if (!enabled || settings.passive()) {
      return; // (a standby's engine wires nothing)
    }
    List<String> ready = endpoints.readyNames(service);
    List<String> before = lastReady.put(service, ready);
    Set<String> changed = new java.util.HashSet<>();
    if (!ready.equals(before)) {
      changed.addAll(ready);
      if (before != null) {
        Set<String> was = new java.util.HashSet<>(before);
        changed.removeIf(was::remove); // left in changed: those that became ready; in was: those that stopped
        changed.addAll(was);
      }
    }
    // One adopted and not yet judged keeps its names whatever the endpoints say: looked at on every publish, so
    // that it loses them once its probes judge it not ready or it starts leaving (few: only after a restart).
    boolean look = false;
    for (ContainerInfo c : observed.containersOf(service)) {
      if (changed.contains(c.name()) || observed.isAdoptedUnprobed(c.id()) && joined.containsKey(c.id())) {
        look |= dirtyIds.add(c.id());
      }
    }
    if (look) {
      soon();
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
    if (enabled && !settings.passive() && joined.containsKey(c.id())) {
      gone.add(c.id());
      soon();
    }
  }

  // ------------------------------------------------------------------------------------------ the pass

  /** One wiring pass: compares what should be connected with what is and makes the calls that differ. */
  ReconcileResult sync() {
    if (!enabled) {
      return ReconcileResult.done();
    }
    try {
      return syncIn();
    } catch (RuntimeException e) {
      everything.set(true); // what this pass took to look at is looked at again, with everything else
      throw e;
    }
  }

  private ReconcileResult syncIn() {
    soon.set(false); // what comes from now on is for the next pass
    if (!learnt) {
      learn();
      return ReconcileResult.done(); // the listing's completion queues the next pass
    }
    boolean full = everything.getAndSet(false) || !settings.time().now().isBefore(nextFull);
    Set<String> lookIds = drain(dirtyIds);
    Set<String> removedIds = drain(gone);
    if (!full && lookIds.isEmpty() && removedIds.isEmpty()) {
      return untilFull();
    }
    if (full) {
      waiting.clear(); // a full pass looks at every container anyway
    }
    Map<String, ServiceSpec> specs = new TreeMap<>();
    for (String name : state.known()) {
      state.desired(name).ifPresent(s -> specs.put(name, s));
    }
    // A container's places follow from its own service alone (its network, and those of the destinations its service
    // may call): a pass looks at the containers something happened to, and at every one now and then.
    Map<String, List<ContainerInfo>> byService = new TreeMap<>();
    Map<String, ContainerInfo> byId = new HashMap<>();
    Set<String> look = new java.util.HashSet<>(); // the services of the containers looked at
    if (full) {
      everyContainer(byService, byId);
    } else {
      lookIds.forEach(id -> observed.find(id).ifPresent(c -> {
        byId.put(id, c);
        look.add(ObservedState.serviceOf(c));
      }));
    }
    Wanted wanted = new Wanted(specs);
    Map<String, Map<String, Set<String>>> want = new HashMap<>();
    byId.forEach((id, c) -> want.put(id, wanted.of(c)));
    Set<String> callers = full ? new java.util.HashSet<>() : new java.util.HashSet<>(called);
    want.forEach((id, nets) -> {
      ContainerInfo c = byId.get(id);
      String own = networkOf(ObservedState.serviceOf(c));
      nets.keySet().forEach(net -> {
        if (!net.equals(own)) {
          callers.add(c.nodeId() + "/" + net);
        }
      });
    });
    called = callers; // before this pass's calls: a name leaving now waits the drain delay if callers may use it
    List<String> calls = new ArrayList<>();
    want.forEach((id, nets) -> nets.forEach((net, aliases) -> {
      ContainerInfo c = byId.get(id);
      String service = net.substring(net.lastIndexOf('.') + 1);
      if (!observed.isNodeReady(c.nodeId())) {
        return; // wired once its node answers again (the next full pass)
      }
      String where = c.nodeId() + "/" + net;
      if (!networks.contains(where)) {
        calls.add("create " + net + " on " + c.nodeId());
        waiting.computeIfAbsent(where, k -> ConcurrentHashMap.newKeySet()).add(id);
        if (networks.contains(where)) {
          waited(where); // made meanwhile: its completion may have looked before this container waited
        }
        ensureNetwork(c.nodeId(), service); // its success queues the next pass, its failure a later one
      } else if (!aliases.equals(aliasesOf(id, net))) {
        calls.add("connect " + c.name() + " to " + net + " as " + aliases);
        connect(c, net, aliases);
      }
    }));
    for (String id : removedIds) {
      if (!byId.containsKey(id)) {
        joined.remove(id); // its places went with it
        nameLeft.remove(id);
      }
    }
    BiConsumer<String, ConcurrentHashMap<String, Set<String>>> unwire = (id, nets) -> nets.keySet().forEach(net -> {
      ContainerInfo c = byId.get(id);
      if (c == null) {
        nets.remove(net); // removed with its container
      } else if (!want.getOrDefault(id, Map.of()).containsKey(net) && observed.isNodeReady(c.nodeId())) {
        calls.add("disconnect " + c.name() + " from " + net);
        disconnect(c, net);
      }
    });
    if (full) {
      joined.forEach(unwire);
      for (String id : List.copyOf(joined.keySet())) {
        joined.computeIfPresent(id, (k, nets) -> nets.isEmpty() && !byId.containsKey(k) ? null : nets);
      }
      lastReady.keySet().retainAll(specs.keySet());
      nameLeft.keySet().removeIf(id -> !byId.containsKey(id));
      removeUnused(want, byId, specs, byService);
      routes.report(specs.values(), specs, byService);
      nextFull = settings.time().now().plus(FULL_EVERY);
    } else {
      byId.keySet().forEach(id -> {
        ConcurrentHashMap<String, Set<String>> nets = joined.get(id);
        if (nets != null) {
          unwire.accept(id, nets);
        }
      });
      if (!removedIds.isEmpty()) { // a network may be unused now: that is judged from every container
        Map<String, List<ContainerInfo>> all = new TreeMap<>();
        Map<String, ContainerInfo> allById = new HashMap<>();
        everyContainer(all, allById);
        Map<String, Map<String, Set<String>>> wantAll = new HashMap<>();
        allById.forEach((id, c) -> wantAll.put(id, wanted.of(c)));
        removeUnused(wantAll, allById, specs, all);
      }
      reportTouching(look, specs);
    }
    if (!calls.isEmpty()) {
      LOG.debug("orchestrator {}: networks: {}", settings.ownerId(), calls);
    }
    return untilFull();
  }

  /** Every pass asks for the next full one (the queue keeps the earliest timer of a key: none sooner is lost). */
  private ReconcileResult untilFull() {
    Duration left = Duration.between(settings.time().now(), nextFull);
    return ReconcileResult.requeueAfter(left.isNegative() ? Duration.ZERO : left);
  }

  /** Every container observed, into {@code byService} and {@code byId}. */
  private void everyContainer(Map<String, List<ContainerInfo>> byService, Map<String, ContainerInfo> byId) {
    for (String service : observed.services()) {
      List<ContainerInfo> cs = observed.containersOf(service);
      byService.put(service, cs);
      cs.forEach(c -> byId.put(c.id(), c));
    }
  }

  /**
   * Reports the routes of the services with dependencies among or on the services in {@code look}, with the
   * containers of those services and their dependencies.
   */
  private void reportTouching(Set<String> look, Map<String, ServiceSpec> specs) {
    List<ServiceSpec> touched = new ArrayList<>();
    Map<String, List<ContainerInfo>> byService = new TreeMap<>();
    for (ServiceSpec spec : specs.values()) {
      if (!spec.dependencies().isEmpty() && (look.contains(spec.name())
          || spec.dependencies().stream().anyMatch(look::contains))) {
        touched.add(spec);
        byService.computeIfAbsent(spec.name(), observed::containersOf);
        spec.dependencies().forEach(d -> byService.computeIfAbsent(d, observed::containersOf));
      }
    }
    if (!touched.isEmpty()) {
      routes.report(touched, specs, byService);
    }
  }

  /** Takes every element out of {@code set}, into a set of this pass. */
  private static Set<String> drain(Set<String> set) {
    Set<String> out = new java.util.HashSet<>();
    for (java.util.Iterator<String> it = set.iterator(); it.hasNext(); ) {
      out.add(it.next());
      it.remove();
    }
    return out;
  }

  /**
   * What the specs, the ready replicas and the policies call for, container by container, for one pass: what it
   * works out for a service (its ready replicas, the destinations it may call) it works out once.
   */
  private final class Wanted {
    private final Map<String, ServiceSpec> specs;
    private final PolicyEvaluator ev = policies.get();
    private final Map<String, Set<String>> ready = new HashMap<>();
    private final Map<String, List<String>> callable = new HashMap<>();

    Wanted(Map<String, ServiceSpec> specs) {
      this.specs = specs;
    }

    /** Network to aliases: where container {@code c} should have a place, under which names. */
    Map<String, Set<String>> of(ContainerInfo c) {
      String service = ObservedState.serviceOf(c);
      String net = networkOf(service);
      Map<String, Set<String>> out = new HashMap<>(4);
      ServiceSpec own = specs.get(service);
      if (own != null && !own.container().ports().isEmpty()) {
        Set<String> names = ready.computeIfAbsent(service, k -> new java.util.HashSet<>(endpoints.readyNames(k)));
        // One an orchestrator adopted keeps the names it has until its probes judge it (after a restart it is
        // not ready until then, and its callers must not lose it meanwhile), unless it is leaving.
        ServiceRecord st = state.record(service).orElse(null);
        boolean leaving = st != null && (st.draining.containsKey(c.id()) || st.deleting.containsKey(c.id()));
        out.put(net, names.contains(c.name()) ? names(own, c)
            : observed.isAdoptedUnprobed(c.id()) && !leaving && joined.containsKey(c.id()) ? aliasesOf(c.id(), net)
            : Set.of());
      } else if (own == null && joined.getOrDefault(c.id(), new ConcurrentHashMap<>()).containsKey(net)) {
        out.put(net, Set.of()); // deleted: its replicas lose the name, not their connections
      }
      for (String d : callable.computeIfAbsent(service, this::destinations)) {
        out.put(d, Set.of());
      }
      return out;
    }

    /** The networks of the destinations the policies allow {@code caller} to call. */
    private List<String> destinations(String caller) {
      List<String> out = new ArrayList<>();
      for (ServiceSpec dest : specs.values()) {
        if (!dest.name().equals(caller) && !dest.container().ports().isEmpty() && allowed(ev, caller, dest)) {
          out.add(networkOf(dest.name()));
        }
      }
      return out;
    }
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
          waited(key);
          soon();
        }).exceptionally(e -> {
          LOG.debug("orchestrator {}: create network {} on {} failed, will retry: {}", settings.ownerId(), net, nodeId,
              Failures.describe(e));
          waited(key);
          keys.enqueueAfter(KEY, Duration.ofSeconds(2));
          return null;
        }).toCompletableFuture());
    made.whenComplete((v, e) -> creating.remove(key, made)); // outside computeIfAbsent: it may be done already
    return made;
  }

  /** Marks for the next pass the containers a pass found waiting for network {@code where} ({@code node/name}). */
  private void waited(String where) {
    Set<String> ids = waiting.remove(where);
    if (ids != null) {
      dirtyIds.addAll(ids);
    }
  }

  private CompletionStage<Void> connect(ContainerInfo c, String net, Set<String> aliases) {
    String key = c.id() + "/" + net;
    CompletableFuture<Void> mine = new CompletableFuture<>();
    CompletableFuture<Void> running = connecting.putIfAbsent(key, mine);
    if (running != null) {
      return running; // one change of a place at a time; a second caller (a create's join) waits for the first
    }
    Map<String, Set<String>> placesNow = joined.get(c.id());
    Set<String> had = placesNow == null ? Set.of() : placesNow.getOrDefault(net, Set.of()); // a new one: no name
    CompletionStage<Void> call = calls.callOnce(c.nodeId(), "connect " + c.name() + " to " + net,
        () -> runtime.connect(c.id(), net, aliases));
    call.handle((v, e) -> {
      dirtyIds.add(c.id()); // the next pass looks at its places again
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
      if (!had.isEmpty() && aliases.isEmpty() && called.contains(c.nodeId() + "/" + net)) {
        nameLeft.put(c.id(), settings.time().now());
      }
      soon(); // a drain may be waiting for this
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
      dirtyIds.add(c.id());
      if (e != null && !(Failures.rootCause(e) instanceof NoSuchContainerException)) {
        failed("disconnect " + c.name() + " from " + net, e);
        return;
      }
      Map<String, Set<String>> nets = joined.get(c.id());
      if (nets != null) {
        nets.remove(net);
      }
      soon();
    });
  }

  private void failed(String what, Throwable e) {
    LOG.debug("orchestrator {}: {} failed, will retry: {}", settings.ownerId(), what, Failures.describe(e));
    keys.enqueueAfter(KEY, Duration.ofSeconds(2));
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
