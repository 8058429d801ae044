package dev.orch.core.scheduler;

import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * The outcome of placing one replica: {@link Placed} on a node, or {@link Unschedulable} with the reasons
 * every node refused it. Immutable and thread-safe.
 */
public sealed interface PlacementResult permits PlacementResult.Placed, PlacementResult.Unschedulable {

  /** Whether the replica was placed. */
  boolean placed();

  /**
   * The replica was placed on {@code nodeId}, and its resources are reserved there in the snapshot.
   *
   * @param nodeId the chosen node
   */
  record Placed(String nodeId) implements PlacementResult {
    /** Creates the result. */
    public Placed {
      Objects.requireNonNull(nodeId, "nodeId");
    }

    @Override
    public boolean placed() {
      return true;
    }
  }

  /**
   * No node passes every filter. Nothing was reserved.
   *
   * @param reasons    the first failing filter of every node, counted per reason and sorted by count
   *                   (largest first); the counts add up to the number of nodes in the snapshot
   * @param message    a one-line summary such as {@code 0/5 nodes fit: 3 insufficient memory, 2 missing
   *                   label zone=eu}
   * @param preemption the smallest set of lower-priority replicas whose removal would make the replica fit,
   *                   if there is one (and preemption is enabled)
   */
  record Unschedulable(Map<String, Integer> reasons, String message, Optional<Preemption> preemption)
      implements PlacementResult {
    /** Creates the result, copying the reasons in their order. */
    public Unschedulable {
      Objects.requireNonNull(reasons, "reasons");
      reasons = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(reasons));
      Objects.requireNonNull(message, "message");
      Objects.requireNonNull(preemption, "preemption");
    }

    @Override
    public boolean placed() {
      return false;
    }

    @Override
    public String toString() {
      return message;
    }
  }
}
