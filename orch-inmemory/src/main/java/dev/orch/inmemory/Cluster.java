package dev.orch.inmemory;

import dev.orch.api.runtime.ContainerConflictException;
import dev.orch.api.runtime.ContainerCreateRequest;
import dev.orch.api.runtime.ContainerInfo;
import dev.orch.api.runtime.ContainerListing;
import dev.orch.api.runtime.ContainerRuntimeException;
import dev.orch.api.runtime.LogBuffer;
import dev.orch.api.runtime.LogLine;
import dev.orch.api.runtime.LogOptions;
import dev.orch.api.runtime.LogStream;
import dev.orch.api.runtime.ContainerState;
import dev.orch.api.runtime.ExecResult;
import dev.orch.api.runtime.ImageNotFoundException;
import dev.orch.api.runtime.LabelSelector;
import dev.orch.api.runtime.NameInUseException;
import dev.orch.api.runtime.NetworkInfo;
import dev.orch.api.runtime.NoSuchContainerException;
import dev.orch.api.runtime.NoSuchNetworkException;
import dev.orch.api.runtime.NoSuchNodeException;
import dev.orch.api.runtime.NodeInfo;
import dev.orch.api.runtime.NodeNotReadyException;
import dev.orch.api.runtime.PortBinding;
import dev.orch.api.runtime.ProbeResult;
import dev.orch.api.runtime.RequestRefusedException;
import dev.orch.api.runtime.RuntimeEvent;
import dev.orch.api.runtime.RuntimeUnavailableException;
import dev.orch.api.runtime.VolumeInfo;
import dev.orch.api.spec.ContainerSpec;
import dev.orch.api.spec.PortSpec;
import dev.orch.api.spec.ProbeAction;
import dev.orch.api.spec.ProbeKind;
import dev.orch.api.spec.VolumeMount;
import dev.orch.api.time.ScheduledTask;
import dev.orch.api.time.TimeSource;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The simulated cluster: nodes, containers, volumes and their state machine. Every method holds this
 * object's monitor, the runtime's one lock; operations are O(1) in the number of containers except
 * listing (a scan) and losing a node (its containers). Events are published under the lock, so their
 * order is the order of the changes.
 */
final class Cluster {
  private static final Logger LOG = LoggerFactory.getLogger(Cluster.class);

  final String runtimeName;
  final TimeSource time;
  final EventDispatcher events;
  private final SplittableRandom rng;
  private final Map<String, ContainerBehavior> behaviors;
  /** Images a create cannot pull. */
  private final Set<String> missingImages;
  private final ContainerBehavior defaultBehavior;
  private final Map<String, SimNode> nodes = new LinkedHashMap<>();
  private final Map<String, SimContainer> containers = new LinkedHashMap<>();
  private final Map<String, String> idByName = new HashMap<>();
  private final long idBase;
  private long idCount;
  /** Set once by {@link #close()}; read under this object's monitor. */
  boolean closed;

  Cluster(String runtimeName, TimeSource time, long seed, Map<String, ContainerBehavior> behaviors,
          ContainerBehavior defaultBehavior, List<NodeSpec> nodeSpecs, Set<String> missingImages) {
    this.missingImages = Set.copyOf(missingImages);
    this.runtimeName = runtimeName;
    this.time = time;
    this.events = new EventDispatcher(time);
    this.rng = new SplittableRandom(seed);
    this.idBase = seed;
    this.behaviors = Map.copyOf(behaviors);
    this.defaultBehavior = defaultBehavior;
    for (NodeSpec n : nodeSpecs) {
      nodes.put(n.id(), new SimNode(n));
    }
  }

  // ---------------------------------------------------------------- nodes

  synchronized List<NodeInfo> nodes() {
    List<NodeInfo> out = new ArrayList<>(nodes.size());
    for (SimNode n : nodes.values()) {
      out.add(n.info());
    }
    return out;
  }

  synchronized Optional<NodeInfo> node(String nodeId) {
    SimNode n = nodes.get(nodeId);
    return n == null ? Optional.empty() : Optional.of(n.info());
  }

  synchronized void addNode(NodeSpec spec) {
    if (nodes.containsKey(spec.id())) {
      throw new IllegalArgumentException("node id: \"" + spec.id() + "\": must be unique; it exists already");
    }
    nodes.put(spec.id(), new SimNode(spec));
    emit(new RuntimeEvent.NodeReady(time.now(), spec.id()));
  }

