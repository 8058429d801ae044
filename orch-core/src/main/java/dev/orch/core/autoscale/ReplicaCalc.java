package dev.orch.core.autoscale;

import dev.orch.api.spec.AutoscalePolicy.MetricTarget;
import dev.orch.api.spec.AutoscalePolicy.TargetKind;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
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

  /** A replica's value (for utilization: its usage and its request). */
  private record Point(double value, double request) {
  }

  /**
   * The proposal of {@code target} for {@code current} replicas, given which replicas exist (and whether each is
   * ready) and the samples read; a metric with no usable sample fails.
   */
  static Decision.MetricProposal propose(MetricTarget target, int current, Map<String, Boolean> replicas,
                                         MetricReading reading, Instant now, Duration staleAfter,
                                         double tolerance) {
    if (reading.failure() != null) {
      return Decision.MetricProposal.failed(target, reading.failure());
    }
    Map<String, Point> points = new HashMap<>();
    int missing = 0;
    int unready = 0;
    for (Map.Entry<String, Boolean> r : replicas.entrySet()) {
      Sample s = reading.samples().get(r.getKey());
      boolean fresh = s != null && !s.at().isBefore(now.minus(staleAfter)) && Double.isFinite(s.value());
      if (!r.getValue()) {
        unready++; // left out; counts as 0 on a scale-up
      } else if (!fresh) {
        missing++;
      } else {
        points.put(r.getKey(), new Point(s.value(), s.request()));
      }
    }
    if (points.isEmpty()) {
      return Decision.MetricProposal.failed(target, "no fresh sample from a ready replica (" + missing
          + " ready replicas without one, " + unready + " not ready)");
    }
    if (target.kind() == TargetKind.UTILIZATION && points.values().stream().anyMatch(p -> !(p.request > 0))) {
      return Decision.MetricProposal.failed(target, "a replica reports no request of " + target.metric()
          + ", so its utilization is unknown");
    }
    double ratio = ratio(target, points);
    double average = average(target, points);
    boolean upWithUnready = unready > 0 && ratio > 1.0;
    if (!upWithUnready && missing == 0) {
      if (Math.abs(1.0 - ratio) <= tolerance) {
        return new Decision.MetricProposal(target, average, ratio, current, "within tolerance");
      }
      return new Decision.MetricProposal(target, average, ratio, (int) Math.ceil(ratio * points.size()),
          "ceil(" + fmt(ratio) + " x " + points.size() + " ready)");
    }
    // Fill in the replicas left out, in the direction that moves the least.
    for (Map.Entry<String, Boolean> r : replicas.entrySet()) {
      if (points.containsKey(r.getKey())) {
        continue;
      }
      double request = requestOf(reading, r.getKey(), points);
      if (r.getValue()) { // missing: at target on a scale-down, 0 on a scale-up
        if (ratio < 1.0) {
          points.put(r.getKey(), atTarget(target, request));
        } else {
          points.put(r.getKey(), new Point(0, request));
        }
      } else if (upWithUnready) {
        points.put(r.getKey(), new Point(0, request));
      }
    }
    double recomputed = ratio(target, points);
    String counted = points.size() + " counted (" + missing + " missing, " + unready + " not ready)";
    if (Math.abs(1.0 - recomputed) <= tolerance || ratio < 1.0 && recomputed > 1.0
        || ratio > 1.0 && recomputed < 1.0) {
      return new Decision.MetricProposal(target, average, recomputed, current, "recomputed ratio "
          + fmt(recomputed) + " over " + counted + " is within tolerance or against the first " + fmt(ratio));
    }
    int proposal = (int) Math.ceil(recomputed * points.size());
    if (recomputed < 1.0 && proposal > current || recomputed > 1.0 && proposal < current) {
      return new Decision.MetricProposal(target, average, recomputed, current, "ceil(" + fmt(recomputed) + " x "
          + points.size() + ") would move against the ratio");
    }
    return new Decision.MetricProposal(target, average, recomputed, proposal, "ceil(" + fmt(recomputed) + " x "
        + counted + ")");
  }

  private static double ratio(MetricTarget target, Map<String, Point> points) {
    if (target.kind() == TargetKind.UTILIZATION) {
      double used = 0;
      double requested = 0;
      for (Point p : points.values()) {
        used += p.value;
        requested += p.request;
      }
      return used / requested * 100 / target.target();
    }
    return average(target, points) / target.target();
  }

  /** The average value per replica (utilization: in percent of the request). */
  private static double average(MetricTarget target, Map<String, Point> points) {
    double sum = 0;
    double requested = 0;
    for (Point p : points.values()) {
      sum += p.value;
      requested += p.request;
    }
    return target.kind() == TargetKind.UTILIZATION ? sum / requested * 100 : sum / points.size();
  }

  /** A replica at target: the target itself, or (utilization) its request at the larger of 100% and the target. */
  private static Point atTarget(MetricTarget target, double request) {
    if (target.kind() == TargetKind.UTILIZATION) {
      return new Point(request * Math.max(100, target.target()) / 100, request);
    }
    return new Point(target.target(), request);
  }

  /** The request of replica {@code name}: its own sample's, or else the average of those counted. */
  private static double requestOf(MetricReading reading, String name, Map<String, Point> points) {
    Sample s = reading.samples().get(name);
    if (s != null && s.request() > 0) {
      return s.request();
    }
    return points.values().stream().mapToDouble(Point::request).average().orElse(0);
  }

  /** {@code x} to three decimals, in words cheaply (String.format would be most of a decision's cost). */
  static String fmt(double x) {
    if (!Double.isFinite(x)) {
      return Double.toString(x);
    }
    return Double.toString(Math.round(x * 1000) / 1000.0);
  }
}
