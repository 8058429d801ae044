package dev.orch.api.spec;

/** When Orch restarts a replica's container after it exits, as in Kubernetes. */
public enum RestartPolicy {
  /** Restart after any exit (with crash-loop backoff). The default. */
  ALWAYS,
  /** Restart only after a non-zero exit or an OOM kill. */
  ON_FAILURE,
  /** Never restart: an exited replica stays exited. */
  NEVER
}
