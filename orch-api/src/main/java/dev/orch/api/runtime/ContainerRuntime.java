package dev.orch.api.runtime;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * The runtime SPI: what Orch needs of a place that runs containers. Implement it (with orch-api as the
 * only dependency) to plug in a runtime of your own; run the conformance kit in {@code orch-testkit}
 * against it.
 *
 * <p>Every operation that may touch I/O returns a {@link CompletionStage} and never blocks the caller.
 * A failed stage completes exceptionally with a {@link ContainerRuntimeException} subtype whose message
 * says what was asked, of which node, and what came back. Implementations are thread-safe: any thread may
 * call any method at any time.
 *
 * <p>Optional parts are listed by {@link #capabilities()}; a call to one a runtime lacks fails with
 * {@link UnsupportedCapabilityException}.
 */
public interface ContainerRuntime extends AutoCloseable {

  /** A short name for logs and errors, for example {@code in-memory} or {@code docker}. */
  String name();

  /** The optional parts this runtime has. */
  Set<RuntimeCapability> capabilities();

  /** The nodes this runtime offers, with their capacity and readiness. */
  CompletionStage<List<NodeInfo>> nodes();

  /**
   * Creates a container on the node the request names, without starting it.
   *
   * @return completes with the new container, in state {@link ContainerState#CREATED}; fails with
   *     {@link NoSuchNodeException}, {@link NodeNotReadyException} or {@link ContainerConflictException}
   *     (name in use)
   */
  CompletionStage<ContainerInfo> create(ContainerCreateRequest request);

  /** Starts a created or exited container. Starting a running one does nothing. */
  CompletionStage<Void> start(String containerId);

  /**
   * Stops a container: asks its process to end (SIGTERM) and kills it once {@code grace} has passed.
   * Stopping a container that is not running does nothing. Completes when the process has ended.
   */
  CompletionStage<Void> stop(String containerId, Duration grace);

  /** Kills a container's process at once (SIGKILL). Killing one that is not running does nothing. */
  CompletionStage<Void> kill(String containerId);

  /** Removes a container, killing it first if it runs. Fails with {@link NoSuchContainerException}. */
  CompletionStage<Void> remove(String containerId);

  /** Reports one container. Fails with {@link NoSuchContainerException}. */
  CompletionStage<ContainerInfo> inspect(String containerId);

  /**
   * Lists the containers whose labels match {@code selector} on the nodes that answer. A node that does not
   * answer (a dead engine, a partitioned node) leaves its containers out rather than failing the listing;
   * {@link #listing} says which nodes those were.
   */
  CompletionStage<List<ContainerInfo>> list(LabelSelector selector);

  /**
   * Lists as {@link #list} does, and says which nodes did not answer, so that a caller can tell "gone" from
   * "unknown". Orch lists through this. The default reports {@link #list}'s answer as complete, so a runtime
   * whose {@code list} can leave a node out must override this and name that node: otherwise Orch takes
   * that node's containers for gone and replaces them.
   */
  default CompletionStage<ContainerListing> listing(LabelSelector selector) {
    return list(selector).thenApply(ContainerListing::complete);
  }

  /**
   * Registers {@code listener} for every event from now on. Events of one container arrive in order;
   * the listener is called from the runtime's own thread and must not block.
   *
   * @return closing it ends the registration
   */
  Subscription subscribe(RuntimeListener listener);

  /** Runs {@code command} in a running container ({@link RuntimeCapability#EXEC}). */
  default CompletionStage<ExecResult> exec(String containerId, List<String> command, Duration timeout) {
    return unsupported(RuntimeCapability.EXEC);
  }

  /** The last {@code tailLines} lines a container printed ({@link RuntimeCapability#LOGS}). */
  default CompletionStage<List<String>> logs(String containerId, int tailLines) {
    return unsupported(RuntimeCapability.LOGS);
  }

  /**
   * Streams a container's log as {@code options} say ({@link RuntimeCapability#LOG_STREAM}): the lines printed so
   * far (from {@code since}, the last {@code tail}), then, when following, new ones until the container stops or is
   * removed, or the stream is closed. The reader pulls; lines waiting for it are bounded
   * ({@link LogOptions#bufferLines()}, {@link LogOptions#overflow()}). Returns at once: a container that does not
   * exist gives a stream that has ended with a {@link NoSuchContainerException} as its failure.
   *
   * @throws UnsupportedCapabilityException if the runtime cannot
   */
  default LogStream streamLogs(String containerId, LogOptions options) {
    throw new UnsupportedCapabilityException(name() + ": " + RuntimeCapability.LOG_STREAM
        + " is not supported by this runtime");
  }

  /** Creates a named volume on a node, or returns it if it exists ({@link RuntimeCapability#VOLUMES}). */
  default CompletionStage<VolumeInfo> createVolume(String nodeId, String name, Map<String, String> labels) {
    return unsupported(RuntimeCapability.VOLUMES);
  }

  /** Removes a named volume from a node ({@link RuntimeCapability#VOLUMES}). */
  default CompletionStage<Void> removeVolume(String nodeId, String name) {
    return unsupported(RuntimeCapability.VOLUMES);
  }

  /** Lists the volumes whose labels match {@code selector} ({@link RuntimeCapability#VOLUMES}). */
  default CompletionStage<List<VolumeInfo>> listVolumes(LabelSelector selector) {
    return unsupported(RuntimeCapability.VOLUMES);
  }

  /**
   * Copies volume {@code name} from node {@code fromNode} to node {@code toNode}
   * ({@link RuntimeCapability#VOLUME_COPY}): creates it there with the source's labels (emptying one that
   * exists), copies every file and directory, and completes, with the copy, only once the copy is verified
   * equal to the source (the same paths, types, sizes and contents). The source is left as it was. No container
   * may write to either volume meanwhile (Orch copies a stateful replica's volumes once its replica is removed).
   * A copy that fails or does not verify is removed, and the stage fails saying which.
   *
   * @return completes with the copy, its size known; fails with {@link NoSuchNodeException}, with
   *     {@link ContainerConflictException} when {@code toNode} has the volume in use, or with
   *     {@link ContainerRuntimeException} when the source is missing or the copy does not verify
   */
  default CompletionStage<VolumeInfo> copyVolume(String fromNode, String name, String toNode) {
    return unsupported(RuntimeCapability.VOLUME_COPY);
  }

  /**
   * Creates network {@code name} on node {@code nodeId} with {@code labels}, or returns it if it exists
   * ({@link RuntimeCapability#NETWORKS}). Containers of that node join it through {@link #connect}.
   */
  default CompletionStage<NetworkInfo> createNetwork(String nodeId, String name, Map<String, String> labels) {
    return unsupported(RuntimeCapability.NETWORKS);
  }

  /**
   * Removes network {@code name} from node {@code nodeId} ({@link RuntimeCapability#NETWORKS}). Removing a
   * missing network does nothing; one that containers are connected to fails with
   * {@link ContainerConflictException} and stays.
   */
  default CompletionStage<Void> removeNetwork(String nodeId, String name) {
    return unsupported(RuntimeCapability.NETWORKS);
  }

  /**
   * Lists the networks whose labels match {@code selector}, on every node that answers, each with the
   * containers connected to it ({@link RuntimeCapability#NETWORKS}).
   */
  default CompletionStage<List<NetworkInfo>> listNetworks(LabelSelector selector) {
    return unsupported(RuntimeCapability.NETWORKS);
  }

  /**
   * Connects container {@code containerId} to network {@code network} on its node, reachable there under
   * {@code aliases} as well as its name ({@link RuntimeCapability#NETWORKS}). Connecting a connected container
   * under the aliases it has does nothing; under other aliases, it changes them and keeps the container's
   * address on that network and the connections open on it (Docker: the container leaves the network and joins
   * it again at the same address, which TCP rides out), so that a name can leave a replica whose requests are
   * still in flight. Fails with {@link NoSuchNetworkException} when its node has no such network.
   */
  default CompletionStage<Void> connect(String containerId, String network, Set<String> aliases) {
    return unsupported(RuntimeCapability.NETWORKS);
  }

  /**
   * Disconnects container {@code containerId} from network {@code network} ({@link RuntimeCapability#NETWORKS}).
   * Disconnecting a container that is not connected does nothing.
   */
  default CompletionStage<Void> disconnect(String containerId, String network) {
    return unsupported(RuntimeCapability.NETWORKS);
  }

  /**
   * What container {@code containerId} uses now ({@link RuntimeCapability#USAGE_STATS}): its CPU time since it
   * started and the memory it holds; one that does not run uses nothing. Fails with
   * {@link NoSuchContainerException} when there is no such container.
   */
  default CompletionStage<ContainerUsage> usage(String containerId) {
    return unsupported(RuntimeCapability.USAGE_STATS);
  }

  /**
   * Lets {@code filter} refuse connections this runtime carries between its containers from now on
   * ({@link RuntimeCapability#CONNECTION_FILTER}): a refused one fails as a dropped connection would. The
   * runtime only asks the filter; the filter decides (Orch's network policy). Closing the subscription ends it.
   *
   * @throws UnsupportedCapabilityException on a runtime without the capability
   */
  default Subscription filterConnections(ConnectionFilter filter) {
    throw new UnsupportedCapabilityException(name() + ": " + RuntimeCapability.CONNECTION_FILTER
        + " is not supported by this runtime");
  }

  /**
   * The runtime's own probe transport ({@link RuntimeCapability#PROBE_TRANSPORT}), for containers that
   * are not reachable over the network; empty when probes go over the real network.
   */
  default Optional<ProbeTransport> probeTransport() {
    return Optional.empty();
  }

  /** Releases the runtime's connections and threads; containers keep running. Idempotent. */
  @Override
  void close();

  /** A failed stage for a capability this runtime lacks. */
  private <T> CompletionStage<T> unsupported(RuntimeCapability capability) {
    return CompletableFuture.failedFuture(new UnsupportedCapabilityException(
        name() + ": " + capability + " is not supported by this runtime"));
  }
}
