package dev.orch.core.lb;

/**
 * One immutable pick state of a {@link LoadBalancer}: the candidates a pick may return, their statistics
 * (index-aligned), the picker's table over them, and the health counts that explain an empty pick.
 * Immutable and thread-safe; the statistics objects it points to are shared and mutable.
 *
 * <p>Picks read it lock-free through one volatile reference; {@link PickStateWriter} builds a new one
 * for every change and publishes it. The fields are final and read directly so that the pick path
 * stays free of calls the JIT could not inline.
 */
final class PickState {
  final String service;
  final Endpoint[] endpoints;
  final EndpointStats[] stats;
  final Table table;
  final boolean panic;
  final int members;
  final int healthy;

  PickState(String service, Endpoint[] endpoints, EndpointStats[] stats, Table table, boolean panic,
      int members, int healthy) {
    this.service = service;
    this.endpoints = endpoints;
    this.stats = stats;
    this.table = table;
    this.panic = panic;
    this.members = members;
    this.healthy = healthy;
  }

  /** The state of a balancer that has seen no members yet: every pick finds nothing. */
  static PickState empty(String service) {
    return new PickState(service, new Endpoint[0], new EndpointStats[0], Table.EMPTY, false, 0, 0);
  }

  /** The exception for a pick that found nothing, saying why (no members, or none healthy and weighted). */
  NoAvailableEndpointException noEndpoint() {
    return new NoAvailableEndpointException(service, members == 0 ? "the service has no members"
        : healthy + " of " + members + " members healthy, none with a positive weight"
            + (panic ? " (panic mode)" : ""));
  }
}
