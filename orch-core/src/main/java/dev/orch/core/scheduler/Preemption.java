package dev.orch.core.scheduler;

import java.util.List;
import java.util.Objects;

/**
 * A way to make room for a replica that fits nowhere: remove {@code victims} from {@code nodeId}, then place
 * the replica there. Every victim has a strictly lower priority than the replica. The scheduler only names
 * the victims; the caller stops them and then calls {@link ClusterSnapshot#removeReplica(String)} for each
 * (or {@link Scheduler#release}) before placing again. Immutable and thread-safe.
 *
 * @param nodeId  the node to make room on
 * @param victims the replica ids to remove; the smallest such set found over all nodes
 */
public record Preemption(String nodeId, List<String> victims) {
  /** Creates a preemption, copying the victims. */
  public Preemption {
    Objects.requireNonNull(nodeId, "nodeId");
    Objects.requireNonNull(victims, "victims");
    victims = List.copyOf(victims);
  }
}
