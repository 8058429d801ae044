package dev.orch.testkit.inmemory;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;

import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.platform.engine.support.descriptor.ClassSource;
import org.junit.platform.launcher.TestIdentifier;
import org.junit.platform.launcher.TestPlan;
import org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder;
import org.junit.platform.launcher.core.LauncherFactory;

/**
 * The kit's checks belong to the user's test class, so that Surefire (which names a result after the class
 * of its container, SUREFIRE-2298) reports them under it instead of under the kit's own nested classes with
 * {@code Tests run: 0} for the user's class.
 */
class KitReportTest {

  @Test
  void everyKitCheckIsATestOfTheUsersOwnClass() {
    TestPlan plan = LauncherFactory.create().discover(LauncherDiscoveryRequestBuilder.request()
        .selectors(selectClass(InMemoryRuntimeConformanceTest.class)).build());
    List<TestIdentifier> tests = plan.getRoots().stream().flatMap(r -> plan.getDescendants(r).stream())
        .filter(TestIdentifier::isTest).toList();
    assertTrue(tests.size() >= 40, () -> "the kit has its checks: " + tests.size());
    for (TestIdentifier test : tests) {
      Optional<String> owner = plan.getParent(test).flatMap(TestIdentifier::getSource)
          .filter(ClassSource.class::isInstance).map(s -> ((ClassSource) s).getClassName());
      assertEquals(Optional.of(InMemoryRuntimeConformanceTest.class.getName()), owner, test::getDisplayName);
    }
  }
}