  synchronized void removeNode(String nodeId) {
    SimNode n = requireNode(nodeId);
    loseContainers(n, "node was removed");
    if (n.condition == SimNode.Condition.READY) {
      emit(new RuntimeEvent.NodeLost(time.now(), nodeId, "node was removed"));
    }
    nodes.remove(nodeId);
  }

  synchronized void failNode(String nodeId, String reason) {
    SimNode n = requireNode(nodeId);
    if (n.condition == SimNode.Condition.FAILED) {
      return;
    }
    boolean wasReady = n.condition == SimNode.Condition.READY;
    loseContainers(n, reason);
    n.condition = SimNode.Condition.FAILED;
    if (wasReady) {
      emit(new RuntimeEvent.NodeLost(time.now(), nodeId, reason));
    }
  }

  synchronized void recoverNode(String nodeId) {
    SimNode n = requireNode(nodeId);
    if (n.condition == SimNode.Condition.READY) {
      return;
    }
    if (n.condition == SimNode.Condition.UNREACHABLE) {
      throw new IllegalStateException(nodeId + ": cannot recover: the node is partitioned, not failed; "
          + "use healPartition");
    }
    n.condition = SimNode.Condition.READY;
    emit(new RuntimeEvent.NodeReady(time.now(), nodeId));
  }

  synchronized void partitionNode(String nodeId) {
    SimNode n = requireNode(nodeId);
    if (n.condition == SimNode.Condition.UNREACHABLE) {
      return;
    }
    if (n.condition == SimNode.Condition.FAILED) {
      throw new IllegalStateException(nodeId + ": cannot partition: the node has failed");
    }
    emit(new RuntimeEvent.NodeLost(time.now(), nodeId, "node is unreachable (network partition)"));
    n.condition = SimNode.Condition.UNREACHABLE;
  }

  synchronized void healPartition(String nodeId) {
    SimNode n = requireNode(nodeId);
    if (n.condition == SimNode.Condition.READY) {
      return;
    }
    if (n.condition == SimNode.Condition.FAILED) {
      throw new IllegalStateException(nodeId + ": cannot heal a partition: the node has failed; "
          + "use recoverNode");
    }
    n.condition = SimNode.Condition.READY;
    emit(new RuntimeEvent.NodeReady(time.now(), nodeId));
    for (RuntimeEvent e : n.heldEvents) {
      events.publish(e);
    }
    n.heldEvents.clear();
  }

  private void loseContainers(SimNode n, String reason) {
    for (String id : n.containerIds) {
      SimContainer c = containers.remove(id);
      c.log.removed();
      idByName.remove(c.name);
      SimRun run = c.run;
      if (run != null) {
        run.ended = true;
        run.cancelTasks();
        failWaiters(run, new RuntimeUnavailableException(n.id() + ": stop " + c.describe() + " failed: "
            + "node lost: " + reason));
      }
    }
    n.containerIds.clear();
    n.hostPorts.clear();
    n.heldEvents.clear();
  }

  private SimNode requireNode(String nodeId) {
    SimNode n = nodes.get(nodeId);
    if (n == null) {
      throw new NoSuchNodeException(runtimeName + ": no node \"" + nodeId + "\"; nodes are " + nodes.keySet());
    }
    return n;
  }

  // ---------------------------------------------------------------- containers

  /** The node of a container, or null when unknown: used to match faults before the call runs. */
  synchronized @Nullable String nodeOf(String containerId) {
    SimContainer c = containers.get(containerId);
    return c == null ? null : c.nodeId;
  }

