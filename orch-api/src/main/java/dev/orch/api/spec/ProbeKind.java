package dev.orch.api.spec;

/** Which of a container's three probes a check is for; a runtime's probe transport answers each its own way. */
public enum ProbeKind {
  /** Holds the others back until it first passes. */
  STARTUP,
  /** A failure restarts the container. */
  LIVENESS,
  /** Decides whether the replica receives traffic. */
  READINESS
}
