package dev.orch.api.spec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/** A container's log limits: a quantity per file and a file count, each violation named with its path. */
class LogLimitsTest {
  @Test
  void limitsParseAQuantityAndKeepTheTotal() {
    LogLimits l = ContainerSpec.builder("web:1").logLimits("10Mi", 3).build().logLimits();
    assertEquals(new LogLimits(10L << 20, 3), l);
    assertEquals(30L << 20, l.totalBytes());
    assertEquals(null, ContainerSpec.builder("web:1").build().logLimits(), "unset: the runtime's default");
  }

  @Test
  void everyViolationIsNamed() {
    InvalidSpecException both = assertThrows(InvalidSpecException.class, () -> ServiceSpec.builder("web")
        .container(ContainerSpec.builder("web:1").logLimits(new LogLimits(10, 0)).build()).build());
    List<String> paths = both.violations().stream().map(Violation::path).toList();
    assertTrue(paths.containsAll(List.of("web.container.logLimits.maxSizeBytes",
        "web.container.logLimits.maxFiles")), paths::toString);
    InvalidSpecException bad = assertThrows(InvalidSpecException.class, () -> ContainerSpec.builder("web:1")
        .logLimits("ten megs", 3).build());
    assertTrue(bad.getMessage().contains("container.logLimits.maxSize: \"ten megs\""), bad::getMessage);
  }
}
