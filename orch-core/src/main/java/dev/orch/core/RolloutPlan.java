package dev.orch.core;

import java.util.List;
import java.util.Objects;

/**
 * The exact steps a rollout would take from the service's current revision to a new spec's, assuming
 * every new replica becomes available, no fault happens and every analysis passes; computed by
 * {@link Orchestrator#plan} without touching anything. Immutable and thread-safe.
 *
 * @param service  the service
 * @param strategy the strategy's name ({@code RollingUpdate}, {@code BlueGreen} or {@code Canary})
 * @param from     the revision serving now (empty for a new service)
 * @param to       the spec's revision
 * @param steps    the steps, in order; empty when the revision does not change
 */
public record RolloutPlan(String service, String strategy, String from, String to, List<RolloutStep> steps) {
  /** Creates a plan, copying the steps. */
  public RolloutPlan {
    Objects.requireNonNull(service, "service");
    Objects.requireNonNull(strategy, "strategy");
    Objects.requireNonNull(from, "from");
    Objects.requireNonNull(to, "to");
    Objects.requireNonNull(steps, "steps");
    steps = List.copyOf(steps);
  }

  /** A header line, then one line per step. */
  @Override
  public String toString() {
    StringBuilder sb = new StringBuilder(service + ": " + strategy + " " + (from.isEmpty() ? "(new)" : from)
        + " -> " + to + (steps.isEmpty() ? ": nothing to do" : ""));
    for (RolloutStep s : steps) {
      sb.append("\n  ").append(s);
    }
    return sb.toString();
  }
}
