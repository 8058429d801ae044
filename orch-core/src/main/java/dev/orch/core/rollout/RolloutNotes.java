package dev.orch.core.rollout;

import dev.orch.api.spec.ServiceSpec;
import dev.orch.core.OrchEvent;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;

/**
 * Reports what a rollout does: an event whose message names the revision, and the {@code orch.rollout.events}
 * counter tagged with the service and the kind (not the revision: tags must stay few). Thread-safe.
 */
final class RolloutNotes {
  private final RolloutEffects effects;
  private final MeterRegistry registry;

  RolloutNotes(RolloutEffects effects, MeterRegistry registry) {
    this.effects = effects;
    this.registry = registry;
  }

  RolloutEffects effects() {
    return effects;
  }

  /** Reports a rollout event of {@code kind} (started, step, paused, ...) about {@code revision}. */
  void note(ServiceSpec spec, String kind, String revision, String reason, String message) {
    effects.step(kind.equals("aborted") || kind.equals("rolledback") || kind.equals("stalled")
        ? OrchEvent.Type.WARNING : OrchEvent.Type.NORMAL, kind, reason, spec.name(),
        message.contains(revision) ? message : message + " (revision " + revision + ")");
    Counter.builder("orch.rollout.events").description("Rollout events by kind: started, step, paused, resumed, "
            + "promote, promoted, aborted, rolledback, stalled, completed")
        .tag("service", spec.name()).tag("event", kind)
        .register(registry).increment();
  }
}
