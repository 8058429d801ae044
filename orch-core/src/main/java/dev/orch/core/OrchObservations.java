package dev.orch.core;

import io.micrometer.observation.Observation;
import java.util.List;

/**
 * The names of the Micrometer observations Orch makes when its builder is given an {@code ObservationRegistry},
 * and the causes a reconcile pass links to. Each observation's low-cardinality key values name only the service,
 * the node, the kind of work and the outcome; container ids, calls and messages are high-cardinality.
 *
 * <p>The work queue merges keys: a pass queued by several observations (an apply, then a runtime event, say) is
 * a child of the first and links the others. Micrometer Observation has no links of its own, so the others are
 * kept in the pass's context, read with {@link #linkedCauses}; a tracing handler turns them into span links
 * (Micrometer Tracing's default handler ignores them: see {@code dev.orch.samples.TracingSample} for a handler
 * that adds them, through {@code Span.Builder.addLink}).
 *
 * <pre>{@code
 * List<Observation.ContextView> others = OrchObservations.linkedCauses(context);
 * }</pre>
 *
 * <p>A constants holder; not instantiable.
 */
public final class OrchObservations {
  /** An apply of a spec, a network policy or an autoscaling policy (key {@code kind}). */
  public static final String APPLY = "orch.apply";
  /** One work-queue pass over a key: a service, its autoscaling or the network wiring (key {@code kind}). */
  public static final String PASS = "orch.reconcile";
  /** Placing replicas of a service on nodes. */
  public static final String PLACEMENT = "orch.placement";
  /** One runtime call (key {@code operation}), from its start until its stage completes. */
  public static final String RUNTIME_CALL = "orch.runtime.call";
  /** One probe of one container (keys {@code probe}: liveness, readiness or startup, and {@code action}). */
  public static final String PROBE = dev.orch.core.probe.HealthProber.OBSERVATION;
  /** One step of a rollout (key {@code step}: started, step, paused, promoted, completed, rolledback, ...). */
  public static final String ROLLOUT_STEP = "orch.rollout.step";
  /** One autoscaling decision, from its metrics read to its scale (key {@code outcome}: what it decided). */
  public static final String AUTOSCALE = "orch.autoscale";

  private OrchObservations() {
  }

  /**
   * The observations that also queued the pass of {@code context}, besides its parent, oldest first: empty for
   * any other observation, and for a pass queued once.
   */
  public static List<Observation.ContextView> linkedCauses(Observation.ContextView context) {
    LinkedCauses causes = context.get(LinkedCauses.class);
    return causes == null ? List.of() : causes.contexts();
  }

  /**
   * The causes a pass links to, kept in its context under this class as the key (put there before it starts).
   *
   * @param contexts the observations that queued the pass besides its parent, oldest first
   */
  public record LinkedCauses(List<Observation.ContextView> contexts) {
    /** Copies {@code contexts}. */
    public LinkedCauses {
      contexts = List.copyOf(contexts);
    }
  }
}