  synchronized ContainerInfo create(ContainerCreateRequest req) {
    checkOpen("create", req.name());
    SimNode n = nodes.get(req.nodeId());
    if (n == null) {
      throw new NoSuchNodeException(req.nodeId() + ": create " + req.name() + " failed: no such node");
    }
    checkReachable(n, "create", req.name());
    String existing = idByName.get(req.name());
    if (existing != null) {
      throw new NameInUseException(req.name(), n.id() + ": create " + req.name() + " failed: the name is in use "
          + "by container " + existing);
    }
    ContainerSpec spec = req.spec();
    List<PortBinding> bindings = new ArrayList<>();
    for (PortSpec p : spec.ports()) {
      if (p.hostPort() != 0) {
        String holder = n.hostPorts.get(p.hostPort());
        if (holder != null) {
          throw new ContainerConflictException(n.id() + ": create " + req.name() + " failed: host port "
              + p.hostPort() + " is in use by container " + holder);
        }
        bindings.add(new PortBinding(p.name(), p.containerPort(), "127.0.0.1", p.hostPort()));
      }
    }
    if (missingImages.contains(spec.image())) {
      throw new ImageNotFoundException(spec.image(), n.id() + ": create " + req.name() + " failed: pull access "
          + "denied for " + spec.image() + ": repository does not exist or may require authorization");
    }
    ContainerBehavior behavior;
    try {
      behavior = behaviorFor(spec.image());
    } catch (IllegalArgumentException e) {
      throw new RequestRefusedException(n.id() + ": create " + req.name() + " failed: " + e.getMessage(), e);
    }
    String id = newId();
    SimContainer c = new SimContainer(id, req.name(), n.id(), spec, req.labels(), behavior,
        new SplittableRandom(rng.nextLong()), time.now(), bindings);
    containers.put(id, c);
    idByName.put(c.name, id);
    n.containerIds.add(id);
    for (PortBinding b : bindings) {
      n.hostPorts.put(b.hostPort(), id);
    }
    VolumeFiles.createMounted(n, spec, req.labels());
    emit(new RuntimeEvent.ContainerCreated(c.createdAt, n.id(), id, c.labels));
    return c.info();
  }

  private ContainerBehavior behaviorFor(String image) {
    ContainerBehavior b = behaviors.get(image);
    if (b != null) {
      return b;
    }
    Optional<ContainerBehavior> byConvention = Behaviors.fromImage(image);
    if (byConvention.isPresent()) {
      return byConvention.get();
    }
    int colon = image.lastIndexOf(':');
    if (colon > image.lastIndexOf('/')) {
      b = behaviors.get(image.substring(0, colon));
      if (b != null) {
        return b;
      }
    }
    return defaultBehavior;
  }

  /**
   * A random-looking id, unique by construction: the SplitMix64 finalizer is a bijection of 64-bit values,
   * applied to distinct inputs (the seed plus the count times an odd constant), so no id repeats and no
   * set of issued ids needs keeping.
   */
  private String newId() {
    long z = idBase + (idCount++) * 0x9E3779B97F4A7C15L;
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    z = z ^ (z >>> 31);
    String hex = Long.toHexString(z);
    return "0".repeat(16 - hex.length()) + hex;
  }

  synchronized void start(String id) {
    SimContainer c = require("start", id);
    if (c.state == ContainerState.RUNNING) {
      return;
    }
    c.state = ContainerState.RUNNING;
    c.log.started();
    c.exitCode = -1;
    c.oomKilled = false;
    c.startedAt = time.now();
    SimRun run = new SimRun(this, c, c.startedAt, time.nanoTime(), c.starts++);
    c.run = run;
    emit(new RuntimeEvent.ContainerStarted(c.startedAt, c.nodeId, c.id, c.labels));
    runBehavior(run, () -> c.behavior.onStart(run));
  }

  synchronized CompletableFuture<Void> stop(String id, Duration grace) {
    SimContainer c = require("stop", id);
    SimRun run = c.run;
    if (run == null) {
      return CompletableFuture.completedFuture(null);
    }
    if (!run.terminating) {
      run.terminating = true;
      runBehavior(run, () -> c.behavior.onSigterm(run));
      if (run.ended) {
        return CompletableFuture.completedFuture(null);
      }
    }
    // Each stop arms its own kill; the earliest one that fires ends the run, the others find it ended.
    Duration g = grace.isNegative() ? Duration.ZERO : grace;
    ScheduledTask[] killer = new ScheduledTask[1];
    killer[0] = time.schedule(g, () -> {
      synchronized (this) {
        run.tasks.remove(killer[0]);
        if (!run.ended) {
          c.log(LogLine.Source.STDERR, time.now(), "killed after the grace period of " + g);
          endRun(run, 137, false);
        }
      }
    });
    run.tasks.add(killer[0]);
    CompletableFuture<Void> done = new CompletableFuture<>();
    run.stopWaiters.add(done);
    return done;
  }

  synchronized void kill(String id) {
    SimContainer c = require("kill", id);
    if (c.run != null) {
      endRun(c.run, 137, false);
    }
  }

  synchronized boolean crash(String id, int exitCode) {
    if (exitCode < 0 || exitCode > 255) {
      throw new IllegalArgumentException("exitCode: " + exitCode + ": must be within 0..255");
    }
    SimContainer c = containers.get(id);
    if (c == null) {
      throw new NoSuchContainerException(runtimeName + ": crash " + id + " failed: no such container");
    }
    if (c.run == null) {
      return false;
    }
    c.log(LogLine.Source.STDERR, time.now(), "crashed with code " + exitCode + " (injected)");
    endRun(c.run, exitCode, false);
    return true;
  }

