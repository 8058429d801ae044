package dev.orch.api.spec;

import java.util.Objects;

/**
 * What a container asks for ({@code requests}: the scheduler reserves this much on a node) and the most
 * it may use ({@code limits}: the runtime enforces this; {@link Resources#NONE} means unlimited).
 * Immutable and thread-safe.
 *
 * @param requests reserved on the node at placement
 * @param limits   enforced by the runtime; a zero component means no limit for that resource
 */
public record ResourceRequirements(Resources requests, Resources limits) {
  /** Nothing requested, nothing limited. */
  public static final ResourceRequirements NONE = new ResourceRequirements(Resources.NONE, Resources.NONE);

  /** Creates requirements; both components are required. */
  public ResourceRequirements {
    Objects.requireNonNull(requests, "requests");
    Objects.requireNonNull(limits, "limits");
  }

  /** Requests and limits equal: the container gets exactly this much. */
  public static ResourceRequirements guaranteed(Resources amount) {
    return new ResourceRequirements(amount, amount);
  }

  /** Requests this much, with no limit. */
  public static ResourceRequirements requests(Resources amount) {
    return new ResourceRequirements(amount, Resources.NONE);
  }

  void validate(String path, Violations v) {
    v.atLeast(path + ".requests.cpu", requests.cpuMillis(), 0);
    v.atLeast(path + ".requests.memory", requests.memoryBytes(), 0);
    v.atLeast(path + ".limits.cpu", limits.cpuMillis(), 0);
    v.atLeast(path + ".limits.memory", limits.memoryBytes(), 0);
    if (limits.cpuMillis() > 0 && requests.cpuMillis() > limits.cpuMillis()) {
      v.add(path + ".requests.cpu", requests.cpuMillis() + "m",
          "must be <= limits.cpu (" + limits.cpuMillis() + "m)");
    }
    if (limits.memoryBytes() > 0 && requests.memoryBytes() > limits.memoryBytes()) {
      v.add(path + ".requests.memory", requests.memoryBytes(),
          "must be <= limits.memory (" + limits.memoryBytes() + ")");
    }
  }
}
