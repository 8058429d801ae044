package dev.orch.core.scheduler;

/** A replica recorded in a snapshot: its request, its node slot, and its positions in the index arrays. */
final class ReplicaRecord {
  final ReplicaRequest request;
  final ServiceState service;
  final int node;
  int posInNode;
  int posInService;

  ReplicaRecord(ReplicaRequest request, ServiceState service, int node) {
    this.request = request;
    this.service = service;
    this.node = node;
  }
}
