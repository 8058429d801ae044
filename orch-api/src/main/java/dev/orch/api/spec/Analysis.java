package dev.orch.api.spec;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.OptionalDouble;

/**
 * A health check of a new revision during a rollout, as Flagger's analysis or Argo Rollouts' analysis
 * runs: every {@code interval} each check looks at what Orch saw in that interval (the success rate and
 * latency of the requests reported through Orch's load balancers, per revision, and any Micrometer meter).
 * The analysis passes after {@code count} judged intervals in which every check held, and fails at the
 * {@code failureThreshold}-th interval in which one did not.
 *
 * <p>An analysis is data, so that a spec can be stored and read back by another JVM: its checks are a success
 * rate floor, a latency ceiling at a quantile, or the name of a check registered with the orchestrator
 * ({@code OrchestratorBuilder.analysisCheck(name, predicate)}: Java code, the same on every JVM that runs the
 * orchestrator, as a controller's code is). A spec that names a check the orchestrator does not have is
 * refused when applied, with that name.
 *
 * <p>An interval in which the revision under analysis served fewer than {@code minRequests} requests is
 * inconclusive: it counts neither way, but {@code inconclusiveLimit} of them in a row fail the analysis (a
 * revision that gets no traffic, say because the load balancer ejected it, proves nothing). A check that
 * throws has failed.
 *
 * <pre>{@code
 * Analysis success = Analysis.builder()
 *     .interval(Duration.ofSeconds(10)).count(5).failureThreshold(2)
 *     .successRate(0.99)                              // at least 99% of the canary's requests succeed
 *     .latency(0.99, Duration.ofMillis(500))          // p99 at most 500 ms
 *     .check("no app errors")                         // registered: analysisCheck("no app errors", m -> ...)
 *     .build();
 * }</pre>
 *
 * <p>Immutable and thread-safe; equal when every setting and check is.
 */
public final class Analysis {
  private final Duration interval;
  private final int count;
  private final int failureThreshold;
  private final long minRequests;
  private final int inconclusiveLimit;
  private final List<Check> checks;

  private Analysis(Builder b) {
    this.interval = b.interval;
    this.count = b.count;
    this.failureThreshold = b.failureThreshold;
    this.minRequests = b.minRequests;
    this.inconclusiveLimit = b.inconclusiveLimit;
    this.checks = List.copyOf(b.checks);
  }

  /**
   * Starts a builder: interval 10 s, count 5, failure threshold 1, at least 1 request per interval, 5
   * inconclusive intervals in a row at most.
   */
  public static Builder builder() {
    return new Builder();
  }

  /** How often the checks run. */
  public Duration interval() {
    return interval;
  }

  /** How many judged intervals must pass for the analysis to pass. */
  public int count() {
    return count;
  }

  /** The number of failed intervals at which the analysis fails. */
  public int failureThreshold() {
    return failureThreshold;
  }

  /** The fewest requests on the revision under analysis for an interval to be judged. */
  public long minRequests() {
    return minRequests;
  }

  /** How many inconclusive intervals in a row fail the analysis. */
  public int inconclusiveLimit() {
    return inconclusiveLimit;
  }

  /** The checks, in order. */
  public List<Check> checks() {
    return checks;
  }

  /** Every violation of this analysis alone, with paths under {@code analysis}; empty when valid. */
  public List<Violation> validate() {
    Violations v = new Violations();
    validate("analysis", v);
    return v.list();
  }

  void validate(String path, Violations v) {
    if (interval.compareTo(Duration.ofMillis(1)) < 0) {
      v.add(path + ".interval", interval, "must be >= 1ms");
    }
    v.atLeast(path + ".count", count, 1);
    v.atLeast(path + ".failureThreshold", failureThreshold, 1);
    v.atLeast(path + ".minRequests", minRequests, 0);
    v.atLeast(path + ".inconclusiveLimit", inconclusiveLimit, 1);
    if (checks.isEmpty()) {
      v.add(path + ".checks", checks, "must hold at least one check");
    }
    for (int i = 0; i < checks.size(); i++) {
      String at = path + ".checks[" + i + "]";
      Check c = checks.get(i);
      if (c instanceof Check.SuccessRate) {
        double min = ((Check.SuccessRate) c).atLeast();
        if (!(min >= 0 && min <= 1)) {
          v.add(at + ".successRate", min, "must be within 0..1");
        }
      } else if (c instanceof Check.Latency) {
        Check.Latency l = (Check.Latency) c;
        if (!(l.quantile() > 0 && l.quantile() <= 1)) {
          v.add(at + ".quantile", l.quantile(), "must be within (0, 1]");
        }
        if (l.atMost().isNegative()) {
          v.add(at + ".atMost", l.atMost(), "must not be negative");
        }
      } else {
        v.notBlank(at + ".name", c.name());
      }
    }
  }

  /** The names of the registered checks this analysis refers to, in order. */
  public List<String> namedChecks() {
    return checks.stream().filter(Check.Named.class::isInstance).map(Check::name).toList();
  }

  @Override
  public boolean equals(Object o) {
    if (this == o) {
      return true;
    }
    if (!(o instanceof Analysis)) {
      return false;
    }
    Analysis a = (Analysis) o;
    return interval.equals(a.interval) && count == a.count && failureThreshold == a.failureThreshold
        && minRequests == a.minRequests && inconclusiveLimit == a.inconclusiveLimit && checks.equals(a.checks);
  }

  @Override
  public int hashCode() {
    return Objects.hash(interval, count, failureThreshold, minRequests, inconclusiveLimit, checks);
  }

  /** Names the settings and the checks. */
  @Override
  public String toString() {
    return "Analysis[interval=" + interval + ", count=" + count + ", failureThreshold=" + failureThreshold
        + ", minRequests=" + minRequests + ", inconclusiveLimit=" + inconclusiveLimit + ", checks=" + checks.stream().map(Check::name).toList() + "]";
  }

