package dev.orch.core;

import java.util.Objects;

/**
 * A replica a service wants that has no container yet: not placed (no node has room, or none fits its
 * placement), being created, or whose create keeps failing. Immutable and thread-safe.
 *
 * @param ordinal  its slot, {@code 0..replicas-1}
 * @param revision the template revision it is to run
 * @param reason   why it has no container, in words: the scheduler's reason, or the runtime's last refusal
 *                 ({@code create web-0-x: ... No such image ...}), or {@code being created}
 */
public record PendingReplica(int ordinal, String revision, String reason) {
  /** Creates a pending replica. */
  public PendingReplica {
    Objects.requireNonNull(revision, "revision");
    Objects.requireNonNull(reason, "reason");
  }

  /** {@code replica 3 of 61a1bf7ae4: pending (no node has room: ...)}. */
  @Override
  public String toString() {
    return "replica " + ordinal + " of " + revision + ": pending (" + reason + ")";
  }
}
