package dev.orch.inmemory;

import dev.orch.api.runtime.ContainerCreateRequest;
import dev.orch.api.runtime.ContainerInfo;
import dev.orch.api.runtime.ContainerListing;
import dev.orch.api.runtime.ContainerRuntime;
import dev.orch.api.runtime.ExecResult;
import dev.orch.api.runtime.LabelSelector;
import dev.orch.api.runtime.LogOptions;
import dev.orch.api.runtime.LogStream;
import dev.orch.api.runtime.NetworkInfo;
import dev.orch.api.runtime.NoSuchContainerException;
import dev.orch.api.runtime.NoSuchNodeException;
import dev.orch.api.runtime.NodeInfo;
import dev.orch.api.runtime.ProbeResult;
import dev.orch.api.runtime.ProbeTransport;
import dev.orch.api.runtime.RuntimeCapability;
import dev.orch.api.runtime.RuntimeEvent;
import dev.orch.api.runtime.RuntimeListener;
import dev.orch.api.runtime.RequestRefusedException;
import dev.orch.api.runtime.RuntimeUnavailableException;
import dev.orch.api.runtime.Subscription;
import dev.orch.api.runtime.VolumeInfo;
import dev.orch.api.spec.ProbeAction;
import dev.orch.api.spec.ProbeKind;
import dev.orch.api.spec.Resources;
import dev.orch.api.time.TimeSource;
import dev.orch.api.time.VirtualTimeSource;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A {@link ContainerRuntime} held in memory: simulated nodes with capacity, labels and taints; containers
 * whose image maps to a scriptable {@link ContainerBehavior}; fault injection; real or virtual time.
 * It has every capability of the SPI, networks among them (node-local, with names resolved by the request model).
 *
 * <pre>{@code
 * VirtualTimeSource clock = new VirtualTimeSource();
 * InMemoryRuntime rt = InMemoryRuntime.builder()
 *     .nodes(3, Resources.of("4", "8Gi"))                 // node-1 .. node-3
 *     .timeSource(clock).seed(42)
 *     .behavior("orders:1.4", Behaviors.slowStart(Duration.ofSeconds(5)))
 *     .build();
 * rt.subscribe(events::add);
 * ContainerInfo c = rt.create(new ContainerCreateRequest("orders-0", "node-1", spec, labels))
 *     .toCompletableFuture().join();
 * rt.start(c.id());
 * clock.advance(Duration.ofSeconds(1));                  // behaviours and events move with the clock
 * rt.failNode("node-1");                                 // NodeLost; its containers are gone
 * }</pre>
 *
 * <p><b>Time.</b> Every delay, behaviour step and event delivery goes through the one {@link TimeSource}:
 * {@link TimeSource#system()} by default (owned and closed by {@link #close()}), or one passed to the
 * builder (not closed by this runtime). With a {@link VirtualTimeSource} nothing happens until the test
 * advances the clock, and a run with a given seed and the same calls repeats exactly.
 *
 * <p><b>Calls.</b> Without latency (the default) a call's stage is complete when the call returns, except
 * {@code stop}, which completes when the process ends. Listeners are still called asynchronously, through
 * the time source, one event at a time, in the order the changes happened (so in order per container).
 *
 * <p><b>Scale.</b> No thread per container: a container is a few objects in maps keyed by id, and a run
 * costs one timer at most for the built-in behaviours; 10,000 containers over 1,000 nodes is an ordinary
 * load. Listing scans the containers.
 *
 * <p>Thread-safe: any thread may call any method. State changes hold one lock, under which behaviour
 * callbacks also run.
 */
public final class InMemoryRuntime implements ContainerRuntime {
  private static final Logger LOG = LoggerFactory.getLogger(InMemoryRuntime.class);
  private static final Set<RuntimeCapability> CAPABILITIES = Collections.unmodifiableSet(EnumSet.of(
      RuntimeCapability.EXEC, RuntimeCapability.LOGS, RuntimeCapability.LOG_STREAM, RuntimeCapability.VOLUMES, RuntimeCapability.VOLUME_COPY, RuntimeCapability.NETWORKS,
      RuntimeCapability.CONNECTION_FILTER, RuntimeCapability.USAGE_STATS, RuntimeCapability.RESOURCE_LIMITS, RuntimeCapability.HOST_PORTS, RuntimeCapability.PROBE_TRANSPORT));

  private final String name;
  private final TimeSource time;
  private final boolean ownsTime;
  private final Cluster cluster;
  private final Names names = new Names();
  private final FaultInjector faults;
  private final ProbeTransport probeTransport = this::probe;

  private InMemoryRuntime(Builder b) {
    this.name = b.name;
    this.ownsTime = b.timeSource == null;
    this.time = ownsTime ? TimeSource.system() : b.timeSource;
    this.cluster = new Cluster(name, time, b.seed, b.behaviors, b.defaultBehavior, new ArrayList<>(b.nodes.values()),
        b.missingImages);
    this.cluster.caller = this::callFrom;
    this.faults = new FaultInjector(time, b.callLatency);
    LOG.debug("{}: started with {} nodes, seed {}, {} time", name, b.nodes.size(), b.seed,
        ownsTime ? "system" : time.getClass().getSimpleName());
  }

  /** Starts a builder: no nodes, system time, seed 0, no registered behaviours. */
  public static Builder builder() {
    return new Builder();
  }

  // ================================================================ the SPI

  /** {@inheritDoc} Default {@code in-memory}. */
  @Override
  public String name() {
    return name;
  }

  /** Every capability. */
  @Override
  public Set<RuntimeCapability> capabilities() {
    return CAPABILITIES;
  }

  @Override
  public CompletionStage<List<NodeInfo>> nodes() {
    return call(RuntimeOperation.NODES, null, "", cluster::nodes);
  }

  /**
   * {@inheritDoc} The image's behaviour is chosen here: a registered one, else an image-name convention
   * ({@link Behaviors#fromImage}), else the registered one for the image without its tag, else the
   * default. The spec's mounted volumes are created on the node if missing. Host ports that clash on the
   * node fail with {@link dev.orch.api.runtime.ContainerConflictException}; capacity is not enforced.
   */
  @Override
  public CompletionStage<ContainerInfo> create(ContainerCreateRequest request) {
    Objects.requireNonNull(request, "request");
    return call(RuntimeOperation.CREATE, request.nodeId(), request.name(), () -> cluster.create(request));
  }

  @Override
  public CompletionStage<Void> start(String containerId) {
    return onContainer(RuntimeOperation.START, containerId, () -> {
      cluster.start(containerId);
      return null;
    });
  }

  /**
   * {@inheritDoc} The behaviour's {@link ContainerBehavior#onSigterm} runs at once; if the process has not
   * ended when {@code grace} has passed on the time source, it is killed (exit code 137).
   */
  @Override
  public CompletionStage<Void> stop(String containerId, Duration grace) {
    Objects.requireNonNull(containerId, "containerId");
    Objects.requireNonNull(grace, "grace");
    return callAsync(RuntimeOperation.STOP, cluster.nodeOf(containerId), containerId,
        () -> cluster.stop(containerId, grace));
  }

  /** {@inheritDoc} The process exits with code 137. */
  @Override
  public CompletionStage<Void> kill(String containerId) {
    return onContainer(RuntimeOperation.KILL, containerId, () -> {
      cluster.kill(containerId);
      return null;
    });
  }

  @Override
  public CompletionStage<Void> remove(String containerId) {
    return onContainer(RuntimeOperation.REMOVE, containerId, () -> {
      cluster.remove(containerId);
      return null;
    });
  }

  @Override
  public CompletionStage<ContainerInfo> inspect(String containerId) {
    return onContainer(RuntimeOperation.INSPECT, containerId, () -> cluster.inspect(containerId));
  }

  /** {@inheritDoc} Containers on failed or partitioned nodes are not listed. */
  @Override
  public CompletionStage<List<ContainerInfo>> list(LabelSelector selector) {
    Objects.requireNonNull(selector, "selector");
    return call(RuntimeOperation.LIST, null, "containers", () -> cluster.list(selector));
  }

  /** {@inheritDoc} Failed and partitioned nodes are the ones that did not answer. */
  @Override
  public CompletionStage<ContainerListing> listing(LabelSelector selector) {
    Objects.requireNonNull(selector, "selector");
    return call(RuntimeOperation.LIST, null, "containers", () -> cluster.listing(selector));
  }

  /**
   * {@inheritDoc} Listeners are called on the time source's thread (with virtual time: the thread that
   * advances it). Events of containers on a partitioned node are held and delivered when it heals.
   */
  @Override
  public Subscription subscribe(RuntimeListener listener) {
    return cluster.events.subscribe(Objects.requireNonNull(listener, "listener"));
  }

  /**
   * {@inheritDoc} Answered by the image's {@link ContainerBehavior#exec}; fails with
   * {@link dev.orch.api.runtime.ContainerConflictException} when the container does not run. The timeout
   * is not needed: behaviours answer at once.
   */
  @Override
  public CompletionStage<ExecResult> exec(String containerId, List<String> command, Duration timeout) {
    Objects.requireNonNull(command, "command");
    Objects.requireNonNull(timeout, "timeout");
    List<String> cmd = List.copyOf(command);
    return onContainer(RuntimeOperation.EXEC, containerId, () -> cluster.exec(containerId, cmd));
  }

  /** {@inheritDoc} A container keeps its last 1,000 lines, across restarts. */
  @Override
  public CompletionStage<List<String>> logs(String containerId, int tailLines) {
    return onContainer(RuntimeOperation.LOGS, containerId, () -> cluster.logs(containerId, tailLines));
  }

  /**
   * {@inheritDoc} In memory a container's log is its last 1,000 lines (kept after it exits, until it is removed),
   * and a stream is a cursor over them: the container never waits for a reader, whatever the overflow policy, and
   * the lines a slow reader falls behind by (past the 1,000 kept, or past {@code bufferLines} with
   * {@code DROP_OLDEST}) are counted as dropped. Lines carry the time source's time; waiting in {@code poll} is in
   * real time. An injected fault on {@link RuntimeOperation#LOGS} that fails the call ends the stream at once with
   * its error; an injected latency does not delay a stream.
   */
  @Override
  public LogStream streamLogs(String containerId, LogOptions options) {
    Objects.requireNonNull(containerId, "containerId");
    Objects.requireNonNull(options, "options");
    String nodeId = cluster.nodeOf(containerId);
    FaultInjector.Decision d = faults.decide(RuntimeOperation.LOGS, nodeId);
    if (d.failure() != null) { // the stream ends at once with the fault's error (a latency does not delay it)
      String message = (nodeId != null ? nodeId : name) + ": " + describe(RuntimeOperation.LOGS, containerId)
          + " failed: " + d.failure().message();
      return dev.orch.api.runtime.LogBuffer.failed(options, d.failure().isRefusing()
          ? new RequestRefusedException(message) : new RuntimeUnavailableException(message));
    }
    return cluster.streamLogs(containerId, options);
  }

  /**
   * Calls the simulated container at {@code address}:{@code port} as a client would over the network: a
   * container name (or id) and container port, as this runtime's endpoints list them (what a load balancer
   * hands out), a host address and a published host port, or a name a {@link NameResolver} knows (a service's
   * name, once Orch's discovery registers one; {@link #resolveNames}). The container's behaviour answers
   * ({@link ContainerBehavior#serve}), after the latency it says, on this runtime's time source. A call fails as
   * a real connection would: {@code UnknownHostException} for no such container, {@code ConnectException} when
   * it does not run, has no such port, or a {@link RequestInterceptor} refuses it, {@code NoRouteToHostException}
   * when its node is down or partitioned, and {@code SocketException} (connection reset) when it stops before its
   * answer is due. A replica that is draining (stopping, but not yet stopped) still answers.
   */
  public CompletionStage<SimResponse> call(String address, int port, SimRequest request) {
    Objects.requireNonNull(address, "address");
    Objects.requireNonNull(request, "request");
    if (cluster.isClosed()) {
      return CompletableFuture.failedFuture(new java.net.SocketException(address + ":" + port
          + ": the runtime is closed"));
    }
    String target = names.resolve(address, a -> cluster.answersTo(a, port));
    return answer(address, port, cluster.serve(target, port, request));
  }

  /**
   * Calls {@code address}:{@code port} from inside container {@code callerId}, as its process would (what
   * {@link ContainerProcess#call} does): {@code address} is a name on a network the caller is connected to (a
   * service's name, which Orch's discovery gives its ready replicas, or a stateful replica's
   * {@code name-<ordinal>}) or a container's name there; a name for several containers goes to each in turn.
   * Containers that share no network do not reach each other, and networks are node-local, so a name reaches
   * the containers of the caller's node only. A connection a {@link dev.orch.api.runtime.ConnectionFilter}
   * refuses (Orch's network policy) fails as a dropped one: {@code SocketTimeoutException}, with the reason. An
   * unknown name fails with {@code UnknownHostException}; the rest as {@link #call} says.
   */
  public CompletionStage<SimResponse> callFrom(String callerId, String address, int port, SimRequest request) {
    Objects.requireNonNull(callerId, "callerId");
    Objects.requireNonNull(address, "address");
    Objects.requireNonNull(request, "request");
    if (cluster.isClosed()) {
      return CompletableFuture.failedFuture(new java.net.SocketException(address + ":" + port
          + ": the runtime is closed"));
    }
    return answer(address, port, cluster.serveFrom(callerId, address, port, request));
  }

  /**
   * {@inheritDoc} The CPU time is what the requests its behaviour served cost ({@link RequestModel.Builder#cpuPerRequest}
   * and {@link ContainerProcess#useCpu}); the memory what the behaviour set ({@link ContainerProcess#useMemory}).
   */
  @Override
  public CompletionStage<dev.orch.api.runtime.ContainerUsage> usage(String containerId) {
    Objects.requireNonNull(containerId, "containerId");
    return onContainer(RuntimeOperation.INSPECT, containerId, () -> cluster.usage(containerId));
  }

  /**
   * {@inheritDoc} The filter sees every {@link #callFrom} (and {@link ContainerProcess#call}) between two
   * containers; calls from outside ({@link #call}) reach published ports and container endpoints as a host would,
   * unfiltered.
   */
  @Override
  public Subscription filterConnections(dev.orch.api.runtime.ConnectionFilter filter) {
    return cluster.filter(Objects.requireNonNull(filter, "filter"));
  }

  private CompletionStage<SimResponse> answer(String address, int port, Cluster.Served served) {
    if (served.error() != null) {
      return CompletableFuture.failedFuture(served.error());
    }
    CompletableFuture<SimResponse> answer = new CompletableFuture<>();
    Runnable deliver = () -> {
      if (cluster.answers(served.run())) {
        answer.complete(served.response());
      } else {
        answer.completeExceptionally(new java.net.SocketException(address + ":" + port
            + ": connection reset (the container stopped before it answered)"));
      }
    };
    if (served.response().latency().isZero()) {
      deliver.run();
    } else {
      time.schedule(served.response().latency(), deliver);
    }
    return answer;
  }

  /** {@code call(address, port, SimRequest.get(path))}. */
  public CompletionStage<SimResponse> get(String address, int port, String path) {
    Objects.requireNonNull(address, "address");
    Objects.requireNonNull(path, "path");
    return call(address, port, SimRequest.get(path));
  }

  /**
   * Lets {@code interceptor} see, and perhaps refuse, every request {@link #call} delivers from now on (a network
   * policy, say); closing the subscription ends it.
   */
  public Subscription interceptRequests(RequestInterceptor interceptor) {
    return cluster.intercept(Objects.requireNonNull(interceptor, "interceptor"));
  }

  /**
   * Lets {@code resolver} say which containers a name stands for: from now on a {@link #call} to an address no
   * container answers to goes, in turn, to the containers the first resolver that knows it names (a service's
   * ready replicas, when Orch's discovery registers it); closing the subscription ends it.
   */
  public Subscription resolveNames(NameResolver resolver) {
    return names.add(Objects.requireNonNull(resolver, "resolver"));
  }

  /** {@inheritDoc} Networks are node-local, as volumes are. */
  @Override
  public CompletionStage<NetworkInfo> createNetwork(String nodeId, String name, Map<String, String> labels) {
    Objects.requireNonNull(nodeId, "nodeId");
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(labels, "labels");
    Map<String, String> copy = Map.copyOf(labels);
    return call(RuntimeOperation.NETWORK, nodeId, "network " + name, () -> cluster.createNetwork(nodeId, name, copy));
  }

  @Override
  public CompletionStage<Void> removeNetwork(String nodeId, String name) {
    Objects.requireNonNull(nodeId, "nodeId");
    Objects.requireNonNull(name, "name");
    return call(RuntimeOperation.NETWORK, nodeId, "network " + name, () -> {
      cluster.removeNetwork(nodeId, name);
      return null;
    });
  }

  /** {@inheritDoc} Networks on failed or partitioned nodes are not listed. */
  @Override
  public CompletionStage<List<NetworkInfo>> listNetworks(LabelSelector selector) {
    Objects.requireNonNull(selector, "selector");
    return call(RuntimeOperation.NETWORK, null, "networks", () -> cluster.listNetworks(selector));
  }

  @Override
  public CompletionStage<Void> connect(String containerId, String network, Set<String> aliases) {
    Objects.requireNonNull(network, "network");
    Objects.requireNonNull(aliases, "aliases");
    Set<String> copy = Set.copyOf(aliases);
    return onContainer(RuntimeOperation.NETWORK, containerId, () -> {
      cluster.connect(containerId, network, copy);
      return null;
    });
  }

  @Override
  public CompletionStage<Void> disconnect(String containerId, String network) {
    Objects.requireNonNull(network, "network");
    return onContainer(RuntimeOperation.NETWORK, containerId, () -> {
      cluster.disconnect(containerId, network);
      return null;
    });
  }

  /**
   * The networks container {@code containerId} is connected to, by name, with the aliases it has on each
   * (what a test asserts of discovery; the SPI's {@code listNetworks} tells members, not aliases).
   *
   * @throws dev.orch.api.runtime.NoSuchContainerException when there is no such container
   */
  public Map<String, Set<String>> networksOf(String containerId) {
    Objects.requireNonNull(containerId, "containerId");
    return cluster.networksOf(containerId);
  }

  /** {@inheritDoc} Volumes are node-local; their files outlive the containers that mount them. */
  @Override
  public CompletionStage<VolumeInfo> createVolume(String nodeId, String name, Map<String, String> labels) {
    Objects.requireNonNull(nodeId, "nodeId");
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(labels, "labels");
    Map<String, String> copy = Map.copyOf(labels);
    return call(RuntimeOperation.VOLUME, nodeId, "volume " + name, () -> cluster.createVolume(nodeId, name, copy));
  }

  /**
   * {@inheritDoc} Removing a missing volume does nothing; one mounted by an existing container fails with
   * {@link dev.orch.api.runtime.ContainerConflictException}.
   */
  @Override
  public CompletionStage<Void> removeVolume(String nodeId, String name) {
    Objects.requireNonNull(nodeId, "nodeId");
    Objects.requireNonNull(name, "name");
    return call(RuntimeOperation.VOLUME, nodeId, "volume " + name, () -> {
      cluster.removeVolume(nodeId, name);
      return null;
    });
  }

  /**
   * {@inheritDoc} The simulated volume's files and labels are copied at once (faults on {@code VOLUME} calls
   * apply, on either node); the copy is verified by construction.
   */
  @Override
  public CompletionStage<VolumeInfo> copyVolume(String fromNode, String name, String toNode) {
    Objects.requireNonNull(fromNode, "fromNode");
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(toNode, "toNode");
    return callAsync(RuntimeOperation.VOLUME, fromNode, "volume " + name, () -> // a call to each node
        call(RuntimeOperation.VOLUME, toNode, "volume " + name, () -> cluster.copyVolume(fromNode, name, toNode)));
  }

  /** {@inheritDoc} Volumes on failed or partitioned nodes are not listed. */
  @Override
  public CompletionStage<List<VolumeInfo>> listVolumes(LabelSelector selector) {
    Objects.requireNonNull(selector, "selector");
    return call(RuntimeOperation.VOLUME, null, "volumes", () -> cluster.listVolumes(selector));
  }

  /**
   * {@inheritDoc} Present: probes are answered by the container's {@link ContainerBehavior#probe}. A probe
   * of a container that does not run, or on an unreachable node, fails; one slowed by an injected latency
   * longer than its timeout fails as timed out.
   */
  @Override
  public Optional<ProbeTransport> probeTransport() {
    return Optional.of(probeTransport);
  }

  /**
   * Ends event delivery and every pending behaviour timer, and closes the time source if this runtime
   * created it. Later calls fail with {@link RuntimeUnavailableException}. Idempotent.
   */
  @Override
  public void close() {
    if (cluster.isClosed()) {
      return;
    }
    cluster.close();
    if (ownsTime) {
      time.close();
    }
    LOG.debug("{}: closed", name);
  }

  // ================================================================ test API

  /** The time source that drives this runtime. */
  public TimeSource timeSource() {
    return time;
  }

  /**
   * Every container there is, on every node, reachable or not (a partitioned node's keep running): the
   * simulation's truth, for a test to check what {@link #list} cannot see.
   */
  public List<ContainerInfo> allContainers() {
    return cluster.allContainers();
  }

  /**
   * Every volume there is, on every node, reachable or not, without fault injection: the simulation's truth,
   * as {@link #allContainers}.
   */
  public List<VolumeInfo> allVolumes() {
    return cluster.allVolumes();
  }

  /** How many containers exist, on every node, reachable or not. */
  public int containerCount() {
    return cluster.containerCount();
  }

  /**
   * The current run of a container, to drive it from a test: flip what a
   * {@link Behaviors#controlled()} container reports, set its memory, make it exit.
   *
   * @return empty when the container is not running
   * @throws NoSuchContainerException if there is no such container
   */
  public Optional<ContainerProcess> process(String containerId) {
    return cluster.process(Objects.requireNonNull(containerId, "containerId"));
  }

  /** Node {@code nodeId} as {@link #nodes()} reports it, without going through fault injection. */
  public Optional<NodeInfo> node(String nodeId) {
    Objects.requireNonNull(nodeId, "nodeId");
    return cluster.node(nodeId);
  }

  /**
   * Fails a node: it turns not ready, a {@link RuntimeEvent.NodeLost} is published, and its containers are
   * lost (they stop existing, without events, and their timers stop). Volumes stay on the node. Calls
   * for the node fail with {@link dev.orch.api.runtime.NodeNotReadyException} until
   * {@link #recoverNode(String)}. Failing a failed node does nothing.
   *
   * @throws NoSuchNodeException if there is no such node
   */
  public void failNode(String nodeId) {
    Objects.requireNonNull(nodeId, "nodeId");
    cluster.failNode(nodeId, "node failed");
  }

  /**
   * Brings a failed node back, empty of containers, and publishes {@link RuntimeEvent.NodeReady}. Recovering
   * a ready node does nothing.
   *
   * @throws NoSuchNodeException   if there is no such node
   * @throws IllegalStateException if the node is partitioned (use {@link #healPartition(String)})
   */
  public void recoverNode(String nodeId) {
    Objects.requireNonNull(nodeId, "nodeId");
    cluster.recoverNode(nodeId);
  }

  /**
   * Cuts a node off: it turns not ready and a {@link RuntimeEvent.NodeLost} is published, but its containers
   * keep running (their behaviours go on). Until healed, they are not listed, calls for them fail with
   * {@link RuntimeUnavailableException}, and their events are held.
   *
   * @throws NoSuchNodeException   if there is no such node
   * @throws IllegalStateException if the node has failed
   */
  public void partitionNode(String nodeId) {
    Objects.requireNonNull(nodeId, "nodeId");
    cluster.partitionNode(nodeId);
  }

  /**
   * Reconnects a partitioned node: {@link RuntimeEvent.NodeReady} is published, then the events held
   * meanwhile, and its containers reappear with their current state. Healing a ready node does nothing.
   *
   * @throws NoSuchNodeException   if there is no such node
   * @throws IllegalStateException if the node has failed (use {@link #recoverNode(String)})
   */
  public void healPartition(String nodeId) {
    Objects.requireNonNull(nodeId, "nodeId");
    cluster.healPartition(nodeId);
  }

  /**
   * Adds a ready node and publishes {@link RuntimeEvent.NodeReady}.
   *
   * @throws IllegalArgumentException if a node with that id exists
   */
  public void addNode(NodeSpec node) {
    cluster.addNode(Objects.requireNonNull(node, "node"));
  }

  /**
   * Removes a node with its containers and volumes; publishes {@link RuntimeEvent.NodeLost} if it was ready.
   *
   * @throws NoSuchNodeException if there is no such node
   */
  public void removeNode(String nodeId) {
    Objects.requireNonNull(nodeId, "nodeId");
    cluster.removeNode(nodeId);
  }

  /**
   * Crashes a running container with {@code exitCode}, as if its process died.
   *
   * @return whether it was running (a container that is not running is left alone)
   * @throws NoSuchContainerException if there is no such container
   * @throws IllegalArgumentException if {@code exitCode} is not within 0..255
   */
  public boolean crashContainer(String containerId, int exitCode) {
    Objects.requireNonNull(containerId, "containerId");
    return cluster.crash(containerId, exitCode);
  }

  /**
   * Injects a fault into later calls (see {@link CallFault}).
   *
   * @return closing it removes the fault early
   */
  public Subscription injectFault(CallFault fault) {
    return faults.inject(Objects.requireNonNull(fault, "fault"));
  }

  /** Makes every call fail with {@link RuntimeUnavailableException} for {@code forHowLong}. */
  public Subscription failCalls(Duration forHowLong) {
    Objects.requireNonNull(forHowLong, "forHowLong");
    return injectFault(CallFault.failing().lasting(forHowLong).build());
  }

  /** Makes the next {@code n} calls of {@code operations} (every operation if none given) fail. */
  public Subscription failNextCalls(int n, RuntimeOperation... operations) {
    Objects.requireNonNull(operations, "operations");
    return injectFault(CallFault.failing().times(n).operations(operations).build());
  }

  /** Makes every call answer {@code latency} late for {@code forHowLong}. */
  public Subscription slowCalls(Duration latency, Duration forHowLong) {
    Objects.requireNonNull(latency, "latency");
    Objects.requireNonNull(forHowLong, "forHowLong");
    return injectFault(CallFault.slow(latency).lasting(forHowLong).build());
  }

  /** Removes every injected fault. */
  public void clearFaults() {
    faults.clear();
  }

  /**
   * The files of volume {@code volume} on node {@code nodeId}, by path relative to the volume's root.
   *
   * @throws NoSuchNodeException      if there is no such node
   * @throws IllegalArgumentException if the node has no such volume
   */
  public Map<String, String> volumeFiles(String nodeId, String volume) {
    Objects.requireNonNull(nodeId, "nodeId");
    Objects.requireNonNull(volume, "volume");
    return cluster.volumeFiles(nodeId, volume);
  }

  /** Reads a file of a volume, by path relative to its root; empty if absent. */
  public Optional<String> readVolumeFile(String nodeId, String volume, String path) {
    Objects.requireNonNull(nodeId, "nodeId");
    Objects.requireNonNull(volume, "volume");
    Objects.requireNonNull(path, "path");
    return cluster.readVolumeFile(nodeId, volume, path);
  }

  /**
   * Writes a file of a volume, by path relative to its root.
   *
   * @throws NoSuchNodeException      if there is no such node
   * @throws IllegalArgumentException if the node has no such volume or the path is empty
   */
  public void writeVolumeFile(String nodeId, String volume, String path, String content) {
    Objects.requireNonNull(nodeId, "nodeId");
    Objects.requireNonNull(volume, "volume");
    Objects.requireNonNull(path, "path");
    Objects.requireNonNull(content, "content");
    cluster.writeVolumeFile(nodeId, volume, path, content);
  }

  @Override
  public String toString() {
    return name + "{containers=" + cluster.containerCount() + "}";
  }

  // ================================================================ call plumbing

  private <T> CompletionStage<T> onContainer(RuntimeOperation op, String containerId, Supplier<T> action) {
    Objects.requireNonNull(containerId, "containerId");
    return call(op, cluster.nodeOf(containerId), containerId, action);
  }

  private <T> CompletionStage<T> call(RuntimeOperation op, @Nullable String nodeId, String subject,
                                      Supplier<T> action) {
    return callAsync(op, nodeId, subject, () -> CompletableFuture.completedFuture(action.get()));
  }

  /** {@code create web-0}, or the verb alone for a call about no one thing ({@code nodes}). */
  private static String describe(RuntimeOperation op, String subject) {
    return subject.isEmpty() ? op.verb() : op.verb() + " " + subject;
  }

  /** Runs a call through fault injection: fails it or delays it on the time source, as the faults say. */
  private <T> CompletionStage<T> callAsync(RuntimeOperation op, @Nullable String nodeId, String subject,
                                           Supplier<CompletionStage<T>> action) {
    if (cluster.isClosed()) {
      return CompletableFuture.failedFuture(new RuntimeUnavailableException(
          name + ": " + describe(op, subject) + " failed: the runtime is closed"));
    }
    FaultInjector.Decision d = faults.decide(op, nodeId);
    Supplier<CompletionStage<T>> guarded = () -> {
      if (d.failure() != null) {
        String where = nodeId != null ? nodeId : name;
        String message = where + ": " + describe(op, subject) + " failed: " + d.failure().message();
        return CompletableFuture.failedFuture(d.failure().isRefusing() ? new RequestRefusedException(message)
            : new RuntimeUnavailableException(message));
      }
      try {
        return action.get();
      } catch (RuntimeException e) {
        return CompletableFuture.failedFuture(e);
      }
    };
    if (d.latency().isZero()) {
      return guarded.get();
    }
    CompletableFuture<T> result = new CompletableFuture<>();
    time.schedule(d.latency(), () -> guarded.get().whenComplete((v, e) -> {
      if (e != null) {
        result.completeExceptionally(e instanceof CompletionException && e.getCause() != null ? e.getCause() : e);
      } else {
        result.complete(v);
      }
    }));
    return result;
  }

  private CompletionStage<ProbeResult> probe(String containerId, ProbeKind kind, ProbeAction action,
                                             Duration timeout) {
    Objects.requireNonNull(containerId, "containerId");
    Objects.requireNonNull(action, "action");
    Objects.requireNonNull(timeout, "timeout");
    if (cluster.isClosed()) {
      return CompletableFuture.failedFuture(new RuntimeUnavailableException(
          name + ": probe " + containerId + " failed: the runtime is closed"));
    }
    String nodeId = cluster.nodeOf(containerId);
    FaultInjector.Decision d = faults.decide(RuntimeOperation.PROBE, nodeId);
    if (d.latency().compareTo(timeout) > 0) {
      CompletableFuture<ProbeResult> late = new CompletableFuture<>();
      time.schedule(timeout, () -> late.complete(ProbeResult.failed("timed out after " + timeout)));
      return late;
    }
    Supplier<ProbeResult> answer = () -> d.failure() != null
        ? ProbeResult.failed(d.failure().message()) : cluster.probe(containerId, kind, action);
    if (d.latency().isZero()) {
      try {
        return CompletableFuture.completedFuture(answer.get());
      } catch (RuntimeException e) {
        return CompletableFuture.failedFuture(e);
      }
    }
    CompletableFuture<ProbeResult> result = new CompletableFuture<>();
    time.schedule(d.latency(), () -> {
      try {
        result.complete(answer.get());
      } catch (RuntimeException e) {
        result.completeExceptionally(e);
      }
    });
    return result;
  }

  // ================================================================ builder

  /**
   * Builds an {@link InMemoryRuntime}; not thread-safe. Nodes keep the order they were added in.
   */
  public static final class Builder {
    private final Map<String, NodeSpec> nodes = new LinkedHashMap<>();
    private final Map<String, ContainerBehavior> behaviors = new HashMap<>();
    private final java.util.Set<String> missingImages = new java.util.HashSet<>();
    private final List<String> problems = new ArrayList<>();
    private ContainerBehavior defaultBehavior = Behaviors.runForever();
    private @Nullable TimeSource timeSource;
    private long seed;
    private Duration callLatency = Duration.ZERO;
    private String name = "in-memory";

    private Builder() {
    }

    /** Adds a node with {@code capacity} and {@code labels}. */
    public Builder node(String id, Resources capacity, Map<String, String> labels) {
      return node(NodeSpec.of(id, capacity, labels));
    }

    /** Adds a node with {@code capacity} and no labels. */
    public Builder node(String id, Resources capacity) {
      return node(NodeSpec.of(id, capacity));
    }

    /** Adds a node. A duplicate id is reported by {@link #build()}. */
    public Builder node(NodeSpec node) {
      Objects.requireNonNull(node, "node");
      if (nodes.putIfAbsent(node.id(), node) != null) {
        problems.add("node id: \"" + node.id() + "\": must be unique; it was added twice");
      }
      return this;
    }

    /**
     * Adds {@code count} nodes named {@code node-1} to {@code node-<count>} (after any already added),
     * each with {@code capacity}.
     */
    public Builder nodes(int count, Resources capacity) {
      Objects.requireNonNull(capacity, "capacity");
      if (count < 0) {
        problems.add("nodes: " + count + ": must be >= 0");
        return this;
      }
      for (int i = 1; i <= count; i++) {
        node(NodeSpec.of("node-" + i, capacity));
      }
      return this;
    }

    /** Uses {@code timeSource} for all time and timers; this runtime will not close it. */
    public Builder timeSource(TimeSource timeSource) {
      this.timeSource = Objects.requireNonNull(timeSource, "timeSource");
      return this;
    }

    /** Seeds container ids and the containers' random generators (default 0). */
    public Builder seed(long seed) {
      this.seed = seed;
      return this;
    }

    /** Makes containers of {@code image} (an exact image reference, or one without its tag) behave so. */
    public Builder behavior(String image, ContainerBehavior behavior) {
      Objects.requireNonNull(image, "image");
      Objects.requireNonNull(behavior, "behavior");
      if (image.isBlank()) {
        problems.add("behavior image: \"" + image + "\": must not be blank");
      }
      behaviors.put(image, behavior);
      return this;
    }

    /**
     * Images this runtime cannot pull: a create of one fails with {@link dev.orch.api.runtime.ImageNotFoundException}
     * (a refusal of the request, as an engine without the image and without a registry refuses it).
     */
    public Builder missingImages(String... images) {
      Objects.requireNonNull(images, "images");
      for (String image : images) {
        missingImages.add(Objects.requireNonNull(image, "image"));
      }
      return this;
    }

    /** What images with no registered behaviour and no convention do (default {@link Behaviors#runForever()}). */
    public Builder defaultBehavior(ContainerBehavior behavior) {
      this.defaultBehavior = Objects.requireNonNull(behavior, "behavior");
      return this;
    }

    /** Makes every call answer {@code latency} late, on the time source (default zero). */
    public Builder callLatency(Duration latency) {
      Objects.requireNonNull(latency, "latency");
      if (latency.isNegative()) {
        problems.add("callLatency: " + latency + ": must be >= 0");
      }
      this.callLatency = latency;
      return this;
    }

    /** The runtime's name in logs and errors (default {@code in-memory}). */
    public Builder name(String name) {
      Objects.requireNonNull(name, "name");
      if (name.isBlank()) {
        problems.add("name: \"" + name + "\": must not be blank");
      }
      this.name = name;
      return this;
    }

    /**
     * Builds the runtime.
     *
     * @throws IllegalArgumentException listing every problem found (duplicate node ids, bad values)
     */
    public InMemoryRuntime build() {
      if (!problems.isEmpty()) {
        throw new IllegalArgumentException("invalid in-memory runtime: " + String.join("; ", problems));
      }
      return new InMemoryRuntime(this);
    }
  }
}
