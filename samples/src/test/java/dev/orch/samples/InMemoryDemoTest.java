package dev.orch.samples;

import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The README's first command must keep working: the demo heals its cluster and reports success. */
class InMemoryDemoTest {

  @Test
  void theDemoHealsItsCluster() throws Exception {
    assertTrue(InMemoryDemo.run(), "the demo printed FAILED; see its output above");
  }
}
