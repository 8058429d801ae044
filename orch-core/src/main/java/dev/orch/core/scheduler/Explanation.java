package dev.orch.core.scheduler;

import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * The verdict of every node for one replica, from {@link Scheduler#explain}: which nodes pass every filter
 * and their scores, which refuse and why. Immutable and thread-safe.
 *
 * @param replicaId the replica explained
 * @param verdicts  one verdict per node, in the snapshot's node order
 * @param reasons   the refusals counted per reason, largest first (empty when every node fits)
 * @param best      the node with the best score over every feasible node (placement may score only a
 *                  sample of them on a large cluster, and breaks ties at random), or empty when none fits
 * @param message   a one-line summary such as {@code 2/5 nodes fit: 3 insufficient memory}
 */
public record Explanation(String replicaId, List<NodeVerdict> verdicts, Map<String, Integer> reasons,
                          Optional<String> best, String message) {
  /** Creates an explanation, copying its collections. */
  public Explanation {
    Objects.requireNonNull(replicaId, "replicaId");
    Objects.requireNonNull(verdicts, "verdicts");
    Objects.requireNonNull(reasons, "reasons");
    verdicts = List.copyOf(verdicts);
    reasons = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(reasons));
    Objects.requireNonNull(best, "best");
    Objects.requireNonNull(message, "message");
  }

  /**
   * One node's verdict. Immutable and thread-safe.
   *
   * @param nodeId the node
   * @param fits   whether it passes every filter
   * @param reason why it refuses (its first failing filter), or empty when it fits
   * @param score  its weighted score when it fits, otherwise {@code NaN}
   */
  public record NodeVerdict(String nodeId, boolean fits, Optional<String> reason, double score) {
    /** Creates a verdict. */
    public NodeVerdict {
      Objects.requireNonNull(nodeId, "nodeId");
      Objects.requireNonNull(reason, "reason");
    }
  }
}
