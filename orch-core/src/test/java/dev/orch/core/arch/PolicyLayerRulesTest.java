package dev.orch.core.arch;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.lang.ArchRule;
import org.junit.jupiter.api.Test;

/**
 * The policy evaluator is a primitive: usable alone, it depends on orch-api, the utilities and libraries, never on
 * the facade, the engine, rollout or another primitive (so that every enforcement point can ask it).
 */
class PolicyLayerRulesTest {

  @Test
  void thePolicyEvaluatorIsAPrimitive() {
    JavaClasses core = new ClassFileImporter().withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
        .importPackages("dev.orch.core");
    ArchRule rule = noClasses().that().resideInAPackage("dev.orch.core.policy..")
        .should().dependOnClassesThat().resideInAnyPackage("dev.orch.core", "dev.orch.core.engine..",
            "dev.orch.core.rollout..", "dev.orch.core.lb..", "dev.orch.core.probe..", "dev.orch.core.scheduler..",
            "dev.orch.core.reconcile..", "dev.orch.core.state..")
        .as("dev.orch.core.policy depends on orch-api, dev.orch.core.util and libraries only");
    rule.check(core);
  }
}
