package dev.orch.core.lb;

/**
 * What a picker chooses from: the endpoints that may take traffic now, their statistics and their
 * effective weights (all positive), index-aligned. Immutable once built; the stats objects are shared.
 */
final class Candidates {
  final String service;
  final Endpoint[] endpoints;
  final EndpointStats[] stats;
  final double[] weights;
  final boolean uniform;

  Candidates(String service, Endpoint[] endpoints, EndpointStats[] stats, double[] weights) {
    this.service = service;
    this.endpoints = endpoints;
    this.stats = stats;
    this.weights = weights;
    boolean u = true;
    for (int i = 1; i < weights.length; i++) {
      if (weights[i] != weights[0]) {
        u = false;
        break;
      }
    }
    this.uniform = u;
  }

  int size() {
    return endpoints.length;
  }
}
