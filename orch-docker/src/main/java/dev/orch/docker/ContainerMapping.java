package dev.orch.docker;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.command.CreateContainerCmd;
import com.github.dockerjava.api.command.InspectContainerResponse;
import com.github.dockerjava.api.model.AccessMode;
import com.github.dockerjava.api.model.Bind;
import com.github.dockerjava.api.model.ExposedPort;
import com.github.dockerjava.api.model.HostConfig;
import com.github.dockerjava.api.model.Ports;
import com.github.dockerjava.api.model.RestartPolicy;
import com.github.dockerjava.api.model.Volume;
import dev.orch.api.runtime.ContainerInfo;
import dev.orch.api.runtime.ContainerState;
import dev.orch.api.runtime.PortBinding;
import dev.orch.api.spec.ContainerSpec;
import dev.orch.api.spec.PortSpec;
import dev.orch.api.spec.Protocol;
import dev.orch.api.spec.VolumeMount;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import org.jspecify.annotations.Nullable;

/** Maps Orch's container specs to Docker create commands, and Docker's inspect answers to ContainerInfo. */
final class ContainerMapping {
  /** The label that records a container's named ports, {@code http=8080/tcp,admin=9090/tcp}. */
  static final String PORTS_LABEL = "orch.ports";

  private ContainerMapping() {
  }

  /** The log limits of a container whose spec sets none: 10 MiB in 3 files. */
  static final dev.orch.api.spec.LogLimits DEFAULT_LOG_LIMITS = new dev.orch.api.spec.LogLimits(10L << 20, 3);

  /** The engine's {@code json-file} log driver, rotated at {@code limits}. */
  static com.github.dockerjava.api.model.LogConfig logConfig(dev.orch.api.spec.LogLimits limits) {
    return logConfig("json-file", limits);
  }

  /**
   * The engine's log driver {@code driver} ({@code json-file} or {@code local}, the two that rotate files on the
   * node), rotated at {@code limits}.
   */
  static com.github.dockerjava.api.model.LogConfig logConfig(String driver, dev.orch.api.spec.LogLimits limits) {
    return new com.github.dockerjava.api.model.LogConfig(driver.equals("local")
        ? com.github.dockerjava.api.model.LogConfig.LoggingType.LOCAL
        : com.github.dockerjava.api.model.LogConfig.LoggingType.JSON_FILE, Map.of("max-size",
        Long.toString(Math.max(1, limits.maxSizeBytes() / 1024)) + "k", "max-file",
        Integer.toString(limits.maxFiles())));
  }

  /** Whether Orch bounds the logs of an engine whose default log driver is {@code driver}: one that keeps files. */
  static boolean rotates(String driver) {
    return driver.equals("json-file") || driver.equals("local");
  }

  /**
   * Fills {@code cmd}: labels, entry point and arguments, environment, resource limits, ports published on
   * {@code publishAddress}, named volumes, network, restart policy "no" (Orch restarts, not the engine) and
   * a json-file log rotated at the spec's log limits ({@link #DEFAULT_LOG_LIMITS} when it sets none).
   */
  static CreateContainerCmd fill(CreateContainerCmd cmd, String name, ContainerSpec spec, Map<String, String> labels,
                                 @Nullable String network, String publishAddress) {
    return fill(cmd, name, spec, labels, network, publishAddress, "json-file");
  }

  /**
   * As {@link #fill(CreateContainerCmd, String, ContainerSpec, Map, String, String)} on an engine whose default log
   * driver is {@code logDriver}: a driver that ships logs elsewhere (journald, fluentd, awslogs...) is left as the
   * engine has it, unbounded by Orch.
   */
  static CreateContainerCmd fill(CreateContainerCmd cmd, String name, ContainerSpec spec, Map<String, String> labels,
                                 @Nullable String network, String publishAddress, String logDriver) {
    Map<String, String> all = new HashMap<>(labels);
    if (!spec.ports().isEmpty()) {
      all.put(PORTS_LABEL, encodePorts(spec.ports()));
    }
    HostConfig host = HostConfig.newHostConfig().withRestartPolicy(RestartPolicy.noRestart());
    if (rotates(logDriver)) {
      host.withLogConfig(logConfig(logDriver, spec.logLimits() == null ? DEFAULT_LOG_LIMITS : spec.logLimits()));
    }
    if (network != null) {
      host.withNetworkMode(network);
    }
    long memory = spec.resources().limits().memoryBytes();
    if (memory > 0) {
      // Swap equal to memory: no swap, so that exceeding the limit is an OOM kill, not a slow-down.
      host.withMemory(memory).withMemorySwap(memory);
    }
    long cpu = spec.resources().limits().cpuMillis();
    if (cpu > 0) {
      host.withNanoCPUs(cpu * 1_000_000L);
    }
    List<ExposedPort> exposed = new ArrayList<>();
    Ports bindings = new Ports();
    for (PortSpec p : spec.ports()) {
      ExposedPort e = p.protocol() == Protocol.UDP ? ExposedPort.udp(p.containerPort())
          : ExposedPort.tcp(p.containerPort());
      exposed.add(e);
      bindings.bind(e, p.hostPort() > 0 ? Ports.Binding.bindIpAndPort(publishAddress, p.hostPort())
          : Ports.Binding.bindIp(publishAddress));
    }
    if (!exposed.isEmpty()) {
      host.withPortBindings(bindings);
      cmd.withExposedPorts(exposed);
    }
    List<Bind> binds = new ArrayList<>();
    for (VolumeMount m : spec.volumeMounts()) {
      binds.add(new Bind(m.volume(), new Volume(m.mountPath()), m.readOnly() ? AccessMode.ro : AccessMode.rw));
    }
    if (!binds.isEmpty()) {
      host.withBinds(binds);
    }
    List<String> env = new ArrayList<>();
    spec.env().forEach((k, v) -> env.add(k + "=" + v));
    cmd.withName(name).withLabels(all).withEnv(env).withHostConfig(host);
    if (!spec.command().isEmpty()) {
      cmd.withEntrypoint(spec.command());
    }
    if (!spec.args().isEmpty()) {
      cmd.withCmd(spec.args());
    }
    return cmd;
  }

