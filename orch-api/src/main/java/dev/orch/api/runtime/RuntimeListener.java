package dev.orch.api.runtime;

/**
 * Receives a runtime's events. Called from the runtime's own event thread, one event at a time; an
 * implementation should hand the event off (enqueue it) and return quickly, never block.
 */
@FunctionalInterface
public interface RuntimeListener {
  /** Called for each event, in order per container. */
  void onEvent(RuntimeEvent event);
}
