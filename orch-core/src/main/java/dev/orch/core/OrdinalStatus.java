package dev.orch.core;

import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * One ordinal of a stateful service, as its status shows it. Immutable and thread-safe.
 *
 * @param ordinal  the ordinal
 * @param replica  the name of the container that holds it, if one does
 * @param node     the node that holds its volumes, or its replica's node; empty when neither is known
 * @param revision the revision its replica runs; empty without one
 * @param ready    whether its replica is ready
 * @param volumes  its volumes, one per template: name, node and size when known
 * @param waiting  why it waits (for its node, for the ordinals below it, for its previous replica's stop to
 *                 be confirmed...), or empty when it does not
 */
public record OrdinalStatus(int ordinal, Optional<String> replica, String node, String revision, boolean ready,
                            List<ServiceVolume> volumes, String waiting) {
  /** Creates one, copying the volumes. */
  public OrdinalStatus {
    Objects.requireNonNull(replica, "replica");
    Objects.requireNonNull(node, "node");
    Objects.requireNonNull(revision, "revision");
    volumes = List.copyOf(volumes);
    Objects.requireNonNull(waiting, "waiting");
  }

  /** {@code 1: db-1 on node-2, ready, revision 61a1bf7ae4, volumes [db-data-1]} and why it waits. */
  @Override
  public String toString() {
    return ordinal + ": " + replica.orElse("no replica") + (node.isEmpty() ? "" : " on " + node)
        + (replica.isPresent() ? (ready ? ", ready" : ", not ready") + ", revision " + revision : "")
        + (volumes.isEmpty() ? "" : ", volumes " + volumes.stream().map(v -> v.name() + (v.sizeBytes() >= 0
            ? " (" + v.sizeBytes() + " bytes)" : "")).toList()) + (waiting.isEmpty() ? "" : "; waits: " + waiting);
  }
}
