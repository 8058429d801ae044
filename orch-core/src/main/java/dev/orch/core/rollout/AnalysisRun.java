package dev.orch.core.rollout;

import dev.orch.api.spec.Analysis;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.OptionalDouble;
import java.util.function.Predicate;

/**
 * One run of an {@link Analysis} on a rollout's new revision: every interval it measures the traffic of
 * the interval and runs the checks, until enough intervals passed or too many failed. Worker only.
 */
final class AnalysisRun {
  /** Where the run stands. */
  enum Verdict {
    RUNNING, PASSED, FAILED
  }

  private final Analysis analysis;
  private final String service;
  private final String revision;
  private final String stable;
  private final RevisionTraffic traffic;
  private final MeterRegistry meters;
  private final Map<String, Predicate<Analysis.Metrics>> registered;
  private Instant nextAt;
  private RevisionTraffic.Snapshot canaryMark;
  private RevisionTraffic.Snapshot stableMark;
  private int passed;
  private int failed;
  private int inconclusive;
  private Verdict verdict = Verdict.RUNNING;
  private String summary;

  AnalysisRun(Analysis analysis, String service, String revision, String stable, RevisionTraffic traffic,
              MeterRegistry meters, Map<String, Predicate<Analysis.Metrics>> registered, Instant now) {
    this.analysis = analysis;
    this.service = service;
    this.revision = revision;
    this.stable = stable;
    this.traffic = traffic;
    this.meters = meters;
    this.registered = registered;
    this.nextAt = now.plus(analysis.interval());
    this.canaryMark = traffic.snapshot(service, revision);
    this.stableMark = traffic.snapshot(service, stable);
    this.summary = "analysis started: " + analysis.count() + " intervals of " + RolloutPlanner.human(analysis.interval())
        + " must pass";
  }

  Verdict verdict() {
    return verdict;
  }

  /** The last outcome, in words. */
  String summary() {
    return summary;
  }

  /** The judged and inconclusive intervals so far, as a restarted orchestrator resumes them. */
  Progress progress() {
    return new Progress(passed, failed, inconclusive);
  }

  /** Goes on from {@code p}, the progress of a run a previous orchestrator made; this interval starts now. */
  void resume(Progress p) {
    passed = p.passed();
    failed = p.failed();
    inconclusive = p.inconclusive();
    summary = "analysis resumed after a restart: " + passed + "/" + analysis.count() + " passed, " + failed + "/"
        + analysis.failureThreshold() + " failures";
  }

  /**
   * How far a run got.
   *
   * @param passed       intervals passed
   * @param failed       intervals failed
   * @param inconclusive inconclusive intervals in a row
   */
  record Progress(int passed, int failed, int inconclusive) {
  }

  /**
   * Starts the current interval afresh at {@code now} (after a pause: the paused time is not judged).
   */
  void restartInterval(Instant now) {
    nextAt = now.plus(analysis.interval());
    canaryMark = traffic.snapshot(service, revision);
    stableMark = traffic.snapshot(service, stable);
  }

