package dev.orch.api.runtime;

import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * A listing across nodes that may be partial: the containers of the nodes that answered, and the nodes that
 * did not (an engine that died, a partitioned node). What a node that did not answer runs is unknown, not
 * gone: Orch keeps what it knew of those containers until the node answers again. Immutable and thread-safe.
 *
 * @param containers      the matching containers on the nodes that answered
 * @param unansweredNodes the ids of the nodes that did not answer (empty when the listing is complete)
 */
public record ContainerListing(List<ContainerInfo> containers, Set<String> unansweredNodes) {
  /** Creates a listing, copying the collections. */
  public ContainerListing {
    Objects.requireNonNull(containers, "containers");
    Objects.requireNonNull(unansweredNodes, "unansweredNodes");
    containers = List.copyOf(containers);
    unansweredNodes = Set.copyOf(unansweredNodes);
  }

  /** A complete listing: every node answered. */
  public static ContainerListing complete(List<ContainerInfo> containers) {
    return new ContainerListing(containers, Set.of());
  }

  /** Whether every node answered. */
  public boolean isComplete() {
    return unansweredNodes.isEmpty();
  }

  /** Whether the listing says what node {@code nodeId} runs (it answered). */
  public boolean answered(String nodeId) {
    return !unansweredNodes.contains(Objects.requireNonNull(nodeId, "nodeId"));
  }
}
