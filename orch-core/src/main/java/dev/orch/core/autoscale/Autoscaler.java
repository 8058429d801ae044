package dev.orch.core.autoscale;

import dev.orch.api.spec.AutoscalePolicy;
import dev.orch.api.spec.AutoscalePolicy.MetricTarget;
import dev.orch.api.spec.AutoscalePolicy.RateKind;
import dev.orch.api.spec.AutoscalePolicy.RatePolicy;
import dev.orch.api.spec.AutoscalePolicy.ScalingRules;
import dev.orch.api.spec.AutoscalePolicy.Select;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Decides one service's replica count from its metrics, with the maths of Kubernetes' HorizontalPodAutoscaler
 * (autoscaling/v2): each metric proposes a count ({@link Decision.MetricProposal}: ratio to target, tolerance,
 * missing and unready replicas filled in the direction that moves the least), the largest proposal wins (a
 * failed read with the others proposing a scale-down means no scale-down), the stabilization windows keep the
 * count between the lowest recommendation of the scale-up window and the highest of the scale-down window, and
 * the rate policies and the policy's bounds limit the change. Usable alone: give it what the replicas report and
 * apply what it decides.
 *
 * <pre>{@code
 * Autoscaler a = new Autoscaler(AutoscalePolicy.builder("orders").maxReplicas(10)
 *     .averageValue("requests-per-second", 50).build());
 * Decision d = a.decide(3, Map.of("orders-a", true, "orders-b", true, "orders-c", true),
 *     Map.of("requests-per-second", MetricReading.of(samples)), now);
 * if (d.changed()) { scale(d.desired()); }
 * }</pre>
 *
 * <p>It remembers its recommendations and its changes ({@link #history()}), which a restarted autoscaler takes
 * back ({@link #Autoscaler(AutoscalePolicy, ScaleHistory)}). A decision that changes the count is recorded as
 * made: apply it. Thread-safe: decisions are serialised.
 */
public final class Autoscaler {
  private final AutoscalePolicy policy;
  private final List<ScaleHistory.Stamped> recommendations = new ArrayList<>();
  private final List<ScaleHistory.Stamped> scaleUps = new ArrayList<>();
  private final List<ScaleHistory.Stamped> scaleDowns = new ArrayList<>();
  private boolean started;

  /** An autoscaler with no history: its first decision opens the scale-down window at the current count. */
  public Autoscaler(AutoscalePolicy policy) {
    this(policy, ScaleHistory.EMPTY);
  }

  /** An autoscaler that goes on from {@code history} (one an earlier autoscaler of the policy kept). */
  public Autoscaler(AutoscalePolicy policy, ScaleHistory history) {
    this.policy = Objects.requireNonNull(policy, "policy");
    Objects.requireNonNull(history, "history");
    recommendations.addAll(history.recommendations());
    scaleUps.addAll(history.scaleUps());
    scaleDowns.addAll(history.scaleDowns());
    started = !history.recommendations().isEmpty();
  }

  /** The policy it decides by. */
  public AutoscalePolicy policy() {
    return policy;
  }

  /** What it remembers now, to keep. */
  public synchronized ScaleHistory history() {
    return new ScaleHistory(recommendations, scaleUps, scaleDowns);
  }

  /**
   * Decides the replica count at {@code now}.
   *
   * @param current  the replica count the service has now (its desired count, as Kubernetes' scale subresource)
   * @param replicas the replicas that exist, by name, each ready or not
   * @param readings each metric's reading, by metric name; a metric of the policy without one counts as failed
   */
  public Decision decide(int current, Map<String, Boolean> replicas, Map<String, MetricReading> readings,
                        Instant now) {
    return decide(current, 0, replicas, readings, now);
  }

  /**
   * Decides the replica count at {@code now}, going below {@code floor} only as far as {@code current} is below
   * it already: a scale-down the metrics want below the floor is held there (reason {@code Held}) and recorded
   * as the change it makes, not the one it wanted, so the rate policies count only what happened. A caller
   * holds a rollout's count this way ({@code floor = current}).
   *
   * @param floor the count a scale-down stops at; 0 for none
   * @throws IllegalArgumentException if {@code current} or {@code floor} is negative
   */
  public synchronized Decision decide(int current, int floor, Map<String, Boolean> replicas,
                                      Map<String, MetricReading> readings, Instant now) {
    if (floor < 0) {
      throw new IllegalArgumentException("floor: " + floor + ": must be >= 0");
    }
    Decision d = decideUnrecorded(current, replicas, readings, now);
    if (d.desired() < current && d.desired() < floor) {
      int held = Math.min(current, floor);
      d = new Decision(d.service(), d.at(), current, d.metrics(), d.proposal(), d.stabilized(), held, "Held",
          "wanted " + d.desired() + ", held at " + held);
    }
    return record(d, now);
  }

  private Decision decideUnrecorded(int current, Map<String, Boolean> replicas, Map<String, MetricReading> readings,
                                    Instant now) {
    Objects.requireNonNull(replicas, "replicas");
    Objects.requireNonNull(readings, "readings");
    Objects.requireNonNull(now, "now");
    if (current < 0) {
      throw new IllegalArgumentException("current: " + current + ": must be >= 0");
    }
    if (!started) { // Kubernetes opens the scale-down window at the count it first sees: no scale-down at once
      started = true;
      recommendations.add(new ScaleHistory.Stamped(current, now));
    }
    if (current > policy.maxReplicas() || current < policy.minReplicas()) {
      int bounded = Math.max(policy.minReplicas(), Math.min(policy.maxReplicas(), current));
      return new Decision(policy.service(), now, current, List.of(), bounded, bounded, bounded,
          current > bounded ? "AboveMaxReplicas" : "BelowMinReplicas", "the count is brought within "
          + policy.minReplicas() + ".." + policy.maxReplicas());
    }
    if (current == 0) {
      return new Decision(policy.service(), now, 0, List.of(), 0, 0, 0, "AtZero", "no replica reports a metric: "
          + "the first call through the orchestrator's balancer wakes the service");
    }
    List<Decision.MetricProposal> proposals = new ArrayList<>();
    int best = -1;
    int invalid = 0;
    for (MetricTarget t : policy.metrics()) {
      MetricReading r = readings.getOrDefault(t.metric(), MetricReading.failed("no reading of " + t.metric()));
      Decision.MetricProposal p = ReplicaCalc.propose(t, current, replicas, r, now, policy.staleAfter(),
          policy.tolerance());
      proposals.add(p);
      if (p.valid()) {
        best = Math.max(best, p.proposal());
      } else {
        invalid++;
      }
    }
    if (invalid == proposals.size() || invalid > 0 && best < current) {
      String why = invalid == proposals.size() ? "no metric could be read"
          : "a metric could not be read and the others propose a scale-down: no scale-down";
      return new Decision(policy.service(), now, current, proposals, current, current, current,
          "MetricsUnavailable", why);
    }
    int stabilized = stabilize(current, best, now);
    return limit(current, stabilized, proposals, best, now);
  }

  /** Keeps {@code desired} between the scale-up window's lowest and the scale-down window's highest. */
  private int stabilize(int current, int desired, Instant now) {
    Instant upCutoff = now.minus(policy.scaleUp().stabilizationWindow());
    Instant downCutoff = now.minus(policy.scaleDown().stabilizationWindow());
    int up = desired;
    int down = desired;
    for (ScaleHistory.Stamped r : recommendations) {
      if (r.at().isAfter(upCutoff)) {
        up = Math.min(up, r.replicas());
      }
      if (r.at().isAfter(downCutoff)) {
        down = Math.max(down, r.replicas());
      }
    }
    int stabilized = Math.min(Math.max(current, up), down);
    recommendations.removeIf(r -> !r.at().isAfter(upCutoff) && !r.at().isAfter(downCutoff));
    recommendations.add(new ScaleHistory.Stamped(desired, now));
    return stabilized;
  }

  /** {@code desired} within the rate policies and the bounds, as a decision. */
  private Decision limit(int current, int desired, List<Decision.MetricProposal> proposals, int proposal,
                         Instant now) {
    String service = policy.service();
    if (desired > current) {
      int limit = Math.max(current, scaleUpLimit(current, policy.scaleUp(), now));
      int allowed = Math.min(policy.maxReplicas(), limit);
      if (desired > allowed) {
        String reason = limit < policy.maxReplicas() ? "ScaleUpLimit" : "TooManyReplicas";
        return new Decision(service, now, current, proposals, proposal, desired, allowed, reason, "wanted "
            + desired + ", " + (reason.equals("ScaleUpLimit") ? "the scale-up policies allow " + limit
            : "maxReplicas is " + policy.maxReplicas()));
      }
      return new Decision(service, now, current, proposals, proposal, desired, desired, "ScaleUp",
          "up to " + desired);
    }
    if (desired < current) {
      int limit = Math.min(current, scaleDownLimit(current, policy.scaleDown(), now));
      int allowed = Math.max(policy.minReplicas(), limit);
      if (desired < allowed) {
        String reason = limit > policy.minReplicas() ? "ScaleDownLimit" : "TooFewReplicas";
        return new Decision(service, now, current, proposals, proposal, desired, allowed, reason, "wanted "
            + desired + ", " + (reason.equals("ScaleDownLimit") ? "the scale-down policies allow " + limit
            : "minReplicas is " + policy.minReplicas()));
      }
      return new Decision(service, now, current, proposals, proposal, desired, desired, "ScaleDown",
          "down to " + desired);
    }
    String why = proposal == current ? "every metric is within tolerance of its target, or proposes " + current
        : "the stabilization windows hold " + current + " (proposal " + proposal + ")";
    return new Decision(service, now, current, proposals, proposal, desired, desired,
        proposal == current ? "WithinTolerance" : "Stabilized", why);
  }

  private int scaleUpLimit(int current, ScalingRules rules, Instant now) {
    if (rules.select() == Select.DISABLED) {
      return current;
    }
    int result = rules.select() == Select.MIN ? Integer.MAX_VALUE : Integer.MIN_VALUE;
    for (RatePolicy p : rules.policies()) {
      int start = current - changed(scaleUps, p.period(), now) + changed(scaleDowns, p.period(), now);
      int proposed = p.kind() == RateKind.PODS ? start + p.value()
          : ReplicaCalc.ceil(start * (1 + p.value() / 100.0));
      result = rules.select() == Select.MIN ? Math.min(result, proposed) : Math.max(result, proposed);
    }
    return result;
  }

  private int scaleDownLimit(int current, ScalingRules rules, Instant now) {
    if (rules.select() == Select.DISABLED) {
      return current;
    }
    int result = rules.select() == Select.MIN ? Integer.MIN_VALUE : Integer.MAX_VALUE;
    for (RatePolicy p : rules.policies()) {
      int start = current - changed(scaleUps, p.period(), now) + changed(scaleDowns, p.period(), now);
      int proposed = p.kind() == RateKind.PODS ? start - p.value() : (int) (start * (1 - p.value() / 100.0));
      result = rules.select() == Select.MIN ? Math.max(result, proposed) : Math.min(result, proposed);
    }
    return result;
  }

  /** The replicas changed by {@code events} within {@code period} before {@code now}. */
  private static int changed(List<ScaleHistory.Stamped> events, Duration period, Instant now) {
    Instant cutoff = now.minus(period);
    int n = 0;
    for (ScaleHistory.Stamped e : events) {
      if (e.at().isAfter(cutoff)) {
        n += e.replicas();
      }
    }
    return n;
  }

  /** Records a change {@code d} decides (as applied), dropping events older than every period. */
  private Decision record(Decision d, Instant now) {
    if (d.desired() > d.current()) {
      scaleUps.add(new ScaleHistory.Stamped(d.desired() - d.current(), now));
    } else if (d.desired() < d.current()) {
      scaleDowns.add(new ScaleHistory.Stamped(d.current() - d.desired(), now));
    }
    Instant upCutoff = now.minus(policy.scaleUp().longestPeriod());
    Instant downCutoff = now.minus(policy.scaleDown().longestPeriod());
    scaleUps.removeIf(e -> !e.at().isAfter(upCutoff) && !e.at().isAfter(downCutoff));
    scaleDowns.removeIf(e -> !e.at().isAfter(upCutoff) && !e.at().isAfter(downCutoff));
    return d;
  }
}
