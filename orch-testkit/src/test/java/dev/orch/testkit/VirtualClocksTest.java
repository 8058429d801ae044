package dev.orch.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.orch.api.time.VirtualTimeSource;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class VirtualClocksTest {

  @Test
  void advancesUntilTheConditionHoldsAndNoFurther() {
    VirtualTimeSource time = new VirtualTimeSource();
    Instant start = time.now();
    Instant at = start.plusMillis(1_250);
    assertTrue(VirtualClocks.advanceUntil(time, () -> !time.now().isBefore(at), Duration.ofMillis(500),
        Duration.ofSeconds(10)));
    assertEquals(start.plusMillis(1_500), time.now(), "three steps of 500 ms");
  }

  @Test
  void stopsAtTheBoundAndSaysWhatWasNotReached() {
    VirtualTimeSource time = new VirtualTimeSource();
    Instant start = time.now();
    assertFalse(VirtualClocks.advanceUntil(time, () -> false, Duration.ofMillis(300), Duration.ofSeconds(1)));
    assertEquals(start.plusSeconds(1), time.now(), "never past the bound");
    AssertionError e = assertThrows(AssertionError.class,
        () -> VirtualClocks.advanceUntil(time, () -> false, Duration.ofSeconds(2), () -> "web: 0/2 ready"));
    assertEquals("not reached within PT2S of virtual time: web: 0/2 ready", e.getMessage());
    IllegalArgumentException bad = assertThrows(IllegalArgumentException.class,
        () -> VirtualClocks.advanceUntil(time, () -> true, Duration.ZERO, Duration.ofSeconds(1)));
    assertEquals("step: PT0S: must be positive", bad.getMessage());
  }
}
