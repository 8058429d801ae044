package dev.orch.core.autoscale;

import dev.orch.api.spec.AutoscalePolicy.MetricTarget;
import dev.orch.api.spec.AutoscalePolicy.TargetKind;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;

/**
 * One metric's proposal, as Kubernetes' replica calculator computes it ({@code GetMetricReplicas} and
 * {@code GetResourceReplicas}): the ratio of the metric over the ready replicas that report it to the target; no
 * change within tolerance; otherwise {@code ceil(ratio * replicas counted)}. Replicas with a missing (or stale)
 * metric count as at target when the first ratio says down and as 0 when it says up; replicas not ready count as
 * 0 when it says up; a recomputed ratio that flips direction or falls within tolerance keeps the current count,
 * and so does a proposal that moves against its ratio. Stateless.
 */
final class ReplicaCalc {
  private ReplicaCalc() {
  }

  /** The sums over the replicas counted: how many, their values and their requests. */
  private static final class Sums {
    int n;
    double value;
    double request;

    void add(double v, double r) {
      n++;
      value += v;
      request += r;
    }

    /** The ratio to {@code target}: usage over request for utilization, the average otherwise. */
    double ratio(MetricTarget target) {
      return target.kind() == TargetKind.UTILIZATION ? value / request * 100 / target.target()
          : value / n / target.target();
    }

    /** The average value per replica (utilization: in percent of the request). */
    double average(MetricTarget target) {
      return target.kind() == TargetKind.UTILIZATION ? value / request * 100 : value / n;
    }
  }

  /**
   * The proposal of {@code target} for {@code current} replicas, given which replicas exist (and whether each is
   * ready) and the samples read; a metric with no usable sample fails. Sums as it goes: no map, no per-replica
   * object, so a decision over many replicas costs little.
   */
  static Decision.MetricProposal propose(MetricTarget target, int current, Map<String, Boolean> replicas,
                                         MetricReading reading, Instant now, Duration staleAfter,
                                         double tolerance) {
    if (reading.failure() != null) {
      return Decision.MetricProposal.failed(target, reading.failure());
    }
    Instant staleBefore = now.minus(staleAfter);
    Map<String, Sample> samples = reading.samples();
    Sums sums = new Sums();
    int missing = 0;
    int unready = 0;
    boolean requestsKnown = true;
    for (Map.Entry<String, Boolean> r : replicas.entrySet()) {
      if (!r.getValue()) {
        unready++; // left out; counts as 0 on a scale-up
        continue;
      }
      Sample s = samples.get(r.getKey());
      if (s != null && !s.at().isBefore(staleBefore) && Double.isFinite(s.value())) {
        sums.add(s.value(), s.request());
        requestsKnown &= s.request() > 0;
      } else {
        missing++;
      }
    }
    if (sums.n == 0) {
      return Decision.MetricProposal.failed(target, "no fresh sample from a ready replica (" + missing
          + " ready replicas without one, " + unready + " not ready)");
    }
    if (target.kind() == TargetKind.UTILIZATION && !requestsKnown) {
      return Decision.MetricProposal.failed(target, "a replica reports no request of " + target.metric()
          + ", so its utilization is unknown");
    }
    double ratio = sums.ratio(target);
    double average = sums.average(target);
    boolean upWithUnready = unready > 0 && ratio > 1.0;
    if (!upWithUnready && missing == 0) {
      if (Math.abs(1.0 - ratio) <= tolerance) {
        return new Decision.MetricProposal(target, average, ratio, current, "within tolerance");
      }
      return new Decision.MetricProposal(target, average, ratio, ceil(ratio * sums.n),
          "ceil(" + fmt(ratio) + " x " + sums.n + " ready)");
    }
    // Fill in the replicas left out, in the direction that moves the least.
    double averageRequest = sums.request / sums.n;
    for (Map.Entry<String, Boolean> r : replicas.entrySet()) {
      Sample s = samples.get(r.getKey());
      boolean counted = r.getValue() && s != null && !s.at().isBefore(staleBefore) && Double.isFinite(s.value());
      if (counted) {
        continue;
      }
      double request = s != null && s.request() > 0 ? s.request() : averageRequest;
      if (r.getValue()) { // missing: at target on a scale-down, 0 on a scale-up
        sums.add(ratio < 1.0 ? atTarget(target, request) : 0, request);
      } else if (upWithUnready) {
        sums.add(0, request);
      }
    }
    double recomputed = sums.ratio(target);
    if (Math.abs(1.0 - recomputed) <= tolerance || ratio < 1.0 && recomputed > 1.0
        || ratio > 1.0 && recomputed < 1.0) {
      return new Decision.MetricProposal(target, average, recomputed, current, "recomputed ratio "
          + fmt(recomputed) + " over " + counted(sums, missing, unready) + " is within tolerance or against the"
          + " first " + fmt(ratio));
    }
    int proposal = ceil(recomputed * sums.n);
    if (recomputed < 1.0 && proposal > current || recomputed > 1.0 && proposal < current) {
      return new Decision.MetricProposal(target, average, recomputed, current, "ceil(" + fmt(recomputed) + " x "
          + sums.n + ") would move against the ratio");
    }
    return new Decision.MetricProposal(target, average, recomputed, proposal, "ceil(" + fmt(recomputed) + " x "
        + counted(sums, missing, unready) + ")");
  }

  private static String counted(Sums sums, int missing, int unready) {
    return sums.n + " counted (" + missing + " missing, " + unready + " not ready)";
  }

  /** A replica's value at target: the target itself, or (utilization) its request at the larger of 100% and the target. */
  private static double atTarget(MetricTarget target, double request) {
    if (target.kind() == TargetKind.UTILIZATION) {
      return request * Math.max(100, target.target()) / 100;
    }
    return target.target();
  }

  /**
   * {@code ceil(x)}, where an {@code x} within 1e-9 above a whole number is that number: floating-point rounding
   * of a ratio that comes to a whole count (30 requests over 7 replicas against 5 each: 6) must not add a
   * replica, or proposals alternate between two counts and the stabilization window holds the larger forever.
   */
  static int ceil(double x) {
    return (int) Math.ceil(x - 1e-9);
  }

  /** {@code x} to three decimals, in words cheaply (String.format would be most of a decision's cost). */
  static String fmt(double x) {
    if (!Double.isFinite(x)) {
      return Double.toString(x);
    }
    return Double.toString(Math.round(x * 1000) / 1000.0);
  }
}
