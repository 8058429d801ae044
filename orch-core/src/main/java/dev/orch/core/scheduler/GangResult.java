package dev.orch.core.scheduler;

import java.util.Map;
import java.util.Objects;

/**
 * The outcome of placing a group all or nothing: {@link Placed} with every replica's node, or
 * {@link Unschedulable} naming the first replica that fit nowhere (and then nothing is reserved).
 * Immutable and thread-safe.
 */
public sealed interface GangResult permits GangResult.Placed, GangResult.Unschedulable {

  /** Whether the whole group was placed. */
  boolean placed();

  /**
   * Every replica was placed and reserved.
   *
   * @param nodes each replica id's node, in the order the group was given
   */
  record Placed(Map<String, String> nodes) implements GangResult {
    /** Creates the result, copying the map in its order. */
    public Placed {
      Objects.requireNonNull(nodes, "nodes");
      nodes = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(nodes));
    }

    @Override
    public boolean placed() {
      return true;
    }
  }

  /**
   * The group does not fit whole; nothing was reserved.
   *
   * @param replicaId the replica that fit nowhere once the ones before it were placed
   * @param cause     why it fit nowhere
   */
  record Unschedulable(String replicaId, PlacementResult.Unschedulable cause) implements GangResult {
    /** Creates the result. */
    public Unschedulable {
      Objects.requireNonNull(replicaId, "replicaId");
      Objects.requireNonNull(cause, "cause");
    }

    @Override
    public boolean placed() {
      return false;
    }

    @Override
    public String toString() {
      return "gang unschedulable at " + replicaId + ": " + cause.message();
    }
  }
}
