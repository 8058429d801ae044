package dev.orch.api.runtime;

import dev.orch.api.spec.Resources;
import dev.orch.api.spec.Taint;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A node a runtime offers: its id, labels, taints, capacity, and whether it answers. Immutable and
 * thread-safe.
 *
 * @param id       unique within the runtime
 * @param labels   used by node selectors and topology spread (for example {@code zone=eu-1})
 * @param taints   repel replicas that do not tolerate them
 * @param capacity the CPU and memory replicas may reserve on it
 * @param ready    whether the node answers; the scheduler never places on a node that is not ready
 * @param message  why the node is ready or not, in the runtime's words (a Docker node says how its engine
 *                 answers and the state of the circuit breaker guarding its calls); empty when the runtime
 *                 has nothing to say
 */
public record NodeInfo(String id, Map<String, String> labels, List<Taint> taints, Resources capacity,
                       boolean ready, String message) {
  /** Creates node info, copying the collections. */
  public NodeInfo {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(labels, "labels");
    Objects.requireNonNull(taints, "taints");
    labels = Map.copyOf(labels);
    taints = List.copyOf(taints);
    Objects.requireNonNull(capacity, "capacity");
    Objects.requireNonNull(message, "message");
  }

  /** Creates node info with no message. */
  public NodeInfo(String id, Map<String, String> labels, List<Taint> taints, Resources capacity, boolean ready) {
    this(id, labels, taints, capacity, ready, "");
  }

  /** This node, ready or not; a message about the other readiness no longer applies and is dropped. */
  public NodeInfo withReady(boolean ready) {
    return ready == this.ready ? this : new NodeInfo(id, labels, taints, capacity, ready, "");
  }

  /** This node, ready or not, with {@code message} saying why. */
  public NodeInfo withReady(boolean ready, String message) {
    return new NodeInfo(id, labels, taints, capacity, ready, message);
  }
}
