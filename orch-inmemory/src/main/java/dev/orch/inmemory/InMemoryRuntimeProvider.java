package dev.orch.inmemory;

import dev.orch.api.runtime.ContainerRuntime;
import dev.orch.api.runtime.ContainerRuntimeException;
import dev.orch.api.runtime.RuntimeProvider;
import dev.orch.api.spec.Resources;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * Makes an {@link InMemoryRuntime} on system time from properties; found by {@link java.util.ServiceLoader}
 * under the name {@code in-memory}. Stateless and thread-safe.
 *
 * <p>Properties (all optional): {@code inmemory.nodes} (number of nodes, default 3, named {@code node-1}...),
 * {@code inmemory.node.cpu} (default {@code "4"}), {@code inmemory.node.memory} (default {@code "8Gi"}),
 * {@code inmemory.seed} (default 0), {@code inmemory.latency} (call latency like {@code "5ms"}, default 0).
 * Other {@code inmemory.*} keys are refused, so that a typo does not pass silently.
 */
public final class InMemoryRuntimeProvider implements RuntimeProvider {
  private static final Set<String> KEYS = Set.of("inmemory.nodes", "inmemory.node.cpu", "inmemory.node.memory",
      "inmemory.seed", "inmemory.latency");

  /** Creates the provider; {@link java.util.ServiceLoader} calls this. */
  public InMemoryRuntimeProvider() {
  }

  /** {@code in-memory}. */
  @Override
  public String name() {
    return "in-memory";
  }

  /**
   * Creates a runtime from {@code properties}.
   *
   * @throws ContainerRuntimeException naming the key, the value and the rule when a property is wrong
   */
  @Override
  public ContainerRuntime create(Map<String, String> properties) {
    Objects.requireNonNull(properties, "properties");
    for (String key : properties.keySet()) {
      if (key.startsWith("inmemory.") && !KEYS.contains(key)) {
        throw new ContainerRuntimeException("in-memory: property " + key + ": unknown; known are "
            + List.copyOf(new java.util.TreeSet<>(KEYS)));
      }
    }
    int nodes = parse(properties, "inmemory.nodes", "3", "a whole number >= 0", Integer::parseInt);
    if (nodes < 0) {
      throw new ContainerRuntimeException("in-memory: property inmemory.nodes: " + nodes + ": must be >= 0");
    }
    String cpu = properties.getOrDefault("inmemory.node.cpu", "4");
    String memory = properties.getOrDefault("inmemory.node.memory", "8Gi");
    Resources capacity;
    try {
      capacity = Resources.of(cpu, memory);
    } catch (IllegalArgumentException e) {
      throw new ContainerRuntimeException("in-memory: property inmemory.node.cpu/memory: " + e.getMessage(), e);
    }
    long seed = parse(properties, "inmemory.seed", "0", "a whole number", Long::parseLong);
    java.time.Duration latency = parse(properties, "inmemory.latency", "0ms", "a duration like \"5ms\"",
        Behaviors::parseDuration);
    return InMemoryRuntime.builder().nodes(nodes, capacity).seed(seed).callLatency(latency).build();
  }

  private static <T> T parse(Map<String, String> props, String key, String dflt, String rule,
                             java.util.function.Function<String, T> parser) {
    String value = props.getOrDefault(key, dflt);
    try {
      return parser.apply(value.trim());
    } catch (IllegalArgumentException e) {
      throw new ContainerRuntimeException("in-memory: property " + key + ": \"" + value + "\": must be " + rule, e);
    }
  }
}