  /**
   * Judges the interval that ended by {@code now}, if one did (one interval however long the worker was
   * away: what was reported meanwhile counts once); returns how long until the next one ends (null when
   * the run is over).
   */
  Duration tick(Instant now) {
    if (verdict != Verdict.RUNNING) {
      return null;
    }
    if (now.isBefore(nextAt)) {
      return Duration.between(now, nextAt);
    }
    RevisionTraffic.Snapshot canaryNow = traffic.snapshot(service, revision);
    RevisionTraffic.Snapshot stableNow = traffic.snapshot(service, stable);
    Metrics m = new Metrics(canaryNow.since(canaryMark), stableNow.since(stableMark));
    canaryMark = canaryNow;
    stableMark = stableNow;
    nextAt = now.plus(analysis.interval());
    if (m.canary().requests() < analysis.minRequests()) {
      inconclusive++;
      summary = "analysis interval inconclusive: " + m.canary().requests() + " requests on " + revision
          + " (at least " + analysis.minRequests() + " needed); " + inconclusive + "/" + analysis.inconclusiveLimit()
          + " in a row" + (m.canary().requests() == 0 && m.stable().requests() == 0 ? "; no outcomes were "
          + "reported through orch.loadBalancer(\"" + service + "\") (a balancer built from orch.endpoints(...) "
          + "alone does not feed analyses)" : "");
      if (inconclusive >= analysis.inconclusiveLimit()) {
        verdict = Verdict.FAILED;
        return null;
      }
      return analysis.interval();
    }
    inconclusive = 0;
    List<String> failures = new ArrayList<>();
    for (Analysis.Check check : analysis.checks()) {
      try {
        if (!holds(check, m)) {
          failures.add("'" + check.name() + "' failed");
        }
      } catch (RuntimeException e) {
        failures.add("'" + check.name() + "' threw " + e);
      }
    }
    String seen = String.format("success rate %.2f%% over %d requests, p99 %dms", 100 * m.canary().successRate(),
        m.canary().requests(), m.canary().latency(0.99).toMillis());
    if (failures.isEmpty()) {
      passed++;
      summary = "analysis interval " + (passed + failed) + " passed (" + seen + "); " + passed + "/"
          + analysis.count() + " passed";
      if (passed >= analysis.count()) {
        verdict = Verdict.PASSED;
        return null;
      }
    } else {
      failed++;
      summary = "analysis interval " + (passed + failed) + ": " + String.join(", ", failures) + " (" + seen + "); "
          + failed + "/" + analysis.failureThreshold() + " failures";
      if (failed >= analysis.failureThreshold()) {
        verdict = Verdict.FAILED;
        return null;
      }
    }
    return analysis.interval();
  }

  private boolean holds(Analysis.Check check, Metrics m) {
    if (check instanceof Analysis.Check.SuccessRate s) {
      double rate = m.canary().successRate();
      return !Double.isNaN(rate) && rate >= s.atLeast();
    }
    if (check instanceof Analysis.Check.Latency l) {
      return m.canary().latency(l.quantile()).compareTo(l.atMost()) <= 0;
    }
    Predicate<Analysis.Metrics> p = registered.get(check.name());
    if (p == null) { // apply refuses such a spec; a check can only go missing with another orchestrator's code
      throw new IllegalStateException("no check is registered as \"" + check.name() + "\"");
    }
    return p.test(m);
  }

  /** What the checks see. */
  private final class Metrics implements Analysis.Metrics {
    private final Analysis.Traffic canary;
    private final Analysis.Traffic stableTraffic;

    Metrics(Analysis.Traffic canary, Analysis.Traffic stableTraffic) {
      this.canary = canary;
      this.stableTraffic = stableTraffic;
    }

    @Override
    public String service() {
      return service;
    }

    @Override
    public String revision() {
      return revision;
    }

    @Override
    public String stableRevision() {
      return stable;
    }

    @Override
    public Analysis.Traffic canary() {
      return canary;
    }

    @Override
    public Analysis.Traffic stable() {
      return stableTraffic;
    }

    @Override
    public OptionalDouble meter(String name, Map<String, String> tags) {
      var search = meters.find(name);
      for (Map.Entry<String, String> t : tags.entrySet()) {
        search = search.tag(t.getKey(), t.getValue());
      }
      Meter meter = search.meter();
      if (meter == null) {
        return OptionalDouble.empty();
      }
      if (meter instanceof Counter c) {
        return OptionalDouble.of(c.count());
      }
      if (meter instanceof Gauge g) {
        return OptionalDouble.of(g.value());
      }
      if (meter instanceof Timer t) {
        return OptionalDouble.of(t.mean(t.baseTimeUnit()));
      }
      if (meter instanceof DistributionSummary d) {
        return OptionalDouble.of(d.mean());
      }
      for (var measurement : meter.measure()) {
        return OptionalDouble.of(measurement.getValue());
      }
      return OptionalDouble.empty();
    }
  }
}