  synchronized void remove(String id) {
    SimContainer c = require("remove", id);
    if (c.run != null) {
      endRun(c.run, 137, false);
    }
    containers.remove(id);
    c.log.removed();
    idByName.remove(c.name);
    SimNode n = nodes.get(c.nodeId);
    n.containerIds.remove(id);
    n.networks.values().forEach(net -> net.members.remove(id));
    for (PortBinding b : c.ports) {
      n.hostPorts.remove(b.hostPort());
    }
    emit(new RuntimeEvent.ContainerRemoved(time.now(), c.nodeId, id, c.labels));
  }

  synchronized ContainerInfo inspect(String id) {
    return require("inspect", id).info();
  }

  synchronized List<ContainerInfo> list(LabelSelector selector) {
    return listing(selector).containers();
  }

  /** The matching containers of the ready nodes, and the nodes that are not ready (they do not answer). */
  synchronized ContainerListing listing(LabelSelector selector) {
    checkOpen("list", "containers");
    List<ContainerInfo> out = new ArrayList<>();
    for (SimContainer c : containers.values()) {
      if (selector.matches(c.labels) && nodes.get(c.nodeId).condition == SimNode.Condition.READY) {
        out.add(c.info());
      }
    }
    Set<String> unanswered = new TreeSet<>();
    nodes.values().forEach(n -> {
      if (n.condition != SimNode.Condition.READY) {
        unanswered.add(n.id());
      }
    });
    return new ContainerListing(out, unanswered);
  }

  synchronized Optional<ContainerProcess> process(String id) {
    SimContainer c = containers.get(id);
    if (c == null) {
      throw new NoSuchContainerException(runtimeName + ": process " + id + " failed: no such container");
    }
    return Optional.ofNullable(c.run);
  }

  synchronized List<ContainerInfo> allContainers() {
    List<ContainerInfo> out = new ArrayList<>(containers.size());
    for (SimContainer c : containers.values()) {
      out.add(c.info());
    }
    return out;
  }

  synchronized List<VolumeInfo> allVolumes() {
    List<VolumeInfo> out = new ArrayList<>();
    for (SimNode n : nodes.values()) {
      n.volumes.values().forEach(v -> out.add(v.info()));
    }
    return out;
  }

  synchronized int containerCount() {
    return containers.size();
  }

  synchronized ExecResult exec(String id, List<String> command) {
    SimContainer c = require("exec", id);
    SimRun run = requireRunning(c, "exec");
    try {
      return c.behavior.exec(run, command);
    } catch (RuntimeException e) {
      throw new ContainerRuntimeException(c.nodeId + ": exec " + c.describe() + " failed: the behavior threw "
          + e, e);
    }
  }

  synchronized List<String> logs(String id, int tailLines) {
    if (tailLines < 0) {
      throw new IllegalArgumentException("tailLines: " + tailLines + ": must be >= 0");
    }
    return require("logs", id).tail(tailLines);
  }

  /** A reader of container {@code id}'s log; a container that does not exist gives one that has ended. */
  synchronized LogStream streamLogs(String id, LogOptions options) {
    SimContainer c = containers.get(id);
    if (c == null) {
      return LogBuffer.failed(options, new NoSuchContainerException(runtimeName + ": logs of " + id
          + " failed: no such container"));
    }
    return c.log.open(options);
  }

  synchronized ProbeResult probe(String id, ProbeKind kind, ProbeAction action) {
    SimContainer c = containers.get(id);
    if (c == null) {
      throw new NoSuchContainerException(runtimeName + ": probe " + id + " failed: no such container");
    }
    if (nodes.get(c.nodeId).condition != SimNode.Condition.READY) {
      return ProbeResult.failed(c.nodeId + ": node is unreachable");
    }
    if (c.run == null) {
      return ProbeResult.failed("container is not running");
    }
    if (action instanceof ProbeAction.HttpGet h && h.port().resolve(c.spec) < 0
        || action instanceof ProbeAction.TcpSocket t && t.port().resolve(c.spec) < 0) {
      return ProbeResult.failed("connection refused: no port named " + portOf(action));
    }
    try {
      return c.behavior.probe(c.run, kind, action);
    } catch (RuntimeException e) {
      return ProbeResult.failed("probe failed: the behavior threw " + e);
    }
  }

  private static String portOf(ProbeAction action) {
    return action instanceof ProbeAction.HttpGet h ? h.port().toString()
        : ((ProbeAction.TcpSocket) action).port().toString();
  }

