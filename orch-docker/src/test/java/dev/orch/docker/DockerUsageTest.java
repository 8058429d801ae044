package dev.orch.docker;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.orch.api.runtime.ContainerUsage;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

/** The engine's stats answer read as usage: cgroup v2 and v1 working sets, and a container that does not run. */
class DockerUsageTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Instant NOW = Instant.parse("2026-12-01T12:00:00Z");

  private static ContainerUsage parse(String json) throws Exception {
    return DockerUsage.parse("e0/abc", JSON.readTree(json), NOW);
  }

  @Test
  void cgroupV2() throws Exception {
    ContainerUsage u = parse("{\"read\":\"2026-12-01T11:59:59.5Z\",\"cpu_stats\":{\"cpu_usage\":{\"total_usage\":"
        + "2500000000}},\"memory_stats\":{\"usage\":10485760,\"stats\":{\"inactive_file\":1048576}}}");
    assertEquals(Duration.ofMillis(2500), u.cpuTime());
    assertEquals(9 * 1048576, u.memoryBytes(), "usage less the inactive file cache");
    assertEquals(Instant.parse("2026-12-01T11:59:59.5Z"), u.at());
  }

  @Test
  void cgroupV1() throws Exception {
    ContainerUsage u = parse("{\"read\":\"2026-12-01T11:59:59Z\",\"cpu_stats\":{\"cpu_usage\":{\"total_usage\":5}},"
        + "\"memory_stats\":{\"usage\":4096,\"stats\":{\"total_inactive_file\":1024}}}");
    assertEquals(Duration.ofNanos(5), u.cpuTime());
    assertEquals(3072, u.memoryBytes());
  }

  @Test
  void aContainerThatDoesNotRunUsesNothing() throws Exception {
    ContainerUsage u = parse("{\"read\":\"0001-01-01T00:00:00Z\",\"cpu_stats\":{\"cpu_usage\":{\"total_usage\":0}},"
        + "\"memory_stats\":{}}");
    assertEquals(Duration.ZERO, u.cpuTime());
    assertEquals(0, u.memoryBytes());
    assertEquals(NOW, u.at(), "no time from the engine: when it was asked");
  }
}
