package dev.orch.core;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * What {@link Orchestrator#drain} did: which of the replicas Orch ran on the node left it (each replaced
 * elsewhere, a stateful one with its volumes' data), and which did not, each with why. Immutable and
 * thread-safe.
 *
 * @param node     the node drained; it stays cordoned
 * @param complete whether every replica left the node before the timeout
 * @param moved    the replicas that left it, by container name, sorted
 * @param left     the replicas still on it, by container name, each with why it did not leave (empty when
 *                 complete)
 * @param took     how long the drain took, on the orchestrator's time source
 */
public record DrainReport(String node, boolean complete, List<String> moved, Map<String, String> left,
                          Duration took) {
  /**
   * Creates one, copying the lists.
   *
   * @throws IllegalArgumentException when {@code complete} disagrees with {@code left} (complete: nothing left)
   */
  public DrainReport {
    Objects.requireNonNull(node, "node");
    moved = List.copyOf(moved);
    left = Map.copyOf(left);
    Objects.requireNonNull(took, "took");
    if (complete != left.isEmpty()) {
      throw new IllegalArgumentException("complete: " + complete + ": must be true exactly when nothing is left, "
          + "and left is " + left);
    }
  }

  /** {@code node-2 drained in 4.2s: 3 replicas moved} or what stayed, with why. */
  @Override
  public String toString() {
    return node + (complete ? " drained" : " not drained") + " in " + took.toMillis() / 1000.0 + "s: " + moved.size()
        + " replicas moved" + (left.isEmpty() ? "" : "; still there: " + new java.util.TreeMap<>(left));
  }
}
