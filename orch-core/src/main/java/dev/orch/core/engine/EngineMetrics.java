package dev.orch.core.engine;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;

/** The engine's meters, all tagged with the owner id. Thread-safe. */
final class EngineMetrics {
  final Timer reconcileTimer;
  final Counter reconcileCounter;
  final Counter retries;
  final Counter restarts;
  final Counter replacements;
  final Counter unschedulable;

  EngineMetrics(MeterRegistry registry, String ownerId) {
    this.reconcileTimer = Timer.builder("orch.reconcile.duration").tag("owner", ownerId)
        .description("time to reconcile one service").register(registry);
    this.reconcileCounter = Counter.builder("orch.reconcile.count").tag("owner", ownerId)
        .description("reconcile passes").register(registry);
    this.retries = Counter.builder("orch.runtime.retries").tag("owner", ownerId)
        .description("runtime calls retried").register(registry);
    this.restarts = Counter.builder("orch.restarts").tag("owner", ownerId)
        .description("containers restarted").register(registry);
    this.replacements = Counter.builder("orch.replacements").tag("owner", ownerId)
        .description("replicas replaced off lost nodes").register(registry);
    this.unschedulable = Counter.builder("orch.scheduler.unschedulable.passes").tag("owner", ownerId)
        .description("reconcile passes that left a replica unschedulable").register(registry);
  }
}
