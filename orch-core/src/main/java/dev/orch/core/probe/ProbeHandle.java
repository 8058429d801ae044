package dev.orch.core.probe;

/**
 * One watched target: its state now, and the means to reset or stop its probing. Thread-safe.
 */
public interface ProbeHandle extends AutoCloseable {

  /** The target this handle probes. */
  ProbeTarget target();

  /** The target's probe state now: started, live, ready and the last failure. */
  ProbeState state();

  /**
   * Tells the prober that the container was restarted, as kubelet resets its probe workers when a
   * container is replaced: counts start over, initial delays count from now, the startup probe (if any)
   * runs again, and a ready container becomes not ready ({@link ProbeTransition.Type#NOT_READY}) until its
   * probes say otherwise. Results of probes begun before the call are ignored.
   */
  void restarted();

  /** Stops probing this target; a probe in flight completes unseen. Idempotent. */
  @Override
  void close();
}
