package dev.orch.api.spec;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * How one service scales horizontally, with Kubernetes' HorizontalPodAutoscaler (autoscaling/v2) as the
 * reference: replicas between {@code minReplicas} (0 allowed: scale to zero) and {@code maxReplicas}, one or more
 * metrics each with a target, and, per policy rather than per cluster, a tolerance, a sync period, a bound on a
 * metric's age, and the scale-up and scale-down behaviour (stabilization windows and rate policies).
 *
 * <p>Build with {@code AutoscalePolicy.builder("orders").maxReplicas(10).averageValue("requests-per-second", 50)
 * .build()}; building checks the whole policy and reports every violation at once, with paths rooted at
 * {@code <service>.autoscale} ({@code orders.autoscale.maxReplicas: 0: must be >= 1}). Immutable and thread-safe.
 *
 * @param service     the service it scales
 * @param minReplicas the fewest replicas, at least 0
 * @param maxReplicas the most replicas, at least 1 and at least {@code minReplicas}
 * @param metrics     what it scales on; the largest proposal wins
 * @param syncPeriod  how often it decides (default 15 s)
 * @param tolerance   no change while every metric's ratio to its target is within 1 ± this (default 0.1)
 * @param staleAfter  a sample older than this counts as missing (default three sync periods)
 * @param scaleUp     how fast it may scale up (default: no window; by 100% or 4 replicas per 15 s, the larger)
 * @param scaleDown   how fast it may scale down (default: a 300 s window; by 100% per 15 s)
 */
