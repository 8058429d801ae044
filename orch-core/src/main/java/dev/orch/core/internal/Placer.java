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
   */
  record Outcome(Optional<String> nodeId, String message) {
    /** A placement on {@code nodeId}. */
    public static Outcome placed(String nodeId) {
      return new Outcome(Optional.of(nodeId), "");
    }

    /** No node fits, for the reason given. */
    public static Outcome unschedulable(String message) {
      return new Outcome(Optional.empty(), message);
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
