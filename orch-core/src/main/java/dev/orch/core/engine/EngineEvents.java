package dev.orch.core.engine;

import dev.orch.core.OrchEvent;

/** Records an event (as {@code kubectl get events} shows them). Thread-safe; returns at once. */
interface EngineEvents {
  /**
   * Records an event about {@code service} (empty: the orchestrator), {@code replica} and {@code node} (empty
   * when none).
   */
  void emit(OrchEvent.Type type, String reason, String service, String replica, String node, String message);
}
