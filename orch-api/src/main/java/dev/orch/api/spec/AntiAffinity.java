package dev.orch.api.spec;

/** Whether two replicas of one service may share a node. */
public enum AntiAffinity {
  /** No rule: replicas may share nodes. */
  NONE,
  /** Prefer nodes that run no replica of the service yet. */
  SOFT,
  /** Never place two replicas of the service on one node. */
  HARD
}
