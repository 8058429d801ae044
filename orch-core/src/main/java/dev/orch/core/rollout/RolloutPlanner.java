package dev.orch.core.rollout;

import dev.orch.api.spec.RolloutStrategy;
import dev.orch.api.spec.RolloutStrategy.CanaryStep;
import dev.orch.core.RolloutStep;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The shapes a rollout passes through, as pure functions of its position: the controller realises them and
 * {@code Orchestrator.plan} lists them, so that a real rollout takes exactly the planned steps.
 */
public final class RolloutPlanner {
  private RolloutPlanner() {
  }

  /** How a slice of replicas takes traffic. */
  public enum Kind {
    /** In the service's endpoints, with its weight. */
    SERVING,
    /** Only in the service's preview endpoints (blue/green before promotion). */
    PREVIEW,
    /** In no endpoints: blue/green's old set, kept for an instant rollback until the scale-down delay ends. */
    IDLE
  }

  /**
   * The replicas of one revision a rollout asks for.
   *
   * @param revision the revision id
   * @param replicas how many
   * @param weight   percent of the service's traffic
   * @param kind     how it takes traffic
   */
  public record Slice(String revision, int replicas, double weight, Kind kind) {
  }

  /**
   * Where a blue/green or canary rollout stands.
   *
   * @param weight    the canary's percent of traffic
   * @param scaledUp  canary: past its steps, the canary is scaled to the full count
   * @param promoted  all traffic is on the new revision
   * @param aborted   all traffic is back on the stable revision and the new one goes
   */
  public record Position(double weight, boolean scaledUp, boolean promoted, boolean aborted) {
    public static final Position START = new Position(0, false, false, false);
  }

  /** The replicas of a canary at {@code percent} of the traffic: the same share of {@code n}, at least 1. */
  public static int canaryReplicas(int n, double percent) {
    if (percent <= 0 || n == 0) {
      return 0;
    }
    return Math.min(n, Math.max(1, (int) Math.ceil(n * percent / 100 - 1e-9)));
  }

  /** The slices of a blue/green or canary rollout of {@code n} replicas at {@code p}. */
  public static List<Slice> slices(RolloutStrategy strategy, int n, String stable, String target, Position p) {
    if (stable.equals(target) || p.aborted()) {
      return List.of(new Slice(stable, n, 100, Kind.SERVING));
    }
    if (strategy instanceof RolloutStrategy.BlueGreen) {
      return p.promoted()
          ? List.of(new Slice(target, n, 100, Kind.SERVING), new Slice(stable, n, 0, Kind.IDLE))
          : List.of(new Slice(stable, n, 100, Kind.SERVING), new Slice(target, n, 0, Kind.PREVIEW));
    }
    if (p.promoted()) {
      return List.of(new Slice(target, n, 100, Kind.SERVING));
    }
    int canary = p.scaledUp() ? n : canaryReplicas(n, p.weight());
    if (canary == 0) {
      return List.of(new Slice(stable, n, 100 - p.weight(), Kind.SERVING));
    }
    return List.of(new Slice(stable, n, 100 - p.weight(), Kind.SERVING),
        new Slice(target, canary, p.weight(), Kind.SERVING));
  }

  /** A step over {@code slices}: the stable set is never reduced before promotion, so the floor is {@code n}. */
  public static RolloutStep step(int index, String action, int n, List<Slice> slices) {
    Map<String, Integer> replicas = new LinkedHashMap<>();
    Map<String, Double> weights = new LinkedHashMap<>();
    int total = 0;
    for (Slice s : slices) {
      replicas.put(s.revision(), s.replicas());
      weights.put(s.revision(), s.kind() == Kind.SERVING ? s.weight() : 0.0);
      total += s.replicas();
    }
    return new RolloutStep(index, action, replicas, n, total, weights);
  }

  /** The words for a canary step. */
  public static String describe(CanaryStep step) {
    if (step instanceof CanaryStep.SetWeight w) {
      return "setWeight " + percent(w.percent());
    }
    if (step instanceof CanaryStep.Pause pause) {
      return pause.duration().map(d -> "pause " + human(d)).orElse("pause until resumed");
    }
    return "analysis " + ((CanaryStep.Analyze) step).analysis().checks().stream()
        .map(dev.orch.api.spec.Analysis.Check::name).toList();
  }

