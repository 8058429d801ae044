package dev.orch.docker;

import static com.tngtech.archunit.base.DescribedPredicate.not;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideInAPackage;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideInAnyPackage;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.Test;

/** A backend is built on the runtime SPI alone: it never reaches into orch-core or another Orch module. */
class DockerDependencyRuleTest {
  @Test
  void mainCodeDependsOnNoOrchPackageButTheApi() {
    noClasses().that().resideInAPackage("dev.orch.docker..")
        .should().dependOnClassesThat(resideInAPackage("dev.orch..")
            .and(not(resideInAnyPackage("dev.orch.api..", "dev.orch.docker.."))))
        .as("orch-docker depends on no dev.orch package but dev.orch.api")
        .check(new ClassFileImporter().withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .importPackages("dev.orch.docker"));
  }
}
