package dev.orch.api.spec;

/** What a node's taint does to replicas that do not tolerate it, as in Kubernetes. */
public enum TaintEffect {
  /** Replicas that do not tolerate the taint are not placed on the node. */
  NO_SCHEDULE,
  /** The scheduler avoids the node for replicas that do not tolerate the taint, but may still use it. */
  PREFER_NO_SCHEDULE,
  /** Not placed, and replicas already there that do not tolerate it are moved away. */
  NO_EXECUTE
}
