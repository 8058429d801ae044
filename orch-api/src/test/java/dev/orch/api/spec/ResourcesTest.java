package dev.orch.api.spec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class ResourcesTest {

  @Test
  void parsesKubernetesQuantities() {
    assertEquals(new Resources(500, 256L << 20), Resources.of("500m", "256Mi"));
    assertEquals(new Resources(2000, 1L << 30), Resources.of("2", "1Gi"));
    assertEquals(new Resources(1500, 1_000_000_000L), Resources.of("1.5", "1G"));
    assertEquals(new Resources(100, 1536), Resources.of("0.1", "1.5Ki"));
    assertEquals(new Resources(0, 42), Resources.of("0", "42"));
  }

  @Test
  void refusesUnparsableQuantitiesNamingThem() {
    IllegalArgumentException cpu = assertThrows(IllegalArgumentException.class, () -> Resources.of("lots", "1Gi"));
    assertTrue(cpu.getMessage().startsWith("cpu: \"lots\": must be"), cpu.getMessage());
    IllegalArgumentException mem = assertThrows(IllegalArgumentException.class, () -> Resources.of("1", "1Qi"));
    assertTrue(mem.getMessage().startsWith("memory: \"1Qi\": must be"), mem.getMessage());
    assertThrows(IllegalArgumentException.class, () -> Resources.of("0.0001", "1"));
  }

  @Test
  void arithmeticAndFit() {
    Resources node = Resources.of("4", "8Gi");
    Resources pod = Resources.of("1500m", "3Gi");
    assertTrue(node.fits(pod.times(2)));
    assertFalse(node.fits(pod.times(3)));
    assertEquals(Resources.of("1", "2Gi"), node.minus(pod.times(2)));
    assertEquals(node, node.minus(pod).plus(pod));
    assertEquals("cpu=500m memory=256Mi", Resources.of("500m", "256Mi").toString());
  }
}