  /** Creates the create command for {@code spec} on {@code client}. */
  static CreateContainerCmd createCommand(DockerClient client, String name, ContainerSpec spec,
                                          Map<String, String> labels, @Nullable String network,
                                          String publishAddress, String logDriver) {
    return fill(client.createContainerCmd(spec.image()), name, spec, labels, network, publishAddress, logDriver);
  }

  static String encodePorts(List<PortSpec> ports) {
    StringBuilder sb = new StringBuilder();
    for (PortSpec p : ports) {
      if (sb.length() > 0) {
        sb.append(',');
      }
      sb.append(p.name()).append('=').append(p.containerPort()).append('/')
          .append(p.protocol() == Protocol.UDP ? "udp" : "tcp");
    }
    return sb.toString();
  }

  /** Port names by {@code "8080/tcp"}, from the ports label. */
  static Map<String, String> decodePorts(@Nullable String label) {
    Map<String, String> out = new HashMap<>();
    if (label == null || label.isEmpty()) {
      return out;
    }
    for (String part : label.split(",")) {
      int eq = part.indexOf('=');
      if (eq > 0) {
        out.put(part.substring(eq + 1), part.substring(0, eq));
      }
    }
    return out;
  }

  /** What Docker reports of a container, as Orch's ContainerInfo, with the runtime-wide id. */
  static ContainerInfo toInfo(String runtimeId, String nodeId, InspectContainerResponse r) {
    Map<String, String> labels = r.getConfig() == null || r.getConfig().getLabels() == null ? Map.of()
        : r.getConfig().getLabels();
    String image = r.getConfig() != null && r.getConfig().getImage() != null ? r.getConfig().getImage()
        : String.valueOf(r.getImageId());
    InspectContainerResponse.ContainerState s = r.getState();
    String status = s == null || s.getStatus() == null ? "unknown" : s.getStatus();
    ContainerState state = switch (status) {
      case "created" -> ContainerState.CREATED;
      case "running", "paused", "restarting" -> ContainerState.RUNNING;
      case "exited", "dead", "removing" -> ContainerState.EXITED;
      default -> ContainerState.UNKNOWN;
    };
    OptionalInt exit = state == ContainerState.EXITED && s.getExitCodeLong() != null
        ? OptionalInt.of(s.getExitCodeLong().intValue()) : OptionalInt.empty();
    boolean oom = state == ContainerState.EXITED && Boolean.TRUE.equals(s.getOOMKilled());
    Optional<Instant> started = s == null ? Optional.empty() : time(s.getStartedAt());
    Optional<Instant> finished = s == null ? Optional.empty() : time(s.getFinishedAt());
    if (state == ContainerState.CREATED) {
      started = Optional.empty();
      finished = Optional.empty();
    }
    String name = r.getName() == null ? "" : r.getName().startsWith("/") ? r.getName().substring(1) : r.getName();
    Instant created = time(r.getCreated()).orElse(Instant.EPOCH);
    return new ContainerInfo(runtimeId, name, nodeId, image, labels, state, exit, oom, created, started, finished,
        ports(r, labels));
  }

  private static List<PortBinding> ports(InspectContainerResponse r, Map<String, String> labels) {
    List<PortBinding> out = new ArrayList<>();
    if (r.getNetworkSettings() == null || r.getNetworkSettings().getPorts() == null) {
      return out;
    }
    Map<String, String> names = decodePorts(labels.get(PORTS_LABEL));
    for (Map.Entry<ExposedPort, Ports.Binding[]> e : r.getNetworkSettings().getPorts().getBindings().entrySet()) {
      if (e.getValue() == null) {
        continue;
      }
      ExposedPort p = e.getKey();
      String key = p.getPort() + "/" + p.getProtocol().toString();
      String portName = names.getOrDefault(key, String.valueOf(p.getPort()));
      for (Ports.Binding b : e.getValue()) {
        try {
          int hostPort = Integer.parseInt(b.getHostPortSpec());
          String ip = b.getHostIp() == null || b.getHostIp().isEmpty() ? "0.0.0.0" : b.getHostIp();
          out.add(new PortBinding(portName, p.getPort(), ip, hostPort));
        } catch (NumberFormatException notAPort) {
          // A range or an unassigned port: nothing to connect to yet.
        }
      }
    }
    out.sort(java.util.Comparator.comparing(PortBinding::name).thenComparing(PortBinding::hostPort));
    return out;
  }

  /** A Docker timestamp; Docker writes {@code 0001-01-01T00:00:00Z} for never. */
  static Optional<Instant> time(@Nullable String s) {
    if (s == null || s.isEmpty() || s.startsWith("0001-")) {
      return Optional.empty();
    }
    try {
      return Optional.of(Instant.parse(s));
    } catch (DateTimeParseException e) {
      return Optional.empty();
    }
  }
}
