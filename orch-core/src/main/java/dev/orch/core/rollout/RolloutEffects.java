package dev.orch.core.rollout;

import dev.orch.api.spec.ServiceSpec;
import dev.orch.core.OrchEvent;
import dev.orch.core.Revision;
import java.util.List;
import java.util.Optional;

/**
 * What the rollout package asks of the engine that runs it: emit an event, set a service's condition, look
 * up a service, queue it, and move it to another revision. The engine implements it; every method is
 * thread-safe and returns at once.
 */
public interface RolloutEffects {
  /** Records an event about service {@code service}. */
  void event(OrchEvent.Type type, String reason, String service, String message);

  /**
   * Records a step of service {@code service}'s rollout ({@code step}: started, step, paused, promoted, ...), an
   * event of {@code reason} with {@code message}, inside an observation of the step.
   */
  default void step(OrchEvent.Type type, String step, String reason, String service, String message) {
    event(type, reason, service, message);
  }

  /** Sets condition {@code type} of service {@code service}; returns whether it changed. */
  boolean setCondition(String service, String type, boolean status, String reason, String message);

  /** The desired spec of service {@code service}, if applied. */
  Optional<ServiceSpec> desired(String service);

  /** The rollout memory of service {@code service}, if Orch knows the service. */
  Optional<RolloutState> rollout(String service);

  /** Queues service {@code service} for its worker. */
  void enqueue(String service);

  /**
   * Keeps {@code ops}, the operations asked of service {@code service}'s rollout and not yet carried out, in
   * the state store.
   *
   * @throws dev.orch.api.state.StateStoreException when the store cannot keep them
   */
  void keepOperations(String service, List<String> ops);

  /**
   * An automatic rollback from a worker: makes {@code failed}'s service run {@code target}'s template and
   * probes, but only if {@code failed} is still its desired spec, so that a spec applied meanwhile (a scale,
   * a newer revision) is never overwritten.
   */
  void rollBack(ServiceSpec failed, Revision target);

  /** A rollback a user asked for: makes {@code spec}'s service run {@code target}'s template and probes. */
  void applyRevision(ServiceSpec spec, Revision target);
}