  /** Ends a run: cancels its tasks, records the exit, publishes the events, releases stop callers. */
  void endRun(SimRun run, int exitCode, boolean oom) {
    if (run.ended) {
      return;
    }
    run.ended = true;
    run.cancelTasks();
    SimContainer c = run.container;
    c.run = null;
    c.state = ContainerState.EXITED;
    c.log.stopped();
    c.exitCode = exitCode;
    c.oomKilled = oom;
    c.finishedAt = time.now();
    if (oom) {
      emit(new RuntimeEvent.ContainerOomKilled(c.finishedAt, c.nodeId, c.id, c.labels));
    }
    emit(new RuntimeEvent.ContainerExited(c.finishedAt, c.nodeId, c.id, c.labels, exitCode, oom));
    if (!run.stopWaiters.isEmpty()) {
      List<CompletableFuture<Void>> waiters = List.copyOf(run.stopWaiters);
      run.stopWaiters.clear();
      // Completed through the time source, so callers' continuations never run under this lock.
      time.schedule(Duration.ZERO, () -> waiters.forEach(w -> w.complete(null)));
    }
  }

  private void failWaiters(SimRun run, RuntimeException e) {
    if (!run.stopWaiters.isEmpty()) {
      List<CompletableFuture<Void>> waiters = List.copyOf(run.stopWaiters);
      run.stopWaiters.clear();
      time.schedule(Duration.ZERO, () -> waiters.forEach(w -> w.completeExceptionally(e)));
    }
  }

  /** Runs behaviour code for a run; code that throws crashes the container with exit code 1. */
  void runBehavior(SimRun run, Runnable code) {
    try {
      code.run();
    } catch (RuntimeException e) {
      LOG.warn("{}: behavior {} failed; the container crashes with exit code 1", run.container.describe(),
          run.container.behavior, e);
      run.container.log(LogLine.Source.STDERR, time.now(), "behavior failed: " + e);
      endRun(run, 1, false);
    }
  }

  private SimContainer require(String op, String id) {
    checkOpen(op, id);
    SimContainer c = containers.get(id);
    if (c == null) {
      throw new NoSuchContainerException(runtimeName + ": " + op + " " + id + " failed: no such container");
    }
    checkReachable(nodes.get(c.nodeId), op, c.describe());
    return c;
  }

  private SimRun requireRunning(SimContainer c, String op) {
    if (c.run == null) {
      throw new ContainerConflictException(c.nodeId + ": " + op + " " + c.describe() + " failed: container is "
          + "not running");
    }
    return c.run;
  }

  private void checkReachable(SimNode n, String op, String subject) {
    if (n.condition == SimNode.Condition.FAILED) {
      throw new NodeNotReadyException(n.id() + ": " + op + " " + subject + " failed: node is not ready");
    }
    if (n.condition == SimNode.Condition.UNREACHABLE) {
      throw new RuntimeUnavailableException(n.id() + ": " + op + " " + subject + " failed: node is unreachable");
    }
  }

  private void checkOpen(String op, String subject) {
    if (closed) {
      throw new RuntimeUnavailableException(runtimeName + ": " + op + " " + subject + " failed: the runtime is "
          + "closed");
    }
  }

  private void emit(RuntimeEvent e) {
    SimNode n = nodes.get(e.nodeId());
    if (n != null && n.condition == SimNode.Condition.UNREACHABLE && e instanceof RuntimeEvent.ContainerEvent) {
      n.heldEvents.add(e);
    } else {
      events.publish(e);
    }
  }

  // ---------------------------------------------------------------- volumes

  synchronized VolumeInfo createVolume(String nodeId, String name, Map<String, String> labels) {
    checkOpen("create volume", name);
    SimNode n = nodes.get(nodeId);
    if (n == null) {
      throw new NoSuchNodeException(nodeId + ": create volume " + name + " failed: no such node");
    }
    checkReachable(n, "create volume", name);
    return n.volumes.computeIfAbsent(name, k -> new SimVolume(name, nodeId, labels)).info();
  }

  synchronized void removeVolume(String nodeId, String name) {
    checkOpen("remove volume", name);
    SimNode n = nodes.get(nodeId);
    if (n == null) {
      throw new NoSuchNodeException(nodeId + ": remove volume " + name + " failed: no such node");
    }
    checkReachable(n, "remove volume", name);
    if (!n.volumes.containsKey(name)) {
      return;
    }
    for (String id : n.containerIds) {
      SimContainer c = containers.get(id);
      for (VolumeMount m : c.spec.volumeMounts()) {
        if (m.volume().equals(name)) {
          throw new ContainerConflictException(nodeId + ": remove volume " + name + " failed: it is in use by "
              + "container " + c.describe());
        }
      }
    }
    n.volumes.remove(name);
  }

