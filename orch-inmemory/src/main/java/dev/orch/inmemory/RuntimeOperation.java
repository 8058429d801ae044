package dev.orch.inmemory;

/** The calls of the in-memory runtime that a {@link CallFault} can fail or slow down. */
public enum RuntimeOperation {
  /** {@code nodes()}. */
  NODES,
  /** {@code create(...)}. */
  CREATE,
  /** {@code start(...)}. */
  START,
  /** {@code stop(...)}. */
  STOP,
  /** {@code kill(...)}. */
  KILL,
  /** {@code remove(...)}. */
  REMOVE,
  /** {@code inspect(...)}. */
  INSPECT,
  /** {@code list(...)}. */
  LIST,
  /** {@code exec(...)}. */
  EXEC,
  /** {@code logs(...)}. */
  LOGS,
  /** {@code createVolume}, {@code removeVolume} and {@code listVolumes}. */
  VOLUME,
  /** {@code createNetwork}, {@code removeNetwork}, {@code listNetworks}, {@code connect} and {@code disconnect}. */
  NETWORK,
  /** A probe through the runtime's {@link dev.orch.api.runtime.ProbeTransport}. */
  PROBE;

  /** The lower-case verb used in error messages, for example {@code create}. */
  String verb() {
    return name().toLowerCase(java.util.Locale.ROOT);
  }
}
