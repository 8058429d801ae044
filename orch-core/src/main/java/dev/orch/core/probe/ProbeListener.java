package dev.orch.core.probe;

/**
 * Receives a watched target's transitions, one at a time and in the order they happened.
 *
 * <p>Called on the prober's time source thread (with a virtual time source, on the thread that advances
 * it): keep it quick and hand heavy work elsewhere. An exception it throws is logged and swallowed.
 */
@FunctionalInterface
public interface ProbeListener {
  /** Called when the target's probe state changes. */
  void onTransition(ProbeTransition transition);
}
