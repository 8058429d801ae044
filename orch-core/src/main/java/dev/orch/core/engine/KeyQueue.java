package dev.orch.core.engine;

import java.time.Duration;

/** Queues a service for its worker, now or later (a key queued twice before it runs runs once). Thread-safe. */
interface KeyQueue {
  /** Queues {@code service} now. */
  void enqueue(String service);

  /** Queues {@code service} after {@code delay}. */
  void enqueueAfter(String service, Duration delay);
}