  /** Copies volume {@code name} from one node to another, files and labels; the copy replaces one there. */
  synchronized VolumeInfo copyVolume(String fromNode, String name, String toNode) {
    checkOpen("copy volume", name);
    SimNode from = requireNode(fromNode);
    SimNode to = requireNode(toNode);
    checkReachable(from, "copy volume", name);
    checkReachable(to, "copy volume", name);
    SimVolume source = from.volumes.get(name);
    if (source == null) {
      throw new ContainerRuntimeException(fromNode + ": copy volume " + name + " failed: no such volume");
    }
    if (from == to) {
      throw new IllegalArgumentException("copy volume " + name + ": toNode: \"" + toNode + "\": must differ from "
          + "fromNode");
    }
    for (String id : to.containerIds) {
      for (VolumeMount m : containers.get(id).spec.volumeMounts()) {
        if (m.volume().equals(name)) {
          throw new ContainerConflictException(toNode + ": copy volume " + name + " failed: it is in use there by "
              + "container " + containers.get(id).describe());
        }
      }
    }
    SimVolume copy = new SimVolume(name, toNode, source.labels);
    copy.files.putAll(source.files);
    to.volumes.put(name, copy);
    return copy.info();
  }

  synchronized List<VolumeInfo> listVolumes(LabelSelector selector) {
    checkOpen("list", "volumes");
    List<VolumeInfo> out = new ArrayList<>();
    for (SimNode n : nodes.values()) {
      if (n.condition == SimNode.Condition.READY) {
        for (SimVolume v : n.volumes.values()) {
          if (selector.matches(v.labels)) {
            out.add(v.info());
          }
        }
      }
    }
    return out;
  }

  // ---------------------------------------------------------------- requests

  /** What serving a request came to: the run that answered and its response, or why it could not connect. */
  record Served(@Nullable SimRun run, @Nullable SimResponse response, java.io.@Nullable IOException error) {
  }

  private final List<RequestInterceptor> interceptors = new java.util.concurrent.CopyOnWriteArrayList<>();

  /** Registers {@code interceptor}; closing the subscription removes it. */
  dev.orch.api.runtime.Subscription intercept(RequestInterceptor interceptor) {
    interceptors.add(interceptor);
    return () -> interceptors.remove(interceptor);
  }

  /**
   * Serves {@code request} to the container at {@code address}:{@code port}: a container name (or id) and one
   * of its container ports, as the endpoints list them, or a host address and a published host port.
   */
  synchronized Served serve(String address, int port, SimRequest request) {
    String where = address + ":" + port;
    SimContainer c = containerAt(address, port);
    if (c == null) {
      return new Served(null, null, new java.net.UnknownHostException(where + ": no container answers there"));
    }
    return deliver(c, where, port, request);
  }

  /**
   * Serves {@code request} from container {@code callerId} to {@code address}:{@code port} as the network
   * between containers carries it: {@code address} is a name (a network alias) or a container name or id on a
   * network the caller is connected to, a name standing for several containers going to each in turn (as an
   * engine's DNS rotates its answers), and the connection filters decide before the container sees it.
   */
  synchronized Served serveFrom(String callerId, String address, int port, SimRequest request) {
    String where = address + ":" + port;
    SimContainer from = containers.get(callerId);
    if (from == null || from.run == null) {
      return new Served(null, null, new java.net.SocketException(where + ": the caller " + callerId
          + " is not running"));
    }
    List<SimContainer> behind = reachable(from, address);
    if (behind.isEmpty()) {
      SimContainer direct = containerAt(address, port);
      return new Served(null, null, direct != null
          ? new java.net.SocketTimeoutException(where + ": connect timed out (no network joins " + from.name + " and "
              + direct.name + ")")
          : new java.net.UnknownHostException(address + ": bad address (no container or name on the networks of "
              + from.name + ")"));
    }
    int turn = turns.merge(from.nodeId + "/" + address, 1, Integer::sum);
    SimContainer c = behind.get(Math.floorMod(turn - 1, behind.size()));
    for (dev.orch.api.runtime.ConnectionFilter f : filters) {
      String why = f.refusal(from.labels, c.labels, port, "tcp");
      if (why != null) {
        return new Served(null, null, new java.net.SocketTimeoutException(where + ": connect timed out (dropped: "
            + why + ")"));
      }
    }
    String service = from.labels.get(dev.orch.api.runtime.OrchLabels.SERVICE);
    return deliver(c, where, port, service == null || !request.caller().isEmpty() ? request : request.from(service));
  }

