package dev.orch.core.engine;

import dev.orch.api.policy.NetworkPolicy;
import dev.orch.api.runtime.Subscription;
import dev.orch.api.spec.ServiceSpec;
import dev.orch.api.state.StateEvent;
import dev.orch.api.state.StateRecord;
import dev.orch.api.state.StateStore;
import dev.orch.api.state.StateStoreException;
import dev.orch.core.OrchEvent;
import dev.orch.core.rollout.RolloutOperations;
import dev.orch.core.state.PolicyJson;
import dev.orch.core.state.SpecJson;
import dev.orch.core.util.Json;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes asked of a standby, carried to the leader through the store: a standby keeps each as a record under
 * {@code <owner>/requests/} ({@code apply} with the spec, {@code scale} with the count, {@code delete}; a rollout's
 * {@code pause}, {@code resume}, {@code promote} and {@code abort}; {@code cordon} and {@code uncordon} of a node;
 * {@code applyPolicy} with the policy and {@code deletePolicy}) and returns once the store holds it (a {@code wake}
 * of an autoscaled service at zero, asked by a waiting pick, does not wait). The leader takes each in the order they
 * were kept, at its election for those waiting and from a watch afterwards, does it as if it had been asked itself
 * (a request it refuses is an event, {@code RequestRefused}), and deletes the record. A request done twice (a
 * leader that stopped between doing it and deleting it) does what it did once, but for a rollout's operation (an
 * abort twice would go further back), whose record is deleted before it is done: at most once. Thread-safe.
 */
final class StandbyRequests {
  private static final Logger LOG = LoggerFactory.getLogger(StandbyRequests.class);
  private static final AtomicLong SEQUENCE = new AtomicLong();
  /** The requests being taken now, by key, so that one the watch and the listing both see is taken once. */
  private final java.util.Set<String> taking = java.util.concurrent.ConcurrentHashMap.newKeySet();
  /** How often a standby asks the leader to wake one service at most. */
  private static final Duration WAKE_EVERY = Duration.ofSeconds(1);

  private final StateStore store;
  private final String prefix;
  private final String candidate;
  private final Duration timeout;
  private final dev.orch.api.time.TimeSource time;
  /** When each service's wake was last asked, in {@link dev.orch.api.time.TimeSource#nanoTime} of {@link #time}. */
  private final java.util.concurrent.ConcurrentHashMap<String, Long> wakes =
      new java.util.concurrent.ConcurrentHashMap<>();

  /**
   * Requests of owner {@code ownerId} on {@code store} (the shared one, unfenced), made by {@code candidate}; a
   * request the leader could not keep is tried again a second later on {@code time}.
   */
  StandbyRequests(StateStore store, String ownerId, String candidate, Duration timeout,
                  dev.orch.api.time.TimeSource time) {
    this.time = time;
    this.store = store;
    this.prefix = ownerId + "/requests/";
    this.candidate = candidate;
    this.timeout = timeout;
  }

  /** Keeps a request to apply {@code spec} (validated already), for the leader. */
  void apply(ServiceSpec spec) {
    Map<String, Object> r = request("apply", spec.name());
    r.put("spec", SpecJson.tree(spec));
    keep(r);
  }

  /** Keeps a request to scale service {@code name} to {@code replicas}, for the leader. */
  void scale(String name, int replicas) {
    Map<String, Object> r = request("scale", name);
    r.put("replicas", replicas);
    keep(r);
  }

  /** Keeps a request to delete service {@code name}, for the leader. */
  void delete(String name) {
    keep(request("delete", name));
  }

  /** Keeps a request for the leader to {@code op} ({@code pause}, {@code resume}, ...) {@code name}'s rollout. */
  void rollout(String op, String name) {
    if (!RolloutOperations.OPS.contains(op)) {
      throw new IllegalArgumentException("op: \"" + op + "\": must be one of " + RolloutOperations.OPS);
    }
    keep(request(op, name));
  }

