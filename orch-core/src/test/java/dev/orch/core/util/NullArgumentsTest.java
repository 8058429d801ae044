package dev.orch.core.util;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The helpers refuse a null argument with a {@link NullPointerException} that names it. */
class NullArgumentsTest {
  @Test
  void refusesNullArgumentsNamingThem() {
    assertEquals("initial", assertThrows(NullPointerException.class,
        () -> new ExponentialBackoff(null, Duration.ofSeconds(1))).getMessage());
    assertEquals("spec", assertThrows(NullPointerException.class, () -> Revisions.revision(null)).getMessage());
  }
}
