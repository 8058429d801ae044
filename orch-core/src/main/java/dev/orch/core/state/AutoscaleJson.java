package dev.orch.core.state;

import dev.orch.api.spec.AutoscalePolicy;
import dev.orch.api.spec.AutoscalePolicy.MetricTarget;
import dev.orch.api.spec.AutoscalePolicy.RateKind;
import dev.orch.api.spec.AutoscalePolicy.RatePolicy;
import dev.orch.api.spec.AutoscalePolicy.ScalingRules;
import dev.orch.api.spec.AutoscalePolicy.Select;
import dev.orch.api.spec.AutoscalePolicy.TargetKind;
import dev.orch.core.autoscale.ScaleHistory;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * An {@link AutoscalePolicy} and its autoscaler's {@link ScaleHistory} as a JSON tree and back, as the state store
 * keeps them (so that a restarted orchestrator goes on with the same windows). Reading names the field of what does
 * not fit, and the policy read is validated as one built is. Stateless and thread-safe.
 */
public final class AutoscaleJson {
  private AutoscaleJson() {
  }

  /** The JSON tree of {@code policy} with {@code history}, and whether its autoscaling is {@code paused}. */
  public static Map<String, Object> tree(AutoscalePolicy policy, ScaleHistory history, boolean paused) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("service", policy.service());
    m.put("minReplicas", policy.minReplicas());
    m.put("maxReplicas", policy.maxReplicas());
    m.put("metrics", policy.metrics().stream().map(t -> Map.of("metric", t.metric(), "kind", t.kind().name(),
        "target", t.target())).toList());
    m.put("syncPeriod", policy.syncPeriod().toString());
    m.put("tolerance", policy.tolerance());
    m.put("staleAfter", policy.staleAfter().toString());
    m.put("scaleUp", rules(policy.scaleUp()));
    m.put("scaleDown", rules(policy.scaleDown()));
    m.put("history", Map.of("recommendations", stamps(history.recommendations()), "scaleUps",
        stamps(history.scaleUps()), "scaleDowns", stamps(history.scaleDowns())));
    m.put("paused", paused);
    return m;
  }

  private static Map<String, Object> rules(ScalingRules r) {
    return Map.of("stabilizationWindow", r.stabilizationWindow().toString(), "select", r.select().name(),
        "policies", r.policies().stream().map(p -> Map.of("kind", p.kind().name(), "value", p.value(), "period",
            p.period().toString())).toList());
  }

  private static List<Object> stamps(List<ScaleHistory.Stamped> stamps) {
    return stamps.stream().<Object>map(s -> Map.of("replicas", s.replicas(), "at", s.at().toString())).toList();
  }

  /**
   * What a JSON tree holds.
   *
   * @param policy  the policy
   * @param history its autoscaler's history
   * @param paused  whether its autoscaling is paused
   */
  public record Kept(AutoscalePolicy policy, ScaleHistory history, boolean paused) {
  }

  /**
   * The policy, history and pause a JSON tree holds (one without {@code paused} is not paused).
   *
   * @throws IllegalArgumentException naming the field when the tree is not one
   * @throws dev.orch.api.spec.InvalidSpecException when the policy it holds breaks a rule
   */
  public static Kept read(@Nullable Object tree) {
    JsonReader r = new JsonReader("autoscale", tree).only("service", "minReplicas", "maxReplicas", "metrics",
        "syncPeriod", "tolerance", "staleAfter", "scaleUp", "scaleDown", "history", "paused");
    AutoscalePolicy.Builder b = AutoscalePolicy.builder(r.string("service")).minReplicas(r.integer("minReplicas"))
        .maxReplicas(r.integer("maxReplicas")).syncPeriod(r.duration("syncPeriod")).tolerance(r.number("tolerance"))
        .staleAfter(r.duration("staleAfter")).scaleUp(rules(r.object("scaleUp")))
        .scaleDown(rules(r.object("scaleDown")));
    for (MetricTarget t : r.list("metrics", (at, v) -> {
      JsonReader x = new JsonReader(at, v).only("metric", "kind", "target");
      return new MetricTarget(x.string("metric"), x.enumeration("kind", TargetKind.class), x.number("target"));
    })) {
      if (t.kind() == TargetKind.UTILIZATION) {
        b.utilization(t.metric(), t.target());
      } else {
        b.averageValue(t.metric(), t.target());
      }
    }
    JsonReader h = r.object("history").only("recommendations", "scaleUps", "scaleDowns");
    ScaleHistory history = new ScaleHistory(stamps(h, "recommendations"), stamps(h, "scaleUps"),
        stamps(h, "scaleDowns"));
    return new Kept(b.build(), history, r.has("paused") && r.bool("paused"));
  }

  private static ScalingRules rules(JsonReader r) {
    r.only("stabilizationWindow", "select", "policies");
    return new ScalingRules(r.duration("stabilizationWindow"), r.list("policies", (at, v) -> {
      JsonReader x = new JsonReader(at, v).only("kind", "value", "period");
      return new RatePolicy(x.enumeration("kind", RateKind.class), x.integer("value"), x.duration("period"));
    }), r.enumeration("select", Select.class));
  }

  private static List<ScaleHistory.Stamped> stamps(JsonReader h, String name) {
    return h.list(name, (at, v) -> {
      JsonReader x = new JsonReader(at, v).only("replicas", "at");
      return new ScaleHistory.Stamped(x.integer("replicas"), Instant.parse(x.string("at")));
    });
  }
}
