package dev.orch.core.scheduler;

import dev.orch.api.spec.Placement;
import dev.orch.api.spec.PortSpec;
import dev.orch.api.spec.Protocol;
import dev.orch.api.spec.Resources;
import dev.orch.api.spec.ServiceSpec;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * One replica to place, or one already running: which service it belongs to, what it requests (CPU,
 * memory, host ports), its priority, where it may go, and the node its node-local volume lives on, if any.
 *
 * <p>Build one from a spec with {@link #of(ServiceSpec, String)}, or by hand with
 * {@link #builder(String, String)} when you keep your own cluster model. Immutable and thread-safe.
 */
public final class ReplicaRequest {
  private final String replicaId;
  private final String service;
  private final Resources requests;
  private final long cpuMillis;
  private final long memoryBytes;
  private final int[] hostPorts; // port << 1 | (UDP ? 1 : 0)
  private final int priority;
  private final Placement placement;
  private final Map<String, String> labels;
  private final @Nullable String boundNode;

  private ReplicaRequest(String replicaId, String service, Resources requests, int[] hostPorts, int priority,
                         Placement placement, Map<String, String> labels, @Nullable String boundNode) {
    this.replicaId = replicaId;
    this.service = service;
    this.requests = requests;
    this.cpuMillis = requests.cpuMillis();
    this.memoryBytes = requests.memoryBytes();
    this.hostPorts = hostPorts;
    this.priority = priority;
    this.placement = placement;
    this.labels = labels;
    this.boundNode = boundNode;
  }

  /**
   * The request for replica {@code replicaId} of {@code spec}: its container's resource requests and host
   * ports, the spec's priority, placement and labels.
   *
   * @throws IllegalArgumentException when {@code replicaId} is blank
   */
  public static ReplicaRequest of(ServiceSpec spec, String replicaId) {
    Objects.requireNonNull(spec, "spec");
    Builder b = builder(spec.name(), replicaId)
        .requests(spec.container().resources().requests())
        .priority(spec.priority())
        .placement(spec.placement())
        .labels(spec.labels());
    for (PortSpec p : spec.container().ports()) {
      if (p.hostPort() != 0) {
        b.hostPort(p.hostPort(), p.protocol());
      }
    }
    return b.build();
  }

  /** Starts a builder for replica {@code replicaId} of {@code service}. */
  public static Builder builder(String service, String replicaId) {
    return new Builder(service, replicaId);
  }

  /**
   * This request, bound to {@code nodeId} because its node-local volume lives there: it may go nowhere else.
   */
  public ReplicaRequest withBoundNode(String nodeId) {
    Objects.requireNonNull(nodeId, "nodeId");
    return new ReplicaRequest(replicaId, service, requests, hostPorts, priority, placement, labels, nodeId);
  }

  /** The replica's id, unique within a snapshot (for example {@code orders-2}). */
  public String replicaId() {
    return replicaId;
  }

  /** The service the replica belongs to; anti-affinity and spread count replicas of one service. */
  public String service() {
    return service;
  }

  /** The CPU and memory reserved on the node (requests, not limits). */
  public Resources requests() {
    return requests;
  }

  long cpuMillis() {
    return cpuMillis;
  }

  long memoryBytes() {
    return memoryBytes;
  }

  int[] hostPortCodes() {
    return hostPorts;
  }

  /** The host ports the replica publishes on its node; no two replicas on a node may share one. */
  public List<HostPort> hostPorts() {
    List<HostPort> out = new ArrayList<>(hostPorts.length);
    for (int code : hostPorts) {
      out.add(new HostPort(code >>> 1, (code & 1) == 1 ? Protocol.UDP : Protocol.TCP));
    }
    return List.copyOf(out);
  }

  /** The scheduling priority; a higher one may preempt lower ones. */
  public int priority() {
    return priority;
  }

  /** Where the replica may go. */
  public Placement placement() {
    return placement;
  }

  /** The service's labels, for user filters and scores. */
  public Map<String, String> labels() {
    return labels;
  }

  /** The node the replica's node-local volume lives on, if any. */
  public Optional<String> boundNode() {
    return Optional.ofNullable(boundNode);
  }

  @Nullable String boundNodeOrNull() {
    return boundNode;
  }

  static String portText(int code) {
    return (code >>> 1) + "/" + ((code & 1) == 1 ? "UDP" : "TCP");
  }

  @Override
  public String toString() {
    return "ReplicaRequest[" + replicaId + " of " + service + ", " + requests + ", priority=" + priority
        + (hostPorts.length == 0 ? "" : ", hostPorts=" + Arrays.toString(
            Arrays.stream(hostPorts).mapToObj(ReplicaRequest::portText).toArray()))
        + (boundNode == null ? "" : ", bound to " + boundNode) + "]";
  }

  /**
   * A host port and its protocol. Immutable and thread-safe.
   *
   * @param port     1 to 65535
   * @param protocol TCP or UDP; the same number may be used once per protocol on a node
   */
  public record HostPort(int port, Protocol protocol) {
    /** Creates a host port. */
    public HostPort {
      Objects.requireNonNull(protocol, "protocol");
    }

    @Override
    public String toString() {
      return port + "/" + protocol;
    }
  }

  /** Builds a {@link ReplicaRequest}; not thread-safe. */
  public static final class Builder {
    private final String service;
    private final String replicaId;
    private Resources requests = Resources.NONE;
    private final List<Integer> hostPorts = new ArrayList<>();
    private int priority;
    private Placement placement = Placement.ANYWHERE;
    private final Map<String, String> labels = new LinkedHashMap<>();
    private @Nullable String boundNode;

    private Builder(String service, String replicaId) {
      this.service = service;
      this.replicaId = replicaId;
    }

    /** Sets the CPU and memory to reserve (default none). */
    public Builder requests(Resources requests) {
      this.requests = Objects.requireNonNull(requests, "requests");
      return this;
    }

    /** Adds a host port the replica publishes on its node. */
    public Builder hostPort(int port, Protocol protocol) {
      Objects.requireNonNull(protocol, "protocol");
      if (port < 1 || port > 65535) {
        throw new IllegalArgumentException("hostPort: " + port + ": must be between 1 and 65535");
      }
      hostPorts.add(port << 1 | (protocol == Protocol.UDP ? 1 : 0));
      return this;
    }

    /** Sets the priority (default 0). */
    public Builder priority(int priority) {
      this.priority = priority;
      return this;
    }

    /** Sets the placement (default anywhere). */
    public Builder placement(Placement placement) {
      this.placement = Objects.requireNonNull(placement, "placement");
      return this;
    }

    /** Adds labels (the service's), visible to user filters and scores. */
    public Builder labels(Map<String, String> labels) {
      Objects.requireNonNull(labels, "labels");
      this.labels.putAll(labels);
      return this;
    }

    /** Binds the replica to {@code nodeId}, where its node-local volume lives. */
    public Builder boundNode(String nodeId) {
      this.boundNode = Objects.requireNonNull(nodeId, "boundNode");
      return this;
    }

    /**
     * Builds the request.
     *
     * @throws IllegalArgumentException when the service or replica id is blank, or a request is negative
     */
    public ReplicaRequest build() {
      if (service == null || service.isBlank()) {
        throw new IllegalArgumentException("service: \"" + service + "\": must not be blank");
      }
      if (replicaId == null || replicaId.isBlank()) {
        throw new IllegalArgumentException(service + ".replicaId: \"" + replicaId + "\": must not be blank");
      }
      if (requests.cpuMillis() < 0) {
        throw new IllegalArgumentException(replicaId + ".requests.cpu: " + requests.cpuMillis() + "m: must be >= 0");
      }
      if (requests.memoryBytes() < 0) {
        throw new IllegalArgumentException(replicaId + ".requests.memory: " + requests.memoryBytes()
            + ": must be >= 0");
      }
      int[] ports = hostPorts.stream().mapToInt(Integer::intValue).distinct().toArray();
      return new ReplicaRequest(replicaId, service, requests, ports, priority, placement,
          java.util.Collections.unmodifiableMap(new LinkedHashMap<>(labels)), boundNode);
    }
  }
}
