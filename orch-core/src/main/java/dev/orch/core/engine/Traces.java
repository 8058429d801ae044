package dev.orch.core.engine;

import dev.orch.core.OrchObservations;
import io.micrometer.observation.Observation;
import io.micrometer.observation.ObservationRegistry;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;

/**
 * The orchestrator's Micrometer observations, so that one apply shows as one trace: {@value #APPLY} around an
 * apply (of a spec, a policy or an autoscaling policy), {@value #PASS} around each work-queue pass, whose parent is
 * the observation that queued its key (the first of them when the queue merged several; the others are counted in
 * {@code orch.causes}, the others linked: {@link OrchObservations#linkedCauses}), {@value #PLACEMENT} around placing
 * a service's replicas, {@value #RUNTIME_CALL} around every runtime call, from its start until its stage
 * completes, on whatever thread that is (what the caller does on completion runs inside the caller's observation,
 * so the calls it makes next are in the same trace), {@value #AUTOSCALE} around an autoscaling decision (from its
 * metrics read to its scale) and {@value #ROLLOUT_STEP} for each step of a rollout (a short observation under
 * the pass that took the step). Probes are observed by the {@code HealthProber}. The events Orch emits while an
 * observation is current become its events.
 *
 * <p>Low-cardinality key values only name the service, the node, the kind of key or call and the outcome; a
 * call's words and a key's causes are high-cardinality. With {@link ObservationRegistry#NOOP} (the default) nothing
 * is kept or allocated: every method returns at once. Thread-safe.
 */
final class Traces {
  static final String APPLY = OrchObservations.APPLY;
  static final String PASS = OrchObservations.PASS;
  static final String PLACEMENT = OrchObservations.PLACEMENT;
  static final String RUNTIME_CALL = OrchObservations.RUNTIME_CALL;
  static final String ROLLOUT_STEP = OrchObservations.ROLLOUT_STEP;
  static final String AUTOSCALE = OrchObservations.AUTOSCALE;
  /** At most this many causes of one pass are kept (the first the parent, the others links); more are counted. */
  private static final int KEPT_CAUSES = 16;

  private final ObservationRegistry registry;
  /** The observations that queued each key since its last pass, the first one first. */
  private final ConcurrentHashMap<String, Causes> causes = new ConcurrentHashMap<>();

  Traces(ObservationRegistry registry) {
    this.registry = registry;
  }

  /** Whether nothing is observed (the NOOP registry). */
  boolean off() {
    return registry.isNoop();
  }

  /** An apply of {@code kind} ({@code service}, {@code policy}, {@code autoscaling}) for {@code subject}, started. */
  Observation apply(String kind, String subject) {
    if (off()) {
      return Observation.NOOP;
    }
    return Observation.createNotStarted(APPLY, registry).lowCardinalityKeyValue("kind", kind)
        .lowCardinalityKeyValue("service", subject).start();
  }

  /** Notes that the observation current now (if any) queued {@code key}. Nothing is kept when off. */
  void queued(String key) {
    if (off()) {
      return;
    }
    Observation current = registry.getCurrentObservation();
    if (current != null) {
      causes.compute(key, (k, c) -> {
        Causes out = c == null ? new Causes() : c;
        out.count++;
        if (out.kept.size() < KEPT_CAUSES && !out.kept.contains(current)) {
          out.kept.add(current); // a key queued by many: the first is the parent, the next linked, the rest counted
        }
        return out;
      });
    }
  }

  /** A pass over {@code key} of {@code kind} about {@code service}, started, child of what first queued it. */
  Observation pass(String key, String kind, String service) {
    if (off()) {
      return Observation.NOOP;
    }
    Causes by = causes.remove(key);
    Observation o = Observation.createNotStarted(PASS, registry).lowCardinalityKeyValue("kind", kind)
        .lowCardinalityKeyValue("service", service);
    if (by != null) {
      o.parentObservation(by.kept.get(0));
      o.highCardinalityKeyValue("orch.causes", Integer.toString(by.count));
      if (by.kept.size() > 1) {
        List<Observation.ContextView> links = new ArrayList<>(by.kept.size() - 1);
        for (Observation cause : by.kept.subList(1, by.kept.size())) {
          links.add(cause.getContextView());
        }
        o.getContext().put(OrchObservations.LinkedCauses.class, new OrchObservations.LinkedCauses(links));
      }
    }
    return o.start();
  }

