package dev.orch.core.engine;

import dev.orch.core.rollout.RolloutOperations;

/**
 * What a reconcile pass works with: the replica decisions and their runtime lifecycle, the probes, the
 * endpoints, the observed state, the rollouts, stateful replicas' volumes and their moves, and the events. Thread-safe as
 * each of them is.
 */
record Workers(ReplicaActions replicas, ReplicaLifecycle lifecycle, ReplicaProbes probes, EndpointPublisher endpoints,
               ObservedState observed, RolloutOperations rollouts, StatefulVolumes volumes, VolumeMoves moves,
               EngineEvents events) {
}
