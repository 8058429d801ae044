package dev.orch.core.rollout;

import dev.orch.api.spec.RolloutStrategy;
import dev.orch.core.Revision;
import dev.orch.core.RolloutStatus;
import dev.orch.core.RolloutStep;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * Where a service's rollout stands, as Orch stores it (phase, step, weights, analysis progress, pause, the
 * steps taken) and back, so that an orchestrator that restarts goes on from the same step. Revisions are
 * stored by id; their templates come from the revision history, stored beside. (The operations asked of the
 * rollout and not yet carried out are kept beside it, by {@link RolloutState#pendingOps}.) The traffic an
 * analysis interval had counted is not kept: that interval starts again. Not API. Stateless; a state is read
 * and written on its service's worker only.
 */
public final class RolloutStateJson {
  private RolloutStateJson() {
  }

  /** What of {@code r} survives a restart, as a JSON tree; empty while there is nothing to keep. */
  public static Optional<Map<String, Object>> tree(RolloutState r) {
    if (r.stable == null && r.rollingRevision == null) {
      return Optional.empty();
    }
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("strategy", r.strategy == null ? "" : r.strategy.getSimpleName());
    m.put("stable", r.stable == null ? "" : r.stable.id());
    m.put("target", r.target == null ? "" : r.target);
    m.put("targetRevision", r.targetRevision == null ? "" : r.targetRevision.id());
    m.put("phase", r.phase.name());
    m.put("reason", r.reason);
    m.put("weight", r.position.weight());
    m.put("scaledUp", r.position.scaledUp());
    m.put("promoted", r.position.promoted());
    m.put("aborted", r.position.aborted());
    m.put("canaryStep", r.canaryStep);
    m.put("stepEntered", r.stepEntered);
    put(m, "stepAt", r.stepAt);
    put(m, "promotedAt", r.promotedAt);
    put(m, "waitingSince", r.waitingSince);
    put(m, "progressAt", r.progressAt);
    m.put("paused", r.paused);
    m.put("promoteAsked", r.promoteAsked);
    m.put("bestAvailable", r.bestAvailable);
    AnalysisRun.Progress analysis = r.analysis != null ? r.analysis.progress() : r.resumedAnalysis;
    if (analysis != null) {
      m.put("analysis", Map.of("passed", analysis.passed(), "failed", analysis.failed(), "inconclusive",
          analysis.inconclusive()));
    }
    put(m, "rollingRevision", r.rollingRevision);
    put(m, "rolledBackFrom", r.rolledBackFrom);
    put(m, "rollbackCause", r.rollbackCause);
    put(m, "rollbackTo", r.rollbackTo);
    put(m, "fallbackReported", r.fallbackReported);
    m.put("settled", r.settled);
    m.put("settledReplicas", r.settledReplicas);
    List<Object> taken = new ArrayList<>();
    for (RolloutStep s : r.taken) {
      taken.add(Map.of("index", s.index(), "action", s.action(), "replicas", s.replicas(), "minAvailable",
          s.minAvailable(), "maxTotal", s.maxTotal(), "weights", s.weights()));
    }
    m.put("taken", taken);
    return Optional.of(m);
  }

  /**
   * Puts the position {@code tree} holds into {@code r}, whose history is restored already.
   *
   * @throws IllegalArgumentException when the tree is not a position this version wrote, or names a revision
   *                                  the history does not hold; {@code r} then has no position (its first
   *                                  pass starts from what runs, as with nothing stored)
   */
  public static void restore(RolloutState r, @Nullable Object tree) {
    try {
      read(r, tree);
    } catch (IllegalArgumentException e) {
      throw e;
    } catch (RuntimeException e) { // a field of the wrong type, or missing
      r.stable = null;
      r.taken.clear();
      throw new IllegalArgumentException("the rollout position cannot be read: " + e, e);
    }
  }

  @SuppressWarnings("unchecked")
  private static void read(RolloutState r, @Nullable Object tree) {
    if (!(tree instanceof Map)) {
      throw new IllegalArgumentException("a rollout position must be an object");
    }
    Map<String, @Nullable Object> m = (Map<String, @Nullable Object>) tree;
    String stableId = str(m, "stable");
    Revision stable = stableId.isEmpty() ? null : revision(r, stableId);
    String targetId = str(m, "targetRevision");
    Revision targetRevision = targetId.isEmpty() ? null : revision(r, targetId);
    RolloutStatus.Phase phase = RolloutStatus.Phase.valueOf(str(m, "phase"));
    List<RolloutStep> taken = new ArrayList<>();
    for (Object o : (List<Object>) req(m, "taken")) {
      Map<String, Object> s = (Map<String, Object>) o;
      Map<String, Integer> replicas = new LinkedHashMap<>();
      ((Map<String, Object>) s.get("replicas")).forEach((k, v) -> replicas.put(k, ((Long) v).intValue()));
      Map<String, Double> weights = new LinkedHashMap<>();
      ((Map<String, Object>) s.get("weights")).forEach((k, v) -> weights.put(k, ((Number) v).doubleValue()));
      taken.add(new RolloutStep(num(s, "index"), (String) s.get("action"), replicas, num(s, "minAvailable"),
          num(s, "maxTotal"), weights));
    }
    String strategy = str(m, "strategy");
    try {
      assign(r, m, strategy, stable, targetRevision, phase, taken);
    } catch (RuntimeException e) {
      r.stable = null; // the first pass then starts from what runs, as after a restart with nothing stored
      r.taken.clear();
      throw new IllegalArgumentException("the rollout position cannot be read: " + e, e);
    }
  }

  @SuppressWarnings("unchecked")
  private static void assign(RolloutState r, Map<String, @Nullable Object> m, String strategy,
                             @Nullable Revision stable, @Nullable Revision targetRevision, RolloutStatus.Phase phase,
                             List<RolloutStep> taken) {
    r.strategy = switch (strategy) {
      case "BlueGreen" -> RolloutStrategy.BlueGreen.class;
      case "Canary" -> RolloutStrategy.Canary.class;
      case "RollingUpdate" -> RolloutStrategy.RollingUpdate.class;
      default -> null;
    };
    r.stable = stable;
    String target = str(m, "target");
    r.target = target.isEmpty() ? null : target;
    r.targetRevision = targetRevision;
    r.phase = phase;
    r.reason = str(m, "reason");
    r.position = new RolloutPlanner.Position(((Number) req(m, "weight")).doubleValue(), bool(m, "scaledUp"),
        bool(m, "promoted"), bool(m, "aborted"));
    r.canaryStep = num(m, "canaryStep");
    r.stepEntered = bool(m, "stepEntered");
    r.stepAt = instant(m, "stepAt");
    r.promotedAt = instant(m, "promotedAt");
    r.waitingSince = instant(m, "waitingSince");
    r.progressAt = instant(m, "progressAt");
    r.paused = bool(m, "paused");
    r.promoteAsked = bool(m, "promoteAsked");
    r.bestAvailable = num(m, "bestAvailable");
    r.analysis = null;
    Object a = m.get("analysis");
    r.resumedAnalysis = a == null ? null : new AnalysisRun.Progress(num((Map<String, Object>) a, "passed"),
        num((Map<String, Object>) a, "failed"), num((Map<String, Object>) a, "inconclusive"));
    r.rollingRevision = (String) m.get("rollingRevision");
    r.rolledBackFrom = (String) m.get("rolledBackFrom");
    r.rollbackCause = (String) m.get("rollbackCause");
    r.rollbackTo = (String) m.get("rollbackTo");
    r.fallbackReported = (String) m.get("fallbackReported");
    r.settled = bool(m, "settled");
    r.settledReplicas = num(m, "settledReplicas");
    r.taken.clear();
    r.taken.addAll(taken);
  }

  private static Revision revision(RolloutState r, String id) {
    return r.history().find(id).orElseThrow(() -> new IllegalArgumentException("the rollout names revision " + id
        + ", which the stored history does not hold"));
  }

  private static void put(Map<String, Object> m, String name, @Nullable Object value) {
    if (value != null) {
      m.put(name, value.toString());
    }
  }

  private static Object req(Map<String, @Nullable Object> m, String name) {
    Object v = m.get(name);
    if (v == null) {
      throw new IllegalArgumentException("the rollout position lacks " + name);
    }
    return v;
  }

  private static String str(Map<String, @Nullable Object> m, String name) {
    return (String) req(m, name);
  }

  private static boolean bool(Map<String, @Nullable Object> m, String name) {
    return (Boolean) req(m, name);
  }

  private static int num(Map<String, ? extends @Nullable Object> m, String name) {
    Object v = m.get(name);
    if (!(v instanceof Long)) {
      throw new IllegalArgumentException("the rollout position's " + name + " must be a whole number");
    }
    return ((Long) v).intValue();
  }

  private static @Nullable Instant instant(Map<String, @Nullable Object> m, String name) {
    Object v = m.get(name);
    return v == null ? null : Instant.parse((String) v);
  }
}
