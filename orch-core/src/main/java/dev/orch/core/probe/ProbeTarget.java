package dev.orch.core.probe;

import dev.orch.api.runtime.ContainerRuntime;
import dev.orch.api.runtime.ProbeTransport;
import dev.orch.api.spec.PortRef;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;
import org.jspecify.annotations.Nullable;

/**
 * How to reach one container for its probes: a host address and the host ports its container ports are
 * published on (for HTTP and TCP probes over the network), and/or a runtime's {@link ProbeTransport}
 * (for runtimes whose containers are not on a network) and/or the runtime itself (for exec probes).
 *
 * <p>Routing: an HTTP or TCP probe goes over the network when the target has a host, else through the
 * transport; an exec probe goes through the transport when there is one, else through
 * {@link ContainerRuntime#exec}. Immutable and thread-safe.
 *
 * <pre>{@code
 * ProbeTarget.builder("orders-0").host("127.0.0.1").port("http", 32768).build();   // network
 * ProbeTarget.of(runtime, containerId);                                          // runtime-served
 * }</pre>
 */
public final class ProbeTarget {
  private final String containerId;
  private final @Nullable String host;
  private final Map<String, Integer> namedPorts;
  private final Map<Integer, Integer> numberedPorts;
  private final @Nullable ProbeTransport transport;
  private final @Nullable ContainerRuntime runtime;
  private final String service;

  private ProbeTarget(Builder b) {
    this.service = b.service;
    this.containerId = b.containerId;
    this.host = b.host;
    this.namedPorts = Map.copyOf(b.namedPorts);
    this.numberedPorts = Map.copyOf(b.numberedPorts);
    this.transport = b.transport;
    this.runtime = b.runtime;
  }

  /**
   * Starts a target for container {@code containerId}.
   *
   * @throws IllegalArgumentException if {@code containerId} is blank
   */
  public static Builder builder(String containerId) {
    return new Builder(containerId);
  }

  /**
   * A target probed through {@code runtime}: its probe transport if it offers one, and its exec.
   *
   * @throws IllegalArgumentException if {@code containerId} is blank
   */
  public static ProbeTarget of(ContainerRuntime runtime, String containerId) {
    Objects.requireNonNull(runtime, "runtime");
    Builder b = builder(containerId).runtime(runtime);
    runtime.probeTransport().ifPresent(b::transport);
    return b.build();
  }

  /** The container probed. */
  public String containerId() {
    return containerId;
  }

  /** The service the container belongs to, as its probes' observations name it; empty when not told. */
  public String service() {
    return service;
  }

  /**
   * The host that HTTP and TCP probes connect to, if they go over the network; a name is resolved once,
   * when watching begins.
   */
  public Optional<String> host() {
    return Optional.ofNullable(host);
  }

  /** The runtime's probe transport, if probes go through one. */
  public Optional<ProbeTransport> transport() {
    return Optional.ofNullable(transport);
  }

  /** The runtime that runs exec probes, if any. */
  public Optional<ContainerRuntime> runtime() {
    return Optional.ofNullable(runtime);
  }

  /**
   * The host port a probe of container port {@code port} connects to: a named port must have been mapped;
   * a numbered one maps to its own number unless mapped to another.
   *
   * @return empty for a named port this target does not map
   */
  public OptionalInt hostPort(PortRef port) {
    Objects.requireNonNull(port, "port");
    if (port.isNamed()) {
      Integer p = namedPorts.get(port.name());
      return p == null ? OptionalInt.empty() : OptionalInt.of(p);
    }
    return OptionalInt.of(numberedPorts.getOrDefault(port.number(), port.number()));
  }

  @Override
  public String toString() {
    return "ProbeTarget[" + containerId + (host != null ? " at " + host + " " + namedPorts + numberedPorts : "")
        + (transport != null ? ", transport" : "") + (runtime != null ? ", runtime " + runtime.name() : "") + "]";
  }

  /** Builds a {@link ProbeTarget}; not thread-safe. */
  public static final class Builder {
    private final String containerId;
    private final Map<String, Integer> namedPorts = new LinkedHashMap<>();
    private final Map<Integer, Integer> numberedPorts = new LinkedHashMap<>();
    private @Nullable String host;
    private @Nullable ProbeTransport transport;
    private @Nullable ContainerRuntime runtime;
    private String service = "";

    private Builder(String containerId) {
      Objects.requireNonNull(containerId, "containerId");
      if (containerId.isBlank()) {
        throw new IllegalArgumentException("containerId: \"" + containerId + "\": must not be blank");
      }
      this.containerId = containerId;
    }

    /**
     * The host (a name or an address) HTTP and TCP probes connect to.
     *
     * @throws IllegalArgumentException if {@code host} is blank
     */
    public Builder host(String host) {
      Objects.requireNonNull(host, "host");
      if (host.isBlank()) {
        throw new IllegalArgumentException("host: \"" + host + "\": must not be blank");
      }
      this.host = host;
      return this;
    }

    /**
     * Maps the container port named {@code name} to {@code hostPort} on the host.
     *
     * @throws IllegalArgumentException if {@code hostPort} is not within 1..65535 or {@code name} is blank
     */
    public Builder port(String name, int hostPort) {
      Objects.requireNonNull(name, "name");
      if (name.isBlank()) {
        throw new IllegalArgumentException("ports: \"" + name + "\": a port name must not be blank");
      }
      namedPorts.put(name, checkPort("ports." + name, hostPort));
      return this;
    }

    /**
     * Maps container port {@code containerPort} to {@code hostPort} on the host.
     *
     * @throws IllegalArgumentException if either port is not within 1..65535
     */
    public Builder port(int containerPort, int hostPort) {
      checkPort("containerPort", containerPort);
      numberedPorts.put(containerPort, checkPort("ports." + containerPort, hostPort));
      return this;
    }

    /** The runtime's probe transport, for probes of containers that are not on a network. */
    public Builder transport(ProbeTransport transport) {
      this.transport = Objects.requireNonNull(transport, "transport");
      return this;
    }

    /** The runtime whose {@link ContainerRuntime#exec} runs exec probes when there is no transport. */
    public Builder runtime(ContainerRuntime runtime) {
      this.runtime = Objects.requireNonNull(runtime, "runtime");
      return this;
    }

    /**
     * The service the container belongs to: a low-cardinality key value ({@code service}) of its probes'
     * observations. Default: none.
     */
    public Builder service(String service) {
      this.service = Objects.requireNonNull(service, "service");
      return this;
    }

    /** Builds the target. */
    public ProbeTarget build() {
      return new ProbeTarget(this);
    }

    private static int checkPort(String field, int port) {
      if (port < 1 || port > 65535) {
        throw new IllegalArgumentException(field + ": " + port + ": must be within 1..65535");
      }
      return port;
    }
  }
}
