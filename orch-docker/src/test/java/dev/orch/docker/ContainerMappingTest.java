package dev.orch.docker;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.github.dockerjava.api.model.ExposedPort;
import com.github.dockerjava.api.model.HostConfig;
import com.github.dockerjava.api.model.Ports;
import com.github.dockerjava.core.command.CreateContainerCmdImpl;
import dev.orch.api.spec.ContainerSpec;
import dev.orch.api.spec.PortSpec;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** What a container spec becomes in Docker's create call. */
class ContainerMappingTest {

  @Test
  void aSpecBecomesLimitsPortsVolumesEnvCommandLabelsAndNoRestart() {
    ContainerSpec spec = ContainerSpec.builder("img:1").command("sh", "-c").args("echo hi").env("A", "1")
        .port("http", 8080).port(PortSpec.tcp("admin", 9090).withHostPort(19090))
        .requests("250m", "32Mi").limits("500m", "64Mi").volume("data-0", "/data").build();
    CreateContainerCmdImpl cmd = new CreateContainerCmdImpl(c -> null, null, spec.image()); // never executed
    ContainerMapping.fill(cmd, "web-0", spec, Map.of("orch.owner", "o1"), "orch", "127.0.0.1");

    HostConfig h = cmd.getHostConfig();
    assertEquals("web-0", cmd.getName());
    assertEquals(com.github.dockerjava.api.model.RestartPolicy.noRestart(), h.getRestartPolicy());
    assertEquals(64L * 1024 * 1024, h.getMemory());
    assertEquals(64L * 1024 * 1024, h.getMemorySwap(), "no swap, so that the limit is an OOM kill");
    assertEquals(500_000_000L, h.getNanoCPUs());
    assertEquals("orch", h.getNetworkMode());
    assertArrayEquals(new String[] {"sh", "-c"}, cmd.getEntrypoint());
    assertArrayEquals(new String[] {"echo hi"}, cmd.getCmd());
    assertArrayEquals(new String[] {"A=1"}, cmd.getEnv());
    assertEquals("o1", cmd.getLabels().get("orch.owner"));
    assertEquals("http=8080/tcp,admin=9090/tcp", cmd.getLabels().get(ContainerMapping.PORTS_LABEL));
    Map<ExposedPort, Ports.Binding[]> b = h.getPortBindings().getBindings();
    assertEquals("127.0.0.1", b.get(ExposedPort.tcp(8080))[0].getHostIp());
    assertEquals(null, b.get(ExposedPort.tcp(8080))[0].getHostPortSpec(), "an ephemeral port");
    assertEquals("19090", b.get(ExposedPort.tcp(9090))[0].getHostPortSpec());
    assertEquals("data-0", h.getBinds()[0].getPath());
    assertEquals("/data", h.getBinds()[0].getVolume().getPath());
  }

  @Test
  void portNamesAreReadBackFromTheLabel() {
    assertEquals(Map.of("8080/tcp", "http", "53/udp", "dns"),
        ContainerMapping.decodePorts(ContainerMapping.encodePorts(List.of(PortSpec.tcp("http", 8080),
            new PortSpec("dns", 53, 0, dev.orch.api.spec.Protocol.UDP)))));
  }

  @Test
  void dockersZeroTimeIsNever() {
    assertEquals(java.util.Optional.empty(), ContainerMapping.time("0001-01-01T00:00:00Z"));
    assertEquals(java.time.Instant.parse("2026-01-02T03:04:05.123456789Z"),
        ContainerMapping.time("2026-01-02T03:04:05.123456789Z").orElseThrow());
  }
}