  /** A step of {@code service}'s rollout ({@code step}: started, step, paused, ...), started, child of the current one. */
  Observation rolloutStep(String service, String step, String message) {
    if (off()) {
      return Observation.NOOP;
    }
    return Observation.createNotStarted(ROLLOUT_STEP, registry).lowCardinalityKeyValue("service", service)
        .lowCardinalityKeyValue("step", step).highCardinalityKeyValue("message", message).start();
  }

  /** An autoscaling decision for {@code service}, started, child of {@code parent} (the pass that read the metrics). */
  Observation autoscale(String service, @Nullable Observation parent) {
    if (off()) {
      return Observation.NOOP;
    }
    Observation o = Observation.createNotStarted(AUTOSCALE, registry).lowCardinalityKeyValue("service", service);
    if (parent != null) {
      o.parentObservation(parent);
    }
    return o.start();
  }

  /** The observation current now, if any (null when off). */
  @Nullable Observation current() {
    return off() ? null : registry.getCurrentObservation();
  }

  /** Placing replicas of {@code service}, started, child of the current observation. */
  Observation placement(String service, int replicas) {
    if (off()) {
      return Observation.NOOP;
    }
    return Observation.createNotStarted(PLACEMENT, registry).lowCardinalityKeyValue("service", service)
        .highCardinalityKeyValue("replicas", Integer.toString(replicas)).start();
  }

  /**
   * Runs runtime call {@code what} on {@code node} inside an observation that ends when its stage does: with an
   * {@code outcome} of {@code ok} or {@code failed} (and the error).
   */
  <T> CompletionStage<T> call(String node, String what, Supplier<CompletionStage<T>> call) {
    if (off()) {
      return call.get();
    }
    int space = what.indexOf(' ');
    Observation o = Observation.createNotStarted(RUNTIME_CALL, registry)
        .lowCardinalityKeyValue("operation", space > 0 ? what.substring(0, space) : what)
        .lowCardinalityKeyValue("node", node).highCardinalityKeyValue("call", what).start();
    CompletionStage<T> stage;
    try (Observation.Scope scope = o.openScope()) {
      stage = call.get();
    } catch (RuntimeException e) {
      o.error(e);
      o.lowCardinalityKeyValue("outcome", "failed").stop();
      throw e;
    }
    // What the caller does on completion runs inside the observation that made the call (a pass, say), on
    // whatever thread completes it: so the calls it makes next belong to the same trace.
    Observation parent = o.getContext().getParentObservation() instanceof Observation p ? p : null;
    CompletableFuture<T> out = new CompletableFuture<>();
    stage.whenComplete((v, x) -> {
      if (x != null) {
        o.error(x);
      }
      o.lowCardinalityKeyValue("outcome", x == null ? "ok" : "failed").stop();
      if (parent == null) {
        complete(out, v, x);
      } else {
        try (Observation.Scope scope = parent.openScope()) {
          complete(out, v, x);
        }
      }
    });
    return out;
  }

  private static <T> void complete(CompletableFuture<T> out, @Nullable T value, @Nullable Throwable error) {
    if (error != null) {
      out.completeExceptionally(error instanceof java.util.concurrent.CompletionException c && c.getCause() != null
          ? c.getCause() : error);
    } else {
      out.complete(value);
    }
  }

  /** Adds event {@code reason} to the observation current now, if any. */
  void event(String reason, String message) {
    if (off()) {
      return;
    }
    Observation current = registry.getCurrentObservation();
    if (current != null) {
      current.event(Observation.Event.of("orch." + reason, message));
    }
  }

  /** The observations that queued one key since its last pass: the first few, and how many in all. */
  private static final class Causes {
    final List<Observation> kept = new ArrayList<>(2);
    int count;
  }

  /** Ends {@code o} with {@code outcome}, and {@code error} if not null. */
  static void stop(Observation o, String outcome, @Nullable Throwable error) {
    if (error != null) {
      o.error(error);
    }
    o.lowCardinalityKeyValue("outcome", outcome).stop();
  }
}
