package dev.orch.docker;

import dev.orch.api.runtime.ContainerRuntime;
import dev.orch.api.runtime.ContainerRuntimeException;
import dev.orch.api.runtime.RuntimeProvider;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * Makes a {@link DockerRuntime} from properties; found by {@link java.util.ServiceLoader} under the name
 * {@code docker}. Stateless and thread-safe.
 *
 * <p>Properties: {@code docker.hosts} (required: comma-separated engine endpoints, for example
 * {@code unix:///run/a.sock,unix:///run/b.sock}; nodes are named {@code docker-0}, {@code docker-1}, ...),
 * {@code docker.network} (default: a network per owner, {@code orch-<owner>}). Other {@code docker.*} keys are
 * refused, so that a typo does not pass silently.
 */
public final class DockerRuntimeProvider implements RuntimeProvider {
  private static final Set<String> KEYS = Set.of("docker.hosts", "docker.network");

  /** Creates the provider; {@link java.util.ServiceLoader} calls this. */
  public DockerRuntimeProvider() {
  }

  /** {@code docker}. */
  @Override
  public String name() {
    return "docker";
  }

  /** Below the in-memory runtime's default, so that Docker is used only when asked for by name. */
  @Override
  public int priority() {
    return -10;
  }

  /**
   * Creates a runtime over the engines in {@code docker.hosts}.
   *
   * @throws ContainerRuntimeException naming the key, the value and the rule when a property is wrong
   */
  @Override
  public ContainerRuntime create(Map<String, String> properties) {
    Objects.requireNonNull(properties, "properties");
    for (String key : properties.keySet()) {
      if (key.startsWith("docker.") && !KEYS.contains(key)) {
        throw new ContainerRuntimeException("docker: property " + key + ": unknown; known are "
            + List.copyOf(new java.util.TreeSet<>(KEYS)));
      }
    }
    String hosts = properties.getOrDefault("docker.hosts", "").strip();
    if (hosts.isEmpty()) {
      throw new ContainerRuntimeException("docker: property docker.hosts: \"" + hosts
          + "\": must list at least one engine, like unix:///var/run/docker.sock");
    }
    DockerRuntime.Builder b = DockerRuntime.builder();
    String[] parts = hosts.split(",");
    try {
      for (int i = 0; i < parts.length; i++) {
        b.engine(DockerEngine.of("docker-" + i, parts[i].strip()));
      }
      if (properties.containsKey("docker.network")) {
        b.network(properties.get("docker.network"));
      }
      return b.build();
    } catch (IllegalArgumentException | IllegalStateException e) {
      throw new ContainerRuntimeException("docker: " + e.getMessage(), e);
    }
  }
}