public record AutoscalePolicy(String service, int minReplicas, int maxReplicas, List<MetricTarget> metrics,
                              Duration syncPeriod, double tolerance, Duration staleAfter, ScalingRules scaleUp,
                              ScalingRules scaleDown) {
  /** The default sync period. */
  public static final Duration DEFAULT_SYNC_PERIOD = Duration.ofSeconds(15);
  /** The default tolerance. */
  public static final double DEFAULT_TOLERANCE = 0.1;

  /** Creates a policy, copying the metrics; use the builder for validation. */
  public AutoscalePolicy {
    Objects.requireNonNull(service, "service");
    metrics = List.copyOf(Objects.requireNonNull(metrics, "metrics"));
    Objects.requireNonNull(syncPeriod, "syncPeriod");
    Objects.requireNonNull(staleAfter, "staleAfter");
    Objects.requireNonNull(scaleUp, "scaleUp");
    Objects.requireNonNull(scaleDown, "scaleDown");
  }

  /** Starts a builder for service {@code service}: 1 to 10 replicas, the defaults above, no metric yet. */
  public static Builder builder(@Nullable String service) {
    return new Builder(service);
  }

  /** Every violation in this policy, with paths rooted at {@code <service>.autoscale}; empty when valid. */
  public List<Violation> validate() {
    Violations v = new Violations();
    validate(v);
    return v.list();
  }

  private void validate(Violations v) {
    String root = service + ".autoscale";
    v.dnsLabel(root + ".service", service);
    v.atLeast(root + ".minReplicas", minReplicas, 0);
    v.atLeast(root + ".maxReplicas", maxReplicas, 1);
    if (maxReplicas >= 1 && minReplicas > maxReplicas) {
      v.add(root + ".minReplicas", minReplicas, "must be <= maxReplicas (" + maxReplicas + ")");
    }
    if (metrics.isEmpty()) {
      v.add(root + ".metrics", "[]", "must name at least one metric");
    }
    Set<String> seen = new HashSet<>();
    for (int i = 0; i < metrics.size(); i++) {
      MetricTarget m = metrics.get(i);
      String at = root + ".metrics[" + i + "]";
      v.notBlank(at + ".metric", m.metric());
      if (m.metric() != null && !seen.add(m.metric())) {
        v.add(at + ".metric", Violations.quoted(m.metric()), "must not repeat an earlier metric");
      }
      v.notNull(at + ".kind", m.kind());
      if (!(m.target() > 0) || Double.isInfinite(m.target())) {
        v.add(at + ".target", m.target(), "must be a finite number > 0");
      }
    }
    if (syncPeriod.compareTo(Duration.ofSeconds(1)) < 0) {
      v.add(root + ".syncPeriod", syncPeriod, "must be >= 1s");
    }
    if (!(tolerance >= 0 && tolerance < 1)) {
      v.add(root + ".tolerance", tolerance, "must be in 0 (inclusive) to 1 (exclusive)");
    }
    if (staleAfter.compareTo(syncPeriod) < 0) {
      v.add(root + ".staleAfter", staleAfter, "must be >= syncPeriod (" + syncPeriod + ")");
    }
    scaleUp.validate(root + ".scaleUp", v);
    scaleDown.validate(root + ".scaleDown", v);
  }

  /** What a metric's target means. */
  public enum TargetKind {
    /** The metric's average over the replicas that report it, per replica (requests per second, say). */
    AVERAGE_VALUE,
    /** The metric's usage as a percentage of what the replicas request of it (CPU, memory). */
    UTILIZATION
  }

  /**
   * A metric and its target.
   *
   * @param metric the metric's name, as its source knows it ({@code cpu}, {@code requests-per-second}, ...)
   * @param kind   what the target means
   * @param target the average value per replica, or the utilization in percent of the request
   */
  public record MetricTarget(String metric, TargetKind kind, double target) {
  }

  /** How a direction's rate policies combine. */
  public enum Select {
    /** The policy that allows the largest change. */
    MAX,
    /** The policy that allows the smallest change. */
    MIN,
    /** No change in this direction at all. */
    DISABLED
  }

  /** What a rate policy's value counts. */
  public enum RateKind {
    /** Replicas. */
    PODS,
    /** Percent of the replicas at the start of the period. */
    PERCENT
  }

  /**
   * A bound on how much the replica count may change within a period.
   *
   * @param kind   replicas or percent
   * @param value  how many (or what percentage), at least 1
   * @param period the period, 1 s to 30 min
   */
  public record RatePolicy(RateKind kind, int value, Duration period) {
    /** At most {@code replicas} replicas per {@code period}. */
    public static RatePolicy pods(int replicas, Duration period) {
      return new RatePolicy(RateKind.PODS, replicas, period);
    }

    /** At most {@code percent}% of the replicas per {@code period}. */
    public static RatePolicy percent(int percent, Duration period) {
      return new RatePolicy(RateKind.PERCENT, percent, period);
    }
  }

  /**
   * One direction's behaviour.
   *
   * @param stabilizationWindow the recommendations of this long ago count: scale up to the lowest of them, down to
   *                            the highest of them (0 s to 1 h)
   * @param policies            the rate policies (at least one unless {@code select} is {@code DISABLED})
   * @param select              how the policies combine
   */
  public record ScalingRules(Duration stabilizationWindow, List<RatePolicy> policies, Select select) {
    /** Creates rules, copying the policies. */
    public ScalingRules {
      Objects.requireNonNull(stabilizationWindow, "stabilizationWindow");
      policies = List.copyOf(Objects.requireNonNull(policies, "policies"));
      Objects.requireNonNull(select, "select");
    }

    /** Kubernetes' default scale-up: no window; by 100% or 4 replicas per 15 s, whichever is more. */
    public static ScalingRules defaultScaleUp() {
      return new ScalingRules(Duration.ZERO, List.of(RatePolicy.percent(100, Duration.ofSeconds(15)),
          RatePolicy.pods(4, Duration.ofSeconds(15))), Select.MAX);
    }

    /** Kubernetes' default scale-down: a 300 s window; by 100% per 15 s. */
    public static ScalingRules defaultScaleDown() {
      return new ScalingRules(Duration.ofSeconds(300), List.of(RatePolicy.percent(100, Duration.ofSeconds(15))),
          Select.MAX);
    }

    /** Rules with {@code window} and {@code policies}, the largest change winning. */
    public static ScalingRules of(Duration window, RatePolicy... policies) {
      return new ScalingRules(window, List.of(policies), Select.MAX);
    }

    /** No change in this direction. */
    public static ScalingRules disabled() {
      return new ScalingRules(Duration.ZERO, List.of(), Select.DISABLED);
    }

    /** This with {@code select}. */
    public ScalingRules withSelect(Select select) {
      return new ScalingRules(stabilizationWindow, policies, select);
    }

    /** The longest period among the policies, zero without any. */
    public Duration longestPeriod() {
      return policies.stream().map(RatePolicy::period).max(Duration::compareTo).orElse(Duration.ZERO);
    }

    void validate(String path, Violations v) {
      if (stabilizationWindow.isNegative() || stabilizationWindow.compareTo(Duration.ofHours(1)) > 0) {
        v.add(path + ".stabilizationWindow", stabilizationWindow, "must be between 0s and 1h");
      }
      if (policies.isEmpty() && select != Select.DISABLED) {
        v.add(path + ".policies", "[]", "must hold at least one policy unless select is DISABLED");
      }
      for (int i = 0; i < policies.size(); i++) {
        RatePolicy p = policies.get(i);
        String at = path + ".policies[" + i + "]";
        v.notNull(at + ".kind", p.kind());
        v.atLeast(at + ".value", p.value(), 1);
        if (p.period() == null || p.period().compareTo(Duration.ofSeconds(1)) < 0
            || p.period().compareTo(Duration.ofMinutes(30)) > 0) {
          v.add(at + ".period", p.period(), "must be between 1s and 30m");
        }
      }
    }
  }

  /** Builds an {@link AutoscalePolicy}; not thread-safe. */
  public static final class Builder {
    private final @Nullable String service;
    private int minReplicas = 1;
    private int maxReplicas = 10;
    private final List<MetricTarget> metrics = new ArrayList<>();
    private Duration syncPeriod = DEFAULT_SYNC_PERIOD;
    private double tolerance = DEFAULT_TOLERANCE;
    private @Nullable Duration staleAfter;
    private ScalingRules scaleUp = ScalingRules.defaultScaleUp();
    private ScalingRules scaleDown = ScalingRules.defaultScaleDown();

    private Builder(@Nullable String service) {
      this.service = service;
    }

    /** The fewest replicas (default 1; 0 scales to zero). */
    public Builder minReplicas(int min) {
      this.minReplicas = min;
      return this;
    }

    /** The most replicas (default 10). */
    public Builder maxReplicas(int max) {
      this.maxReplicas = max;
      return this;
    }

    /** Scales on {@code metric}'s average per replica, aiming at {@code target}. */
    public Builder averageValue(String metric, double target) {
      metrics.add(new MetricTarget(metric, TargetKind.AVERAGE_VALUE, target));
      return this;
    }

    /** Scales on {@code metric}'s usage in percent of the request, aiming at {@code percent}. */
    public Builder utilization(String metric, double percent) {
      metrics.add(new MetricTarget(metric, TargetKind.UTILIZATION, percent));
      return this;
    }

    /** How often it decides (default 15 s). */
    public Builder syncPeriod(Duration period) {
      this.syncPeriod = Objects.requireNonNull(period, "syncPeriod");
      return this;
    }

    /** The tolerance around each target's ratio of 1 (default 0.1). */
    public Builder tolerance(double tolerance) {
      this.tolerance = tolerance;
      return this;
    }

    /** How old a sample may be before it counts as missing (default three sync periods). */
    public Builder staleAfter(Duration age) {
      this.staleAfter = Objects.requireNonNull(age, "staleAfter");
      return this;
    }

    /** The scale-up behaviour (default {@link ScalingRules#defaultScaleUp()}). */
    public Builder scaleUp(ScalingRules rules) {
      this.scaleUp = Objects.requireNonNull(rules, "scaleUp");
      return this;
    }

    /** The scale-down behaviour (default {@link ScalingRules#defaultScaleDown()}). */
    public Builder scaleDown(ScalingRules rules) {
      this.scaleDown = Objects.requireNonNull(rules, "scaleDown");
      return this;
    }

    /**
     * Builds and checks the policy.
     *
     * @throws InvalidSpecException listing every violation
     */
    public AutoscalePolicy build() {
      Violations v = new Violations();
      String name = service == null ? "service" : service;
      if (!v.notNull(name + ".autoscale.service", service)) {
        v.throwIfAny();
      }
      AutoscalePolicy p = new AutoscalePolicy(service, minReplicas, maxReplicas, metrics, syncPeriod, tolerance,
          Optional.ofNullable(staleAfter).orElse(syncPeriod.multipliedBy(3)), scaleUp, scaleDown);
      p.validate(v);
      v.throwIfAny();
      return p;
    }
  }
}