  /** The containers {@code address} names on the networks {@code from} is connected to, in a stable order. */
  private List<SimContainer> reachable(SimContainer from, String address) {
    List<SimContainer> out = new ArrayList<>();
    for (SimNetwork net : nodes.get(from.nodeId).networks.values()) {
      if (!net.members.containsKey(from.id)) {
        continue;
      }
      net.members.forEach((id, aliases) -> {
        SimContainer c = containers.get(id);
        if (c != null && !out.contains(c) && (aliases.contains(address) || c.name.equals(address)
            || c.id.equals(address))) {
          out.add(c);
        }
      });
    }
    return out;
  }

  private final Map<String, Integer> turns = new java.util.HashMap<>();
  /** How a container's process calls out ({@link InMemoryRuntime#callFrom}); set by the runtime. */
  volatile @Nullable InContainerCalls caller;

  /** A call made from inside a container. */
  @FunctionalInterface
  interface InContainerCalls {
    java.util.concurrent.CompletionStage<SimResponse> call(String callerId, String address, int port,
                                                          SimRequest request);
  }
  private final List<dev.orch.api.runtime.ConnectionFilter> filters = new java.util.concurrent.CopyOnWriteArrayList<>();

  /** Registers {@code filter} for connections between containers; closing the subscription removes it. */
  dev.orch.api.runtime.Subscription filter(dev.orch.api.runtime.ConnectionFilter filter) {
    filters.add(filter);
    return () -> filters.remove(filter);
  }

  private Served deliver(SimContainer c, String where, int port, SimRequest request) {
    SimNode n = nodes.get(c.nodeId);
    if (n.condition != SimNode.Condition.READY) {
      return new Served(null, null, new java.net.NoRouteToHostException(where + ": no route to host (node "
          + c.nodeId + " is " + n.condition.toString().toLowerCase(java.util.Locale.ROOT) + ")"));
    }
    if (c.run == null) {
      return new Served(null, null, new java.net.ConnectException(where + ": connection refused (" + c.name
          + " is not running)"));
    }
    boolean listens = c.spec.ports().stream().anyMatch(p -> p.containerPort() == port)
        || c.ports.stream().anyMatch(b -> b.hostPort() == port);
    if (!listens) {
      return new Served(null, null, new java.net.ConnectException(where + ": connection refused (" + c.name
          + " has no port " + port + ")"));
    }
    ContainerInfo target = c.info();
    for (RequestInterceptor i : interceptors) {
      Optional<String> why = i.refuse(request, target);
      if (why.isPresent()) {
        return new Served(null, null, new java.net.ConnectException(where + ": connection refused: " + why.get()));
      }
    }
    SimResponse r;
    try {
      r = c.behavior.serve(c.run, request);
    } catch (RuntimeException e) {
      r = new SimResponse(500, "the behavior threw " + e, java.time.Duration.ZERO);
    }
    return new Served(c.run, r, null);
  }

  /** Whether a container (or a published host port) answers to {@code address}:{@code port}. */
  synchronized boolean answersTo(String address, int port) {
    return containerAt(address, port) != null;
  }

  private @Nullable SimContainer containerAt(String address, int port) {
    String id = idByName.get(address);
    if (id == null && containers.containsKey(address)) {
      id = address;
    }
    if (id != null) {
      return containers.get(id);
    }
    for (SimContainer c : containers.values()) {
      for (PortBinding b : c.ports) {
        if (b.hostPort() == port && b.hostAddress().equals(address)) {
          return c;
        }
      }
    }
    return null;
  }

  /** Whether {@code run} still runs, on a node that answers: a response due now may be delivered. */
  synchronized boolean answers(SimRun run) {
    return !run.ended && run.container.run == run && nodes.get(run.container.nodeId).condition == SimNode.Condition.READY;
  }

  // ---------------------------------------------------------------- networks

  synchronized NetworkInfo createNetwork(String nodeId, String name, Map<String, String> labels) {
    checkOpen("create network", name);
    SimNode n = nodes.get(nodeId);
    if (n == null) {
      throw new NoSuchNodeException(nodeId + ": create network " + name + " failed: no such node");
    }
    checkReachable(n, "create network", name);
    return n.networks.computeIfAbsent(name, k -> new SimNetwork(name, nodeId, labels)).info();
  }

