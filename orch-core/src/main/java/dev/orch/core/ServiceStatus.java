package dev.orch.core;

import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * A service's observed state: desired, running and ready counts, conditions, each replica, and the last
 * events. Immutable and thread-safe; a snapshot, not a live view.
 *
 * @param name         the service
 * @param desired      desired replicas
 * @param running      replicas whose container runs
 * @param ready        replicas that receive traffic
 * @param conditions   conditions, by type
 * @param replicas     each replica, by ordinal
 * @param recentEvents the service's last events, oldest first
 * @param rollout      where the move to the current revision stands
 */
public record ServiceStatus(String name, int desired, int running, int ready, List<Condition> conditions,
                            List<ReplicaStatus> replicas, List<OrchEvent> recentEvents, RolloutStatus rollout) {
  /** Creates a status, copying the lists. */
  public ServiceStatus {
    Objects.requireNonNull(name, "name");
    conditions = List.copyOf(conditions);
    replicas = List.copyOf(replicas);
    recentEvents = List.copyOf(recentEvents);
    Objects.requireNonNull(rollout, "rollout");
  }

  /** Whether exactly the desired number of replicas are ready and no other replica exists. */
  public boolean isReady() {
    return ready == desired && replicas.size() == desired;
  }

  /** The condition of {@code type}, if reported. */
  public Optional<Condition> condition(String type) {
    return conditions.stream().filter(c -> c.type().equals(type)).findFirst();
  }
}
