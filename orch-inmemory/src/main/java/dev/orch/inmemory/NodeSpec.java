package dev.orch.inmemory;

import dev.orch.api.spec.Resources;
import dev.orch.api.spec.Taint;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A simulated node: its id, capacity, labels and taints. Capacity is informational (the scheduler reads it
 * through {@link dev.orch.api.runtime.ContainerRuntime#nodes()}); the runtime itself does not refuse
 * overcommit. Immutable and thread-safe.
 *
 * @param id       unique within the runtime; not blank
 * @param capacity the CPU and memory replicas may reserve on it
 * @param labels   node labels, for example {@code zone=a}
 * @param taints   taints that repel replicas not tolerating them
 */
public record NodeSpec(String id, Resources capacity, Map<String, String> labels, List<Taint> taints) {

  /**
   * Creates a node spec, copying the collections.
   *
   * @throws IllegalArgumentException if {@code id} is blank
   */
  public NodeSpec {
    Objects.requireNonNull(id, "id");
    if (id.isBlank()) {
      throw new IllegalArgumentException("node id: \"" + id + "\": must not be blank");
    }
    Objects.requireNonNull(capacity, "capacity");
    Objects.requireNonNull(labels, "labels");
    Objects.requireNonNull(taints, "taints");
    labels = Map.copyOf(labels);
    taints = List.copyOf(taints);
  }

  /** A node with {@code capacity}, no labels and no taints. */
  public static NodeSpec of(String id, Resources capacity) {
    return new NodeSpec(id, capacity, Map.of(), List.of());
  }

  /** A node with {@code capacity} and {@code labels}, no taints. */
  public static NodeSpec of(String id, Resources capacity, Map<String, String> labels) {
    return new NodeSpec(id, capacity, labels, List.of());
  }

  /** This node with label {@code key=value} added or replaced. */
  public NodeSpec withLabel(String key, String value) {
    Objects.requireNonNull(key, "key");
    Objects.requireNonNull(value, "value");
    Map<String, String> m = new HashMap<>(labels);
    m.put(key, value);
    return new NodeSpec(id, capacity, m, taints);
  }

  /** This node with {@code taint} added. */
  public NodeSpec withTaint(Taint taint) {
    List<Taint> t = new ArrayList<>(taints);
    t.add(Objects.requireNonNull(taint, "taint"));
    return new NodeSpec(id, capacity, labels, t);
  }
}
