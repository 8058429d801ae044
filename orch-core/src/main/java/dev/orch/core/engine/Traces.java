package dev.orch.core.engine;

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
 * {@code orch.causes}), {@value #PLACEMENT} around placing a service's replicas and {@value #RUNTIME_CALL} around
 * every runtime call, from its start until its stage completes, on whatever thread that is (what the caller does
 * on completion runs inside the caller's observation, so the calls it makes next are in the same trace). The
 * events Orch emits
 * while an observation is current become its events (rollout steps, autoscaling decisions, policy changes).
 *
 * <p>Low-cardinality key values only name the service, the node, the kind of key or call and the outcome; a
 * call's words and a key's causes are high-cardinality. With {@link ObservationRegistry#NOOP} (the default) nothing
 * is kept or allocated: every method returns at once. Thread-safe.
 */
final class Traces {
  /** An apply of a spec, a network policy or an autoscaling policy. */
  static final String APPLY = "orch.apply";
  /** One work-queue pass over a key (a service, its autoscaling, the network wiring). */
  static final String PASS = "orch.reconcile";
  /** Placing replicas of a service on nodes. */
  static final String PLACEMENT = "orch.placement";
  /** One runtime call, until its stage completes. */
  static final String RUNTIME_CALL = "orch.runtime.call";

  private final ObservationRegistry registry;
  /** The observations that queued each key since its last pass, the first one first. */
  private final ConcurrentHashMap<String, List<Observation>> causes = new ConcurrentHashMap<>();

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
      causes.compute(key, (k, list) -> {
        List<Observation> out = list == null ? new ArrayList<>(2) : list;
        if (out.size() < 16) { // a key queued by many: the first is the parent, the rest only counted
          out.add(current);
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
    List<Observation> by = causes.remove(key);
    Observation o = Observation.createNotStarted(PASS, registry).lowCardinalityKeyValue("kind", kind)
        .lowCardinalityKeyValue("service", service);
    if (by != null && !by.isEmpty()) {
      o.parentObservation(by.get(0));
      o.highCardinalityKeyValue("orch.causes", Integer.toString(by.size()));
    }
    return o.start();
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

  /** Ends {@code o} with {@code outcome}, and {@code error} if not null. */
  static void stop(Observation o, String outcome, @Nullable Throwable error) {
    if (error != null) {
      o.error(error);
    }
    o.lowCardinalityKeyValue("outcome", outcome).stop();
  }
}
