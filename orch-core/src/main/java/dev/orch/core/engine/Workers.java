package dev.orch.core.engine;

import dev.orch.core.rollout.RolloutOperations;

/**
 * What a reconcile pass works with: the replica decisions and their runtime lifecycle, the probes, the
 * endpoints, the observed state, the rollouts, stateful replicas' volumes and their moves, the events, and (for an
 * engine of a new leadership) until when no stateful replica is created in place of a missing one: its predecessor's
 * lease and longest runtime call, which might still start one, must have run out. Thread-safe as each of them is.
 */
record Workers(ReplicaActions replicas, ReplicaLifecycle lifecycle, ReplicaProbes probes, EndpointPublisher endpoints,
               ObservedState observed, RolloutOperations rollouts, StatefulVolumes volumes, VolumeMoves moves,
               EngineEvents events, java.time.@org.jspecify.annotations.Nullable Instant replaceStatefulAfter) {
}