  synchronized void removeNetwork(String nodeId, String name) {
    checkOpen("remove network", name);
    SimNode n = nodes.get(nodeId);
    if (n == null) {
      throw new NoSuchNodeException(nodeId + ": remove network " + name + " failed: no such node");
    }
    checkReachable(n, "remove network", name);
    SimNetwork net = n.networks.get(name);
    if (net == null) {
      return;
    }
    if (!net.members.isEmpty()) {
      throw new ContainerConflictException(nodeId + ": remove network " + name + " failed: containers "
          + net.members.keySet() + " are connected to it");
    }
    n.networks.remove(name);
  }

  synchronized List<NetworkInfo> listNetworks(LabelSelector selector) {
    checkOpen("list", "networks");
    List<NetworkInfo> out = new ArrayList<>();
    for (SimNode n : nodes.values()) {
      if (n.condition == SimNode.Condition.READY) {
        for (SimNetwork net : n.networks.values()) {
          if (selector.matches(net.labels)) {
            out.add(net.info());
          }
        }
      }
    }
    return out;
  }

  synchronized void connect(String id, String network, Set<String> aliases) {
    SimContainer c = require("connect", id);
    SimNetwork net = nodes.get(c.nodeId).networks.get(network);
    if (net == null) {
      throw new NoSuchNetworkException(c.nodeId + ": connect " + c.describe() + " failed: no network " + network
          + " on " + c.nodeId);
    }
    net.members.put(id, Set.copyOf(aliases)); // other aliases replace the old; its connections stay
  }

  synchronized void disconnect(String id, String network) {
    SimContainer c = require("disconnect", id);
    SimNetwork net = nodes.get(c.nodeId).networks.get(network);
    if (net != null) {
      net.members.remove(id);
    }
  }

  /** What container {@code id}'s current run has used (nothing when it does not run). */
  synchronized dev.orch.api.runtime.ContainerUsage usage(String id) {
    SimContainer c = require("usage", id);
    SimRun run = c.run;
    return new dev.orch.api.runtime.ContainerUsage(c.id, run == null ? java.time.Duration.ZERO
        : java.time.Duration.ofNanos(run.cpuNanos), run == null ? 0 : run.memoryUsage, time.now());
  }

  /** The networks container {@code id} is connected to, by name, with its aliases on each. */
  synchronized Map<String, Set<String>> networksOf(String id) {
    SimContainer c = require("networks", id);
    Map<String, Set<String>> out = new java.util.LinkedHashMap<>();
    nodes.get(c.nodeId).networks.values().forEach(net -> {
      Set<String> aliases = net.members.get(id);
      if (aliases != null) {
        out.put(net.name, aliases);
      }
    });
    return out;
  }

  synchronized Map<String, String> volumeFiles(String nodeId, String volume) {
    return Map.copyOf(requireVolume(nodeId, volume).files);
  }

  synchronized Optional<String> readVolumeFile(String nodeId, String volume, String path) {
    return Optional.ofNullable(requireVolume(nodeId, volume).files.get(VolumeFiles.relative(path)));
  }

  synchronized void writeVolumeFile(String nodeId, String volume, String path, String content) {
    requireVolume(nodeId, volume).files.put(VolumeFiles.relative(path), java.util.Objects.requireNonNull(content, "content"));
  }

  private SimVolume requireVolume(String nodeId, String volume) {
    SimVolume v = requireNode(nodeId).volumes.get(volume);
    if (v == null) {
      throw new IllegalArgumentException("volume: \"" + volume + "\": no such volume on node " + nodeId);
    }
    return v;
  }

  Optional<String> readFile(SimContainer c, String path) {
    return VolumeFiles.read(nodes.get(c.nodeId), c, path);
  }

  void writeFile(SimContainer c, String path, String content) {
    VolumeFiles.write(nodes.get(c.nodeId), c, path, content);
  }

  // ---------------------------------------------------------------- lifecycle

  synchronized boolean isClosed() {
    return closed;
  }

  synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    for (SimContainer c : containers.values()) {
      if (c.run != null) {
        c.run.cancelTasks();
        c.run.stopWaiters.forEach(w -> w.completeExceptionally(new RuntimeUnavailableException(
            runtimeName + ": stop " + c.describe() + " failed: the runtime was closed")));
        c.run.stopWaiters.clear();
      }
    }
    events.close();
  }
}