  /**
   * One check of an interval: data, so that the spec holding it can be stored. Immutable and thread-safe.
   */
  public sealed interface Check {
    /** What it checks, in words; shown when it fails. */
    String name();

    /**
     * At least {@code atLeast} (0..1) of the requests to the revision under analysis succeeded.
     *
     * @param atLeast the lowest success rate that passes, such as 0.99
     */
    record SuccessRate(double atLeast) implements Check {
      @Override
      public String name() {
        return "success rate >= " + percent(atLeast);
      }
    }

    /**
     * The latency of the revision under analysis at {@code quantile} is at most {@code atMost}.
     *
     * @param quantile the quantile, in (0, 1], such as 0.99
     * @param atMost   the highest latency that passes
     */
    record Latency(double quantile, Duration atMost) implements Check {
      /** Creates a latency check. */
      public Latency {
        Objects.requireNonNull(atMost, "atMost");
      }

      @Override
      public String name() {
        return "p" + percent(quantile).replace("%", "") + " latency <= " + atMost.toMillis() + "ms";
      }
    }

    /**
     * The check registered with the orchestrator under {@code name}.
     *
     * @param name the name it was registered under
     */
    record Named(String name) implements Check {
      /** Creates a reference to a registered check. */
      public Named {
        Objects.requireNonNull(name, "name");
      }
    }

    private static String percent(double fraction) {
      double p = fraction * 100;
      return (p == Math.rint(p) ? Long.toString((long) p) : Double.toString(p)) + "%";
    }
  }

  /**
   * What a check sees: the traffic of one interval, per side of the rollout, and the meters. Used on the
   * service's worker thread only, for the one call of each check.
   */
  public interface Metrics {
    /** The service under rollout. */
    String service();

    /** The revision under analysis (the canary, or blue/green's preview). */
    String revision();

    /** The stable revision, which serves the rest of the traffic. */
    String stableRevision();

    /** The requests served by the revision under analysis in this interval. */
    Traffic canary();

    /** The requests served by the stable revision in this interval. */
    Traffic stable();

    /**
     * The value now of the Micrometer meter named {@code name} with these tags, in the meter registry the
     * orchestrator was built with (a counter's count, a gauge's value, a timer's or distribution summary's
     * mean in its base unit); empty if there is no such meter. (orch-api does not depend on Micrometer,
     * hence names and tags rather than meter types.)
     */
    OptionalDouble meter(String name, Map<String, String> tags);
  }

  /**
   * The requests one revision served in one interval, as reported through Orch's load balancers.
   * Implementations are immutable and thread-safe.
   */
  public interface Traffic {
    /** Requests reported. */
    long requests();

    /** Requests reported as failed. */
    long failures();

    /** Successes over requests; NaN when there was none. */
    default double successRate() {
      long n = requests();
      return n == 0 ? Double.NaN : (double) (n - failures()) / n;
    }

    /**
     * The latency at {@code quantile} (0..1) of the requests with a reported latency, within a few percent;
     * {@link Duration#ZERO} when there was none.
     */
    Duration latency(double quantile);
  }

  /** Builds an {@link Analysis}; not thread-safe. */
  public static final class Builder {
    private Duration interval = Duration.ofSeconds(10);
    private int count = 5;
    private int failureThreshold = 1;
    private long minRequests = 1;
    private int inconclusiveLimit = 5;
    private final List<Check> checks = new ArrayList<>();

    private Builder() {
    }

    /** How often the checks run (default 10 s). */
    public Builder interval(Duration interval) {
      this.interval = Objects.requireNonNull(interval, "interval");
      return this;
    }

    /** How many judged intervals must pass (default 5). */
    public Builder count(int count) {
      this.count = count;
      return this;
    }

    /** The number of failed intervals at which the analysis fails (default 1: the first). */
    public Builder failureThreshold(int threshold) {
      this.failureThreshold = threshold;
      return this;
    }

    /** The fewest requests for an interval to be judged (default 1). */
    public Builder minRequests(long minRequests) {
      this.minRequests = minRequests;
      return this;
    }

    /** How many inconclusive intervals in a row fail the analysis (default 5). */
    public Builder inconclusiveLimit(int limit) {
      this.inconclusiveLimit = limit;
      return this;
    }

    /** Adds a check that at least {@code atLeast} (0..1) of the requests to the revision succeed. */
    public Builder successRate(double atLeast) {
      checks.add(new Check.SuccessRate(atLeast));
      return this;
    }

    /** Adds a check that the revision's latency at {@code quantile} (in (0, 1]) is at most {@code atMost}. */
    public Builder latency(double quantile, Duration atMost) {
      checks.add(new Check.Latency(quantile, Objects.requireNonNull(atMost, "atMost")));
      return this;
    }

    /**
     * Adds the check registered with the orchestrator under {@code name}
     * ({@code OrchestratorBuilder.analysisCheck(name, predicate)}).
     */
    public Builder check(String name) {
      checks.add(new Check.Named(Objects.requireNonNull(name, "name")));
      return this;
    }

    /** Adds {@code check}. */
    public Builder check(Check check) {
      checks.add(Objects.requireNonNull(check, "check"));
      return this;
    }

    /**
     * Builds the analysis. Its rules are checked with the spec that uses it (when the {@code ServiceSpec} is
     * built or applied), so that every violation of the whole spec is reported at once, each under its path
     * from the service ({@code orders.rollout.steps[1].analysis.count: 0: must be >= 1}); {@link #validate()}
     * checks it alone.
     */
    public Analysis build() {
      return new Analysis(this);
    }
  }
}
