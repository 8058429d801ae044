package dev.orch.core.arch;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.base.DescribedPredicate;
import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.lang.ArchRule;
import com.tngtech.archunit.library.dependencies.SliceAssignment;
import com.tngtech.archunit.library.dependencies.SliceIdentifier;
import com.tngtech.archunit.library.dependencies.SlicesRuleDefinition;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The layers of orch-core, as rules: calls go down, facade -> engine -> rollout -> primitives -> util and
 * orch-api, and never back up. Each rule fails with a message that names it.
 */
class LayerRulesTest {
  private static final String[] PRIMITIVES = {"dev.orch.core.lb..", "dev.orch.core.probe..",
      "dev.orch.core.scheduler..", "dev.orch.core.reconcile..", "dev.orch.core.state..", "dev.orch.core.policy..",
      "dev.orch.core.autoscale.."};

  private static JavaClasses core;

  @BeforeAll
  static void importMainClasses() {
    core = new ClassFileImporter().withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
        .importPackages("dev.orch.core");
  }

  /** {@code dev.orch.core.Orchestrator}, its nested classes and {@code OrchestratorBuilder}. */
  private static final DescribedPredicate<JavaClass> FACADE = DescribedPredicate.describe(
      "the facade (dev.orch.core.Orchestrator or its builder)",
      c -> c.getName().equals("dev.orch.core.Orchestrator") || c.getName().startsWith("dev.orch.core.Orchestrator$")
          || c.getName().startsWith("dev.orch.core.OrchestratorBuilder"));

  @Test
  void theEngineNeverDependsOnTheFacade() {
    ArchRule rule = noClasses().that().resideInAnyPackage("dev.orch.core.engine..", "dev.orch.core.rollout..")
        .should().dependOnClassesThat(FACADE)
        .as("engine and rollout never depend on dev.orch.core.Orchestrator or its builder");
    rule.check(core);
  }

  @Test
  void primitivesDependOnNeitherTheFacadeNorTheEngine() {
    ArchRule rule = noClasses().that().resideInAnyPackage(PRIMITIVES)
        .should().dependOnClassesThat().resideInAnyPackage("dev.orch.core", "dev.orch.core.engine..",
            "dev.orch.core.rollout..")
        .as("lb, probe, scheduler, reconcile, state, policy and autoscale depend on neither dev.orch.core, the engine"
            + " nor rollout (only on dev.orch.core.util and orch-api)");
    rule.check(core);
  }

  @Test
  void rolloutNeverReachesIntoTheEngine() {
    ArchRule rule = noClasses().that().resideInAPackage("dev.orch.core.rollout..")
        .should().dependOnClassesThat().resideInAPackage("dev.orch.core.engine..")
        .as("rollout asks the engine for effects through RolloutEffects, never by its classes");
    rule.check(core);
  }

  @Test
  void onlyTheFacadeReachesTheEngine() {
    ArchRule rule = noClasses().that().resideInAPackage("dev.orch.core").and(DescribedPredicate.not(FACADE))
        .should().dependOnClassesThat().resideInAnyPackage("dev.orch.core.engine..", "dev.orch.core.rollout..")
        .as("the value types of dev.orch.core depend on neither the engine nor rollout");
    rule.check(core);
  }

  @Test
  void theUtilitiesAreALeaf() {
    ArchRule rule = noClasses().that().resideInAPackage("dev.orch.core.util..")
        .should().dependOnClassesThat().resideInAnyPackage("dev.orch.core", "dev.orch.core.engine..",
            "dev.orch.core.rollout..", "dev.orch.core.lb..", "dev.orch.core.probe..", "dev.orch.core.scheduler..",
            "dev.orch.core.reconcile..", "dev.orch.core.state..")
        .as("dev.orch.core.util depends on orch-api and libraries only");
    rule.check(core);
  }

  /**
   * No cycle between orch-core's parts: each subpackage is one part, and the root package two, the facade
   * (which calls the engine) and its value types (which the engine returns). Two parts because the public
   * API is one package: at package level the facade and its values share {@code dev.orch.core}; no class
   * path goes round.
   */
  @Test
  void noCycleBetweenTheParts() {
    SliceAssignment parts = new SliceAssignment() {
      @Override
      public SliceIdentifier getIdentifierOf(JavaClass c) {
        String pkg = c.getPackageName();
        if (pkg.equals("dev.orch.core")) {
          return SliceIdentifier.of(FACADE.test(c) ? "facade" : "values");
        }
        if (pkg.startsWith("dev.orch.core.")) {
          return SliceIdentifier.of(pkg.substring("dev.orch.core.".length()).split("\\.")[0]);
        }
        return SliceIdentifier.ignore();
      }

      @Override
      public String getDescription() {
        return "orch-core's parts (facade, values, engine, rollout, lb, probe, scheduler, reconcile, util)";
      }
    };
    ArchRule rule = SlicesRuleDefinition.slices().assignedFrom(parts).should().beFreeOfCycles()
        .as("no cycle between orch-core's parts");
    rule.check(core);
  }
}
