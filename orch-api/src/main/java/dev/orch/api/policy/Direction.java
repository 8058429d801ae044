package dev.orch.api.policy;

/** A direction of traffic a {@link NetworkPolicy} can isolate, seen from the services it selects. */
public enum Direction {
  /** Connections a selected service accepts: the selected service is the destination. */
  INGRESS,
  /** Connections a selected service opens: the selected service is the source. */
  EGRESS;

  /** The lowercase word, as in paths and explanations ({@code ingress}, {@code egress}). */
  public String word() {
    return this == INGRESS ? "ingress" : "egress";
  }
}