  /** The steps of a blue/green or canary rollout of {@code n} replicas from {@code stable} to {@code target}. */
  public static List<RolloutStep> steps(RolloutStrategy strategy, int n, String stable, String target) {
    List<RolloutStep> out = new ArrayList<>();
    if (strategy instanceof RolloutStrategy.BlueGreen bg) {
      List<Slice> preview = slices(bg, n, stable, target, Position.START);
      out.add(step(out.size(), "preview", n, preview));
      bg.prePromotionAnalysis().ifPresent(a -> out.add(step(out.size(), "analysis " + a.checks().stream()
          .map(dev.orch.api.spec.Analysis.Check::name).toList(), n, preview)));
      if (!bg.autoPromote()) {
        out.add(step(out.size(), "await promote", n, preview));
      }
      out.add(step(out.size(), "promote", n, slices(bg, n, stable, target, new Position(0, true, true, false))));
      out.add(step(out.size(), "scale down", n, slices(bg, n, target, target, Position.START)));
      return out;
    }
    RolloutStrategy.Canary canary = (RolloutStrategy.Canary) strategy;
    double weight = 0;
    for (CanaryStep s : canary.steps()) {
      if (s instanceof CanaryStep.SetWeight w) {
        weight = w.percent();
      }
      out.add(step(out.size(), describe(s), n, slices(canary, n, stable, target,
          new Position(weight, false, false, false))));
    }
    if (canaryReplicas(n, weight) < n) {
      out.add(step(out.size(), "scale up", n, slices(canary, n, stable, target,
          new Position(weight, true, false, false))));
    }
    out.add(step(out.size(), "promote", n, slices(canary, n, stable, target,
        new Position(100, true, true, false))));
    return out;
  }

  /**
   * The waves of a rolling update of {@code n} replicas: each surges up to {@code surge} new replicas beside
   * old ones, then replaces up to {@code unavailable} old ones, in ordinal order, and the next wave starts
   * when every new replica of this one is available and the old ones it supersedes are gone.
   */
  public static List<RolloutStep> rollingWaves(int n, int surge, int unavailable, String from, String to) {
    List<RolloutStep> out = new ArrayList<>();
    int updated = 0;
    while (updated < n) {
      int surged = Math.min(surge, n - updated);
      int replaced = Math.min(unavailable, n - updated - surged);
      int newCount = updated + surged + replaced;
      int oldCount = n - updated - replaced;
      Map<String, Integer> replicas = new LinkedHashMap<>();
      replicas.put(from, oldCount);
      replicas.put(to, newCount);
      out.add(new RolloutStep(out.size(), "surge " + surged + ", replace " + replaced, replicas, n - unavailable,
          n + surge, rollingWeights(from, oldCount, to, newCount)));
      updated = newCount;
    }
    return out;
  }

  /**
   * The steps of a stateful service's update of {@code n} replicas: from the highest ordinal down to the
   * partition, {@code maxUnavailable} at a time, each removed before its successor is created (no surge);
   * with {@code OnDelete}, one step that moves nothing.
   */
  public static List<RolloutStep> statefulSteps(dev.orch.api.spec.Stateful.Update update, int n, String from,
                                                String to) {
    List<RolloutStep> out = new ArrayList<>();
    int floor = Math.max(0, n - update.maxUnavailable());
    if (update.onDelete()) {
      out.add(new RolloutStep(0, "OnDelete: each replica moves when it is deleted", Map.of(from, n, to, 0), n, n,
          rollingWeights(from, n, to, 0)));
      return out;
    }
    int moved = 0;
    for (int high = n - 1; high >= update.partition(); high -= update.maxUnavailable()) {
      int low = Math.max(update.partition(), high - update.maxUnavailable() + 1);
      moved += high - low + 1;
      out.add(new RolloutStep(out.size(), "replace " + (low == high ? "replica " + high : "replicas " + high + ".."
          + low), Map.of(from, n - moved, to, moved), floor, n, rollingWeights(from, n - moved, to, moved)));
    }
    return out;
  }

  /** A rolling update's traffic: each replica the same share. */
  public static Map<String, Double> rollingWeights(String from, int oldCount, String to, int newCount) {
    Map<String, Double> weights = new LinkedHashMap<>();
    int total = oldCount + newCount;
    weights.put(from, total == 0 ? 0 : round(100.0 * oldCount / total));
    weights.put(to, total == 0 ? 0 : round(100.0 * newCount / total));
    return weights;
  }

  public static double round(double percent) {
    return Math.round(percent * 10) / 10.0;
  }

  public static String percent(double p) {
    return (p == Math.rint(p) ? Long.toString((long) p) : Double.toString(p)) + "%";
  }

  public static String human(Duration d) {
    return d.toMillis() % 1000 == 0 ? d.toSeconds() + "s" : d.toMillis() + "ms";
  }
}
