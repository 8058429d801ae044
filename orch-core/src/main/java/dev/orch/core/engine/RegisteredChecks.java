package dev.orch.core.engine;

import dev.orch.api.spec.Analysis;
import dev.orch.api.spec.InvalidSpecException;
import dev.orch.api.spec.RolloutStrategy;
import dev.orch.api.spec.ServiceSpec;
import dev.orch.api.spec.Violation;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/** Refuses a spec whose analyses name a check the orchestrator has not registered. Stateless. */
final class RegisteredChecks {
  private RegisteredChecks() {
  }

  /**
   * Throws when an analysis of {@code spec} names a check outside {@code registered}.
   *
   * @throws InvalidSpecException with one violation per unknown name, at its path from the service
   */
  static void require(ServiceSpec spec, Set<String> registered) {
    List<Violation> violations = new ArrayList<>();
    String path = spec.name() + ".rollout";
    if (spec.rollout() instanceof RolloutStrategy.BlueGreen bg) {
      bg.prePromotionAnalysis().ifPresent(a -> check(path + ".prePromotionAnalysis", a, registered, violations));
    } else if (spec.rollout() instanceof RolloutStrategy.Canary canary) {
      for (int i = 0; i < canary.steps().size(); i++) {
        if (canary.steps().get(i) instanceof RolloutStrategy.CanaryStep.Analyze step) {
          check(path + ".steps[" + i + "].analysis", step.analysis(), registered, violations);
        }
      }
    }
    if (!violations.isEmpty()) {
      throw new InvalidSpecException(violations);
    }
  }

  private static void check(String path, Analysis analysis, Set<String> registered, List<Violation> out) {
    for (int j = 0; j < analysis.checks().size(); j++) {
      Analysis.Check c = analysis.checks().get(j);
      if (c instanceof Analysis.Check.Named && !registered.contains(c.name())) {
        out.add(new Violation(path + ".checks[" + j + "]", "\"" + c.name() + "\"", "must name a check registered "
            + "with the orchestrator (OrchestratorBuilder.analysisCheck); registered: " + new TreeSet<>(registered)));
      }
    }
  }
}