  /** Keeps a request to cordon node {@code node} ({@code on}) or uncordon it, for the leader. */
  void cordon(String node, boolean on) {
    keep(request(on ? "cordon" : "uncordon", node));
  }

  /** Keeps a request to apply network policy {@code policy}, for the leader. */
  void applyPolicy(NetworkPolicy policy) {
    Map<String, Object> r = request("applyPolicy", policy.name());
    r.put("policy", PolicyJson.tree(policy));
    keep(r);
  }

  /** Keeps a request to delete network policy {@code name}, for the leader. */
  void deletePolicy(String name) {
    keep(request("deletePolicy", name));
  }

  /**
   * Asks the leader to wake autoscaled service {@code name} at zero (a pick through a standby's balancer waits for
   * it), at most once a second per service; without waiting for the store, as the pick path does not wait: a failed
   * write is logged, and the next waiting pick asks again.
   */
  void wake(String name) {
    long now = time.nanoTime();
    Long last = wakes.get(name);
    if (last != null && now - last < WAKE_EVERY.toNanos()) {
      return;
    }
    boolean mine = last == null ? wakes.putIfAbsent(name, now) == null : wakes.replace(name, last, now);
    if (!mine) {
      return; // another pick asked just now
    }
    store.put(key(), Json.write(request("wake", name)), StateStore.ABSENT).whenComplete((v, e) -> {
      if (e != null) {
        LOG.info("{}: asking the leader to wake {} failed ({}); the next waiting pick asks again", store.name(), name,
            e.toString());
      }
    });
  }

  /** A request to {@code op} {@code subject} (a service, a node or a policy, as the op says). */
  private Map<String, Object> request(String op, String subject) {
    Map<String, Object> r = new LinkedHashMap<>();
    r.put("op", op);
    r.put("service", subject);
    r.put("from", candidate);
    return r;
  }

  /** A new request's key: keys sort in the order requests were made here (time, then a sequence). */
  private String key() {
    return prefix + String.format("%016x-%08x-%s", System.currentTimeMillis(), SEQUENCE.incrementAndGet(),
        Integer.toHexString(candidate.hashCode()));
  }

