package dev.orch.api.runtime;

/** The lifecycle state of a container as its runtime reports it. */
public enum ContainerState {
  /** Created, not yet started. */
  CREATED,
  /** Its process runs. */
  RUNNING,
  /** Its process ended; see the exit code and the OOM flag. */
  EXITED,
  /** Its node was lost: the runtime cannot say what it is doing. */
  UNKNOWN
}
