package dev.orch.api.runtime;

/** An optional part of the {@link ContainerRuntime} SPI that a runtime may or may not have. */
public enum RuntimeCapability {
  /** {@link ContainerRuntime#exec}: run a command in a container (exec probes need it). */
  EXEC,
  /** {@link ContainerRuntime#logs}: read a container's output. */
  LOGS,
  /**
   * {@link ContainerRuntime#streamLogs}: a container's log as a stream the reader pulls, with follow, since,
   * tail, timestamps and the two output streams told apart, and a bounded buffer.
   */
  LOG_STREAM,
  /** Named volumes that outlive their container. */
  VOLUMES,
  /**
   * {@link ContainerRuntime#copyVolume}: a volume's data copied from one node to another and verified, so that a
   * stateful replica can move with its data (a drain needs it).
   */
  VOLUME_COPY,
  /**
   * User-defined networks per node that isolate services from each other: {@link ContainerRuntime#createNetwork},
   * {@code removeNetwork}, {@code listNetworks}, {@code connect} and {@code disconnect}.
   */
  NETWORKS,
  /**
   * {@link ContainerRuntime#filterConnections}: every connection between two of the runtime's containers is
   * put to a filter first, port by port (the in-memory runtime; Docker's networks decide by membership only).
   */
  CONNECTION_FILTER,
  /**
   * {@link ContainerRuntime#usage}: the CPU time and memory a container uses, for autoscaling on them (Docker:
   * the engine's stats; in memory: what the request model's load costs).
   */
  USAGE_STATS,
  /** Memory and CPU limits enforced on containers (OOM kills among them). */
  RESOURCE_LIMITS,
  /** Container ports published on host ports. */
  HOST_PORTS,
  /** {@link ContainerRuntime#probeTransport()}: the runtime answers probes itself. */
  PROBE_TRANSPORT
}
