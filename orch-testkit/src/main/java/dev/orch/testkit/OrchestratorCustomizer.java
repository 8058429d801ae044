package dev.orch.testkit;

import dev.orch.core.OrchestratorBuilder;
import java.util.Objects;

/**
 * Adjusts the builder of the orchestrator an {@link OrchTest} makes: name an implementation in
 * {@link OrchTest#orchestrator()}. It needs a public no-argument constructor.
 *
 * <pre>{@code
 * public static final class TwoRevisions implements OrchestratorCustomizer {
 *   public void customize(OrchestratorBuilder b) {
 *     b.revisionHistoryLimit(2);
 *   }
 * }
 * @OrchTest(orchestrator = TwoRevisions.class)
 * }</pre>
 */
@FunctionalInterface
public interface OrchestratorCustomizer {
  /** Adjusts {@code builder}; called once per test, after the annotation's other settings. */
  void customize(OrchestratorBuilder builder);

  /** Changes nothing: the default. */
  final class None implements OrchestratorCustomizer {
    /** Creates it. */
    public None() {
    }

    @Override
    public void customize(OrchestratorBuilder builder) {
      Objects.requireNonNull(builder, "builder");
    }
  }
}
