package dev.orch.core;

import java.time.Instant;
import java.util.Objects;

/**
 * Something Orch did or saw, like a line of {@code kubectl get events}: a replica created, restarted,
 * replaced; a node lost; a runtime call that failed. Immutable and thread-safe.
 *
 * @param time    when, by the orchestrator's time source
 * @param type    {@link Type#NORMAL} or {@link Type#WARNING}
 * @param reason  a short CamelCase word: {@code Created}, {@code Restarted}, {@code Unschedulable}, ...
 * @param service the service it concerns, or empty
 * @param replica the replica (container name) it concerns, or empty
 * @param node    the node it concerns, or empty
 * @param message what happened, in words
 */
public record OrchEvent(Instant time, Type type, String reason, String service, String replica, String node,
                        String message) {
  /** Whether an event is routine or a sign of trouble. */
  public enum Type {
    /** Routine. */
    NORMAL,
    /** Something failed or degraded. */
    WARNING
  }

  /** Creates an event; every component is required (use "" for none). */
  public OrchEvent {
    Objects.requireNonNull(time, "time");
    Objects.requireNonNull(type, "type");
    Objects.requireNonNull(reason, "reason");
    Objects.requireNonNull(service, "service");
    Objects.requireNonNull(replica, "replica");
    Objects.requireNonNull(node, "node");
    Objects.requireNonNull(message, "message");
  }

  @Override
  public String toString() {
    return time + " " + type + " " + reason + (service.isEmpty() ? "" : " " + service)
        + (replica.isEmpty() ? "" : " " + replica) + (node.isEmpty() ? "" : " on " + node) + ": " + message;
  }
}