  private void keep(Map<String, Object> r) {
    String key = key();
    try {
      store.put(key, Json.write(r), StateStore.ABSENT).toCompletableFuture().get(timeout.toMillis(),
          TimeUnit.MILLISECONDS);
    } catch (java.util.concurrent.ExecutionException e) {
      throw new StateStoreException(store.name() + ": " + r.get("op") + " " + r.get("service") + " for the leader"
          + " could not be kept: " + e.getCause().getMessage(), e.getCause());
    } catch (java.util.concurrent.TimeoutException e) {
      throw new StateStoreException(store.name() + ": " + r.get("op") + " " + r.get("service") + " for the leader:"
          + " the store did not answer in " + timeout.toMillis() + "ms (the request may be kept: read before asking"
          + " again)", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new StateStoreException(store.name() + ": interrupted keeping a request for the leader", e);
    }
  }

  /**
   * Deletes request {@code r} before it is done (at most once: a leader that stops between this and doing it loses
   * it, which for a rollout's operation is better than doing it twice); false when it is gone or changed already.
   */
  private boolean claim(StateStore fenced, StateRecord r) {
    try {
      return fenced.delete(r.key(), r.version()).toCompletableFuture().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (java.util.concurrent.ExecutionException e) {
      if (e.getCause() instanceof RuntimeException cause) {
        throw cause; // NotLeaderException (left for the next leader) or StateStoreException (tried again)
      }
      throw new StateStoreException(fenced.name() + ": claiming " + r.key() + " failed: " + e.getCause(), e);
    } catch (java.util.concurrent.TimeoutException e) {
      throw new StateStoreException(fenced.name() + ": claiming " + r.key() + ": no answer in " + timeout.toMillis()
          + "ms", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new StateStoreException(fenced.name() + ": interrupted claiming " + r.key(), e);
    }
  }

  /**
   * As the leader: does every request waiting, in order, then each one kept from now on, through {@code plane};
   * deletes each once done through {@code fenced} (the leader's store). Returns the watch, to close when it stops.
   */
  Subscription serve(ControlPlane plane, StateStore fenced) {
    Subscription watch = store.watch(prefix, e -> {
      if (e.type() == StateEvent.Type.PUT && e.value().isPresent()) {
        take(plane, fenced, new StateRecord(e.key(), e.value().get(), e.version()));
      }
    });
    List<StateRecord> waiting = store.list(prefix).toCompletableFuture().join();
    for (StateRecord r : waiting) {
      take(plane, fenced, r);
    }
    return watch;
  }

  private void take(ControlPlane plane, StateStore fenced, StateRecord r) {
    if (plane.isClosed()) {
      return; // no longer the leader's engine: the next leader takes it
    }
    if (!taking.add(r.key())) {
      return; // the watch and the listing both saw it: taken once
    }
    try {
      takeOnce(plane, fenced, r);
    } finally {
      taking.remove(r.key());
    }
  }

  private void takeOnce(ControlPlane plane, StateStore fenced, StateRecord r) {
    String what = r.key();
    boolean claimed = false;
    try {
      Map<String, @Nullable Object> m = Json.parseObject(r.value());
      String op = String.valueOf(m.get("op"));
      String service = String.valueOf(m.get("service"));
      what = op + " " + service + " from " + m.get("from");
      if (RolloutOperations.OPS.contains(op)) {
        if (!claim(fenced, r)) {
          return; // done by a leader before (a rollout's operation is not done twice: an abort would go further back)
        }
        claimed = true;
      }
      switch (op) {
        case "apply" -> plane.apply(SpecJson.spec(m.get("spec")));
        case "scale" -> plane.scale(service, ((Number) java.util.Objects.requireNonNull(m.get("replicas"),
            "replicas")).intValue());
        case "delete" -> plane.delete(service);
        case "pause", "resume", "promote", "abort" -> plane.rollouts().ask(op, service);
        case "cordon", "uncordon" -> plane.nodeOperations().cordon(service, op.equals("cordon"));
        case "applyPolicy" -> plane.policies().apply(PolicyJson.policy(m.get("policy")));
        case "deletePolicy" -> plane.policies().delete(service);
        case "wake" -> plane.wake(service);
        default -> throw new IllegalArgumentException("op: \"" + op + "\": must be one of apply, scale, delete, "
            + RolloutOperations.OPS + ", cordon, uncordon, applyPolicy, deletePolicy or wake");
      }
    } catch (dev.orch.api.state.NotLeaderException e) {
      return; // no longer the leader: left in the store for the next one
    } catch (StateStoreException e) {
      if (claimed) { // its record is gone: said, not tried again
        plane.emit(OrchEvent.Type.WARNING, "RequestRefused", "", "", "", "a standby's request (" + what + ") could"
            + " not be kept: " + e.getMessage() + "; ask again");
        return;
      }
      LOG.warn("{}: the request {} could not be kept ({}); it is tried again in 1 s", plane, what, e.getMessage());
      time.schedule(Duration.ofSeconds(1), () -> take(plane, fenced, r)); // left in the store meanwhile
      return;
    } catch (RuntimeException e) {
      plane.emit(OrchEvent.Type.WARNING, "RequestRefused", "", "", "", "a standby's request (" + what + ") was"
          + " refused: " + e.getMessage());
    }
    try {
      fenced.delete(r.key(), StateStore.ANY).toCompletableFuture().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (Exception e) {
      LOG.info("{}: the request {} was done; deleting its record failed ({}), so it is done again later (which does"
          + " what it did)", plane, what, e.toString());
    }
  }
}
