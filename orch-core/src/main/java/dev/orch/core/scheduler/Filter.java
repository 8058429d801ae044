package dev.orch.core.scheduler;

/**
 * A user filter: decides whether a node may take a replica, after the built-in filters (ready, resources,
 * host ports, node selector, taints, anti-affinity, spread, node-local volume) have passed it.
 *
 * <p>{@link #accepts} runs on the placement path for many nodes: keep it fast and free of allocation.
 * {@link #reason} is called only to explain a refusal. Implementations used by a scheduler shared between
 * threads must be thread-safe.
 */
public interface Filter {
  /** Whether {@code node} may take {@code replica}; {@code node} is valid only during the call. */
  boolean accepts(ReplicaRequest replica, NodeView node);

  /**
   * Why {@code node} refuses {@code replica}, as a short phrase counted across nodes (for example
   * {@code "node is draining"}); keep the number of distinct phrases small.
   */
  String reason(ReplicaRequest replica, NodeView node);
}
