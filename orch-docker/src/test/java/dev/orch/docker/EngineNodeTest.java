package dev.orch.docker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The API version is negotiated from what the engine offers, never assumed. */
class EngineNodeTest {
  private final DockerEngine engine = DockerEngine.of("e0", "unix:///run/e0.sock");

  @Test
  void theNewestVersionBothSidesSpeakIsChosen() {
    assertEquals("1.41", EngineNode.negotiate(engine, "1.12", "1.41"));
    assertEquals(EngineNode.MAX_API, EngineNode.negotiate(engine, "1.24", "1.47"));
    assertEquals("1.25", EngineNode.negotiate(engine, "1.12", "1.25"));
  }

  @Test
  void enginesWhoseRangeDoesNotOverlapAreRefusedWithBothRanges() {
    IllegalStateException old = assertThrows(IllegalStateException.class,
        () -> EngineNode.negotiate(engine, "1.12", "1.24"));
    assertTrue(old.getMessage().contains("1.12..1.24") && old.getMessage().contains(EngineNode.MIN_API),
        old.getMessage());
    assertThrows(IllegalStateException.class, () -> EngineNode.negotiate(engine, "1.45", "1.47"));
  }

  @Test
  void versionsCompareNumerically() {
    assertTrue(EngineNode.compare("1.9", "1.10") < 0);
    assertEquals(0, EngineNode.compare("1.41", "1.41"));
  }
}
