package dev.orch.core.autoscale;

import dev.orch.api.spec.AutoscalePolicy.MetricTarget;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * One autoscaling decision with every number that made it: each metric's value, target, ratio and proposal, the
 * largest proposal, what the stabilization window made of it, what the rate policies and the bounds made of
 * that, and the replica count decided. Immutable and thread-safe.
 *
 * @param service    the service
 * @param at         when it was decided
 * @param current    the replica count it started from
 * @param metrics    each metric's proposal, in the policy's order
 * @param proposal   the largest valid proposal (after each metric's tolerance), or {@code current} when none
 *                   could drive a decision
 * @param stabilized the proposal after the stabilization windows
 * @param desired    the replica count decided: after the rate policies and within min and max
 * @param reason     a short CamelCase reason ({@code ScaleUp}, {@code WithinTolerance}, {@code ScaleDownLimit},
 *                   {@code MetricsUnavailable}, ...)
 * @param message    the decision in words
 */
public record Decision(String service, Instant at, int current, List<MetricProposal> metrics, int proposal,
                       int stabilized, int desired, String reason, String message) {
  /** Creates a decision, copying the metrics. */
  public Decision {
    Objects.requireNonNull(service, "service");
    Objects.requireNonNull(at, "at");
    metrics = List.copyOf(metrics);
    Objects.requireNonNull(reason, "reason");
    Objects.requireNonNull(message, "message");
  }

  /** Whether the replica count changes. */
  public boolean changed() {
    return desired != current;
  }

  /** The decision in words, with every number. */
  public String explain() {
    StringBuilder b = new StringBuilder(service).append(": ").append(current).append(" -> ").append(desired)
        .append(" (").append(reason).append(": ").append(message).append(")");
    for (MetricProposal m : metrics) {
      b.append("; ").append(m.explain());
    }
    b.append("; proposal ").append(proposal).append(", stabilized ").append(stabilized);
    return b.toString();
  }

  /**
   * One metric's part in a decision.
   *
   * @param target   the metric and its target
   * @param average  the metric's average per replica counted (utilization: percent of the request); NaN when the
   *                 read failed
   * @param ratio    the ratio to the target that decided the proposal (after filling in missing and unready
   *                 replicas, when that happened); NaN when the read failed
   * @param proposal the replica count this metric proposes; -1 when the read failed
   * @param note     how the proposal came about, or why the read failed
   */
  public record MetricProposal(MetricTarget target, double average, double ratio, int proposal, String note) {
    /** Creates a proposal. */
    public MetricProposal {
      Objects.requireNonNull(target, "target");
      Objects.requireNonNull(note, "note");
    }

    static MetricProposal failed(MetricTarget target, @Nullable String why) {
      return new MetricProposal(target, Double.NaN, Double.NaN, -1, why == null ? "failed" : why);
    }

    /** Whether the metric was read and proposes a count. */
    public boolean valid() {
      return proposal >= 0;
    }

    /** The proposal in words. */
    public String explain() {
      String name = target.metric() + (target.kind() == dev.orch.api.spec.AutoscalePolicy.TargetKind.UTILIZATION
          ? " " + ReplicaCalc.fmt(average) + "% of request, target " + ReplicaCalc.fmt(target.target()) + "%"
          : " " + ReplicaCalc.fmt(average) + " per replica, target " + ReplicaCalc.fmt(target.target()));
      if (!valid()) {
        return target.metric() + ": unavailable (" + note + ")";
      }
      return name + ", ratio " + ReplicaCalc.fmt(ratio) + ": " + proposal + " (" + note + ")";
    }
  }
}
