package dev.orch.core.scheduler;

/**
 * A score for a node that passed every filter; the scheduler picks the node with the largest weighted sum
 * of scores, breaking ties by a seeded random choice.
 *
 * <p>Built-in scores are in {@link Scores}. A user score runs on the placement path for many nodes: keep it
 * fast and free of allocation. Implementations used by a scheduler shared between threads must be
 * thread-safe.
 */
public interface Score {
  /**
   * How well {@code node} suits {@code replica}, from 0 (worst) to 1 (best); {@code node} is valid only
   * during the call and shows the node's use before this replica is added.
   */
  double score(ReplicaRequest replica, NodeView node);
}
