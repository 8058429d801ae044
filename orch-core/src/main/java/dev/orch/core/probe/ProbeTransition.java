package dev.orch.core.probe;

import java.time.Instant;
import java.util.Objects;

/**
 * A change in a watched container's probe state. Only changes are published, never every result.
 * Immutable and thread-safe.
 *
 * @param containerId the target's container
 * @param type        what changed
 * @param reason      why, in words: the failing probe's last result ({@code "readiness: HTTP 503"}), or
 *                    {@code "ok"} for a passing one
 * @param at          when, on the prober's time source
 */
public record ProbeTransition(String containerId, Type type, String reason, Instant at) {

  /** What changed. */
  public enum Type {
    /** The startup probe passed: liveness and readiness probes begin. */
    STARTED,
    /** The startup probe failed its failure threshold: the container should be restarted. */
    STARTUP_FAILED,
    /** The liveness probe passes again after having failed. */
    LIVE,
    /** The liveness probe failed its failure threshold: the container should be restarted. */
    LIVENESS_FAILED,
    /** The container became ready: it may receive traffic. */
    READY,
    /** The container is no longer ready: it must receive no traffic. */
    NOT_READY;

    /** Whether this transition asks for the container's restart, as kubelet would do. */
    public boolean requiresRestart() {
      return this == STARTUP_FAILED || this == LIVENESS_FAILED;
    }
  }

  /** Creates a transition; every component is required. */
  public ProbeTransition {
    Objects.requireNonNull(containerId, "containerId");
    Objects.requireNonNull(type, "type");
    Objects.requireNonNull(reason, "reason");
    Objects.requireNonNull(at, "at");
  }
}
