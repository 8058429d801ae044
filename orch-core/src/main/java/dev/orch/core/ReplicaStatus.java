package dev.orch.core;

import dev.orch.api.runtime.ContainerState;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * One replica of a service as Orch last saw it. Immutable and thread-safe.
 *
 * @param ordinal     the replica's slot, {@code 0..replicas-1}
 * @param name        its container's name
 * @param containerId its container's runtime id
 * @param node        the node it runs on
 * @param state       its container's state
 * @param ready       whether it receives traffic
 * @param restarts    how many times Orch restarted it
 * @param lastExit    the exit code of its last run, if it exited
 * @param oomKilled   whether its last run was killed for exceeding its memory limit
 * @param revision    the template revision it runs
 * @param live        whether it passes its liveness probe (true when it has none and runs)
 * @param lastProbeFailure the last probe failure of its current run, in words
 * @param lastStartFailure while its starts keep failing, the last failure in the runtime's words
 *                    ({@code start web-0-x: e1: start web-0-x failed: engine answered HTTP 500: ... address
 *                    already in use}); empty once a start succeeds
 * @param lastWords   the last lines its container printed before its last exit, oldest first (as many as the
 *                    orchestrator's {@code lastWords} setting; empty if it has not exited or printed nothing)
 */
public record ReplicaStatus(int ordinal, String name, String containerId, String node, ContainerState state,
                            boolean ready, int restarts, OptionalInt lastExit, boolean oomKilled,
                            String revision, boolean live, Optional<String> lastProbeFailure,
                            Optional<String> lastStartFailure, List<String> lastWords) {
  /** Creates a replica status. */
  public ReplicaStatus {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(containerId, "containerId");
    Objects.requireNonNull(node, "node");
    Objects.requireNonNull(state, "state");
    Objects.requireNonNull(lastExit, "lastExit");
    Objects.requireNonNull(revision, "revision");
    Objects.requireNonNull(lastProbeFailure, "lastProbeFailure");
    Objects.requireNonNull(lastStartFailure, "lastStartFailure");
    lastWords = List.copyOf(lastWords);
  }
  /** Creates the status of a replica whose last words are not known. */
  public ReplicaStatus(int ordinal, String name, String containerId, String node, ContainerState state,
                       boolean ready, int restarts, OptionalInt lastExit, boolean oomKilled, String revision,
                       boolean live, Optional<String> lastProbeFailure, Optional<String> lastStartFailure) {
    this(ordinal, name, containerId, node, state, ready, restarts, lastExit, oomKilled, revision, live,
        lastProbeFailure, lastStartFailure, List.of());
  }


  /**
   * A one-line summary: {@code web-0-x7k2p on node-1: RUNNING, ready, revision 61a1bf7ae4}, with restarts,
   * the last exit, an OOM kill and the last probe or start failure when there are any.
   */
  @Override
  public String toString() {
    StringBuilder sb = new StringBuilder(name).append(" on ").append(node.isEmpty() ? "no node" : node).append(": ")
        .append(state).append(ready ? ", ready" : ", not ready");
    if (!live && state == ContainerState.RUNNING) {
      sb.append(", not live");
    }
    sb.append(", revision ").append(revision);
    if (restarts > 0) {
      sb.append(", ").append(restarts).append(restarts == 1 ? " restart" : " restarts");
    }
    lastExit.ifPresent(code -> sb.append(", last exit ").append(code));
    if (oomKilled) {
      sb.append(", OOM-killed");
    }
    lastProbeFailure.ifPresent(f -> sb.append(", last probe failure: ").append(f));
    lastStartFailure.ifPresent(f -> sb.append(", last start failure: ").append(f));
    return sb.toString();
  }

  /** Creates a replica status with no start failure. */
  public ReplicaStatus(int ordinal, String name, String containerId, String node, ContainerState state,
                       boolean ready, int restarts, OptionalInt lastExit, boolean oomKilled, String revision,
                       boolean live, Optional<String> lastProbeFailure) {
    this(ordinal, name, containerId, node, state, ready, restarts, lastExit, oomKilled, revision, live,
        lastProbeFailure, Optional.empty());
  }
}
