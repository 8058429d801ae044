package dev.orch.core.probe;

import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/**
 * A watched container's probe state at one moment. Immutable and thread-safe.
 *
 * @param started       whether the startup probe has passed (true from the start without one)
 * @param live          whether liveness holds (true until the liveness probe fails its threshold)
 * @param ready         whether the container may receive traffic (false until readiness passes)
 * @param lastFailure   the last failing probe result, with its probe ({@code "liveness: HTTP 500"})
 * @param lastFailureAt when it happened
 */
public record ProbeState(boolean started, boolean live, boolean ready, Optional<String> lastFailure,
                         Optional<Instant> lastFailureAt) {
  /** Creates a state. */
  public ProbeState {
    Objects.requireNonNull(lastFailure, "lastFailure");
    Objects.requireNonNull(lastFailureAt, "lastFailureAt");
  }
}
