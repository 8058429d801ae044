package dev.orch.core.internal;

import dev.orch.api.runtime.NodeInfo;
import dev.orch.api.spec.ServiceSpec;
import java.util.List;
import java.util.Optional;

/** Chooses nodes for new replicas against the cluster as it stands; the controller's view of the Scheduler. */
public interface Placer {

  /** A replica that holds resources on a node: running, starting, or about to be created. */
  record Existing(String replicaId, String service, String nodeId, ServiceSpec spec) {
  }

  /**
   * The outcome for one replica: the node chosen, or why none fits.
   *
   * @param nodeId  the chosen node, when one fits
   * @param message why none fits ({@code 0/5 nodes fit: ...}), when none does
   * @param victims when none fits: the lower-priority replicas whose removal would make room, if any
   * @param victimsNode the node the victims would free
   */
  record Outcome(Optional<String> nodeId, String message, List<String> victims, Optional<String> victimsNode) {
    /** A placement on {@code nodeId}. */
    public static Outcome placed(String nodeId) {
      return new Outcome(Optional.of(nodeId), "", List.of(), Optional.empty());
    }

    /** No node fits, for the reason given; removing {@code victims} from {@code victimsNode} would make room. */
    public static Outcome unschedulable(String message, List<String> victims, Optional<String> victimsNode) {
      return new Outcome(Optional.empty(), message, List.copyOf(victims), victimsNode);
    }
  }

  /**
   * Places {@code replicaIds} of {@code spec}, in order, each reserving what it takes before the next.
   *
   * @param nodes      every node, ready or not
   * @param existing   what already holds resources
   * @param boundNodes replica id to the node holding its node-local volume, where it must go back
   */
  List<Outcome> place(List<NodeInfo> nodes, List<Existing> existing, ServiceSpec spec, List<String> replicaIds,
                      java.util.Map<String, String> boundNodes);
}
