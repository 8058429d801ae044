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
 * @param pending      the replicas it wants that have no container yet, each with why (unplaced, being
 *                     created, or a create the runtime keeps refusing)
 * @param ordinals     a stateful service's ordinals, each with its replica, node, volumes and why it waits;
 *                     empty for a service that is not stateful
 * @param autoscaling  the autoscaler's last decisions, oldest first, each with every number that made it (at
 *                     most 20, since this orchestrator started); empty for a service that is not autoscaled
 */
public record ServiceStatus(String name, int desired, int running, int ready, List<Condition> conditions,
                            List<ReplicaStatus> replicas, List<OrchEvent> recentEvents, RolloutStatus rollout,
                            List<PendingReplica> pending, List<OrdinalStatus> ordinals,
                            List<dev.orch.core.autoscale.Decision> autoscaling) {
  /** Creates a status, copying the lists. */
  public ServiceStatus {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(conditions, "conditions");
    Objects.requireNonNull(replicas, "replicas");
    Objects.requireNonNull(recentEvents, "recentEvents");
    Objects.requireNonNull(pending, "pending");
    conditions = List.copyOf(conditions);
    replicas = List.copyOf(replicas);
    recentEvents = List.copyOf(recentEvents);
    Objects.requireNonNull(rollout, "rollout");
    pending = List.copyOf(pending);
    ordinals = List.copyOf(ordinals);
    autoscaling = List.copyOf(autoscaling);
  }

  /** Creates the status of a service that is not autoscaled. */
  public ServiceStatus(String name, int desired, int running, int ready, List<Condition> conditions,
                       List<ReplicaStatus> replicas, List<OrchEvent> recentEvents, RolloutStatus rollout,
                       List<PendingReplica> pending, List<OrdinalStatus> ordinals) {
    this(name, desired, running, ready, conditions, replicas, recentEvents, rollout, pending, ordinals, List.of());
  }

  /** Creates the status of a service that is not stateful. */
  public ServiceStatus(String name, int desired, int running, int ready, List<Condition> conditions,
                       List<ReplicaStatus> replicas, List<OrchEvent> recentEvents, RolloutStatus rollout,
                       List<PendingReplica> pending) {
    this(name, desired, running, ready, conditions, replicas, recentEvents, rollout, pending, List.of());
  }

  /** Creates a status with no pending replicas. */
  public ServiceStatus(String name, int desired, int running, int ready, List<Condition> conditions,
                       List<ReplicaStatus> replicas, List<OrchEvent> recentEvents, RolloutStatus rollout) {
    this(name, desired, running, ready, conditions, replicas, recentEvents, rollout, List.of());
  }

  /** Whether exactly the desired number of replicas are ready and no other replica exists. */
  public boolean isReady() {
    return ready == desired && replicas.size() == desired;
  }

  /**
   * A short summary, as {@code kubectl get} would say it: {@code orders: 4/4 ready, revision 61a1bf7ae4,
   * rollout COMPLETE}, then each condition that is not as it should be (such as
   * {@code Available=false (MinimumReplicasUnavailable: 3/4 replicas available)}) and each replica on a line of
   * its own. The record's components are there for code to read.
   */
  @Override
  public String toString() {
    StringBuilder sb = new StringBuilder(name).append(": ").append(ready).append('/').append(desired)
        .append(" ready");
    if (running != ready) {
      sb.append(" (").append(running).append(" running)");
    }
    sb.append(", revision ").append(rollout.revision()).append(", rollout ").append(rollout.phase());
    for (Condition c : conditions) {
      boolean fine = switch (c.type()) {
        case "ReplicaFailure" -> !c.status();
        default -> c.status();
      };
      if (!fine) {
        sb.append("; ").append(c.type()).append('=').append(c.status()).append(" (").append(c.reason())
            .append(c.message().isEmpty() ? "" : ": " + c.message()).append(')');
      }
    }
    for (ReplicaStatus r : replicas) {
      sb.append("\n  ").append(r);
    }
    for (PendingReplica p : pending) {
      sb.append("\n  ").append(p);
    }
    return sb.toString();
  }

  /** The condition of {@code type}, if reported. */
  public Optional<Condition> condition(String type) {
    Objects.requireNonNull(type, "type");
    return conditions.stream().filter(c -> c.type().equals(type)).findFirst();
  }
}
