package dev.orch.core.engine.journal;

import dev.orch.api.spec.ServiceSpec;
import dev.orch.api.state.StateRecord;
import dev.orch.api.state.StateSchema;
import dev.orch.api.state.StateStore;
import dev.orch.api.state.StateStoreException;
import dev.orch.core.Revision;
import dev.orch.core.rollout.RevisionHistory;
import dev.orch.core.rollout.RolloutState;
import dev.orch.core.rollout.RolloutStateJson;
import dev.orch.core.state.SpecJson;
import dev.orch.core.util.Json;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.jspecify.annotations.Nullable;

/**
 * What one orchestrator keeps in its {@link StateStore}, under its owner id:
 * {@code <owner>/services/<name>} holds a service's desired spec, whether it is being deleted, and its
 * revision history; {@code <owner>/rollouts/<name>} holds where its rollout stands, and
 * {@code <owner>/operations/<name>} the operations asked of it ({@code pause()}...) not yet carried out. The store's
 * {@link StateSchema schema record} says how to read them.
 *
 * <p>Every write waits for the store, up to the call timeout, and throws {@link StateStoreException} when it
 * fails, so that the caller does not act on what was not kept. Writes of one key come from one thread at a
 * time: service records under the control plane's lock, a rollout's position from its worker, its operations
 * under its operations' lock (callers asking, the worker taking, and forgetting, all hold it). Not API.
 */
public final class StateJournal {
  private final StateStore store;
  private final String prefix;
  private final Duration timeout;
  /** Per service: the history changes and the rollout last written, so that an unchanged one is not. */
  private final ConcurrentHashMap<String, Long> historySaved = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<String, String> rolloutSaved = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<String, List<String>> opsSaved = new ConcurrentHashMap<>();

  /**
   * A journal of owner {@code ownerId} on {@code store}.
   *
   * @param timeout how long one store call may take
   */
  public StateJournal(StateStore store, String ownerId, Duration timeout) {
    this.store = store;
    this.prefix = ownerId + "/";
    this.timeout = timeout;
  }

  /** The store's name. */
  public String storeName() {
    return store.name();
  }

  /**
   * One service as the store holds it.
   *
   * @param name      the service
   * @param spec      its desired spec (the last applied, for a service being deleted; null for the deletion
   *                  of one never applied, whose owned containers were found)
   * @param deleted   whether it is being deleted
   * @param revisions its revision history, oldest first
   * @param good      the revisions that were ever fully available
   * @param rollout   where its rollout stands, as {@link RolloutStateJson} reads it; null when not kept
   * @param ops       the operations asked of its rollout and not yet carried out, oldest first
   */
  public record Stored(String name, @Nullable ServiceSpec spec, boolean deleted, List<Revision> revisions,
                       List<String> good, @Nullable Object rollout, List<String> ops) {
  }

  /**
   * Checks the store's schema, writing it on an empty store, and reads back every service of this owner.
   *
   * @throws dev.orch.api.state.UnsupportedSchemaException when the store holds a newer schema
   * @throws StateStoreException when the store fails, or a record cannot be read (naming its key)
   */
  public List<Stored> open() {
    return open(true);
  }

  /**
   * {@link #open()}, writing the schema on an empty store only if {@code mayWrite} (a standby's engine writes
   * nothing: it reads an empty store as the current schema).
   */
  public List<Stored> open(boolean mayWrite) {
    Optional<StateRecord> schema = call("read the schema", store.get(StateSchema.KEY));
    if (schema.isEmpty() && mayWrite) {
      try {
        call("write the schema", store.put(StateSchema.KEY, StateSchema.value(StateSchema.CURRENT), StateStore.ABSENT));
      } catch (StateStoreException e) {
        if (!(e.getCause() instanceof dev.orch.api.state.VersionConflictException)) {
          throw e;
        }
        schema = call("read the schema", store.get(StateSchema.KEY)); // another orchestrator wrote it first
      }
    }
    if (schema.isPresent()) {
      StateSchema.requireReadable(store.name(), schema.get().value());
    }
    Map<String, Object> rollouts = new LinkedHashMap<>();
    for (StateRecord r : call("list the rollouts", store.list(prefix + "rollouts/"))) {
      rollouts.put(r.key().substring((prefix + "rollouts/").length()), parse(r));
    }
    Map<String, List<String>> ops = new LinkedHashMap<>();
    for (StateRecord r : call("list the rollout operations", store.list(prefix + "operations/"))) {
      List<String> names = new ArrayList<>();
      Object list = parse(r) instanceof Map<?, ?> m ? m.get("ops") : null;
      if (!(list instanceof List<?> l)) {
        throw new StateStoreException(store.name() + ": " + r.key() + " is not {\"ops\": [...]}: "
            + Json.abbreviate(r.value()));
      }
      l.forEach(o -> names.add(String.valueOf(o)));
      ops.put(r.key().substring((prefix + "operations/").length()), List.copyOf(names));
    }
    List<Stored> out = new ArrayList<>();
    for (StateRecord r : call("list the services", store.list(prefix + "services/"))) {
      String name = r.key().substring((prefix + "services/").length());
      try {
        Map<String, @Nullable Object> m = Json.parseObject(r.value());
        boolean deleted = Boolean.TRUE.equals(m.get("deleted"));
        ServiceSpec spec = deleted && m.get("spec") == null ? null : SpecJson.spec(m.get("spec"));
        List<Revision> revisions = new ArrayList<>();
        for (Object rev : (List<?>) m.get("revisions")) {
          Map<?, ?> rm = (Map<?, ?>) rev;
          revisions.add(new Revision((String) rm.get("id"), SpecJson.container(name + ".revisions", rm.get("container")),
              SpecJson.probes(name + ".revisions", rm.get("probes")), Instant.parse((String) rm.get("appliedAt")),
              rm.containsKey("volumes") ? SpecJson.volumeTemplates(name + ".revisions", rm.get("volumes"))
                  : templatesOf(spec))); // kept before revisions kept their templates: the spec's, as they were
        }
        List<String> good = new ArrayList<>();
        for (Object g : (List<?>) m.get("good")) {
          good.add((String) g);
        }
        out.add(new Stored(name, spec, deleted, revisions, good, rollouts.get(name),
            ops.getOrDefault(name, List.of())));
      } catch (RuntimeException e) {
        throw new StateStoreException(store.name() + ": " + r.key() + " is not a service record this version reads: "
            + e.getMessage(), e);
      }
    }
    return out;
  }

  /**
   * The nodes kept cordoned, each to whether it is being drained.
   *
   * @throws StateStoreException when the store fails
   */
  public Map<String, Boolean> cordons() {
    Map<String, Boolean> out = new LinkedHashMap<>();
    for (StateRecord r : call("list the cordons", store.list(prefix + "cordons/"))) {
      Object draining = Json.parseObject(r.value()).get("draining");
      out.put(r.key().substring((prefix + "cordons/").length()), Boolean.TRUE.equals(draining));
    }
    return out;
  }

  /**
   * Keeps node {@code node} cordoned ({@code on}), and whether it is {@code draining}, or forgets its cordon.
   *
   * @throws StateStoreException when the store fails
   */
  public void saveCordon(String node, boolean on, boolean draining) {
    String key = prefix + "cordons/" + node;
    if (on) {
      call("cordon " + node, store.put(key, draining ? "{\"cordoned\":true,\"draining\":true}"
          : "{\"cordoned\":true}", StateStore.ANY));
    } else {
      call("uncordon " + node, store.delete(key, StateStore.ANY));
    }
  }

  /**
   * A stateful replica's volumes moving from node {@code from} to node {@code to}: {@code copied} once every
   * copy is verified (the copies hold the data), before that not (the originals do).
   */
  public record Move(String from, String to, boolean copied) {
  }

  /**
   * The volume moves kept, by service, then ordinal.
   *
   * @throws StateStoreException when the store fails, or a record cannot be read (naming its key)
   */
  public Map<String, Map<Integer, Move>> moves() {
    Map<String, Map<Integer, Move>> out = new LinkedHashMap<>();
    for (StateRecord r : call("list the volume moves", store.list(prefix + "moves/"))) {
      String rest = r.key().substring((prefix + "moves/").length());
      int slash = rest.lastIndexOf('/');
      try {
        Map<String, @Nullable Object> m = Json.parseObject(r.value());
        out.computeIfAbsent(rest.substring(0, slash), k -> new LinkedHashMap<>()).put(
            Integer.parseInt(rest.substring(slash + 1)), new Move((String) m.get("from"), (String) m.get("to"),
                Boolean.TRUE.equals(m.get("copied"))));
      } catch (RuntimeException e) {
        throw new StateStoreException(store.name() + ": " + r.key() + ": not a volume move: " + e.getMessage(), e);
      }
    }
    return out;
  }

  /**
   * Keeps {@code move} of ordinal {@code ordinal}'s volumes of service {@code service}, or (null) forgets it.
   *
   * @throws StateStoreException when the store fails
   */
  public void saveMove(String service, int ordinal, @Nullable Move move) {
    String key = prefix + "moves/" + service + "/" + ordinal;
    if (move == null) {
      call("forget the volume move of " + service + "-" + ordinal, store.delete(key, StateStore.ANY));
    } else {
      call("keep the volume move of " + service + "-" + ordinal, store.put(key, Json.write(Map.of("from",
          move.from(), "to", move.to(), "copied", move.copied())), StateStore.ANY));
    }
  }

  private static List<dev.orch.api.spec.Stateful.VolumeTemplate> templatesOf(@Nullable ServiceSpec spec) {
    return spec == null ? List.of() : spec.stateful().map(dev.orch.api.spec.Stateful::volumes).orElse(List.of());
  }

  /**
   * The network policies kept, in key order.
   *
   * @throws StateStoreException when the store fails, or a record cannot be read (naming its key)
   */
  public List<dev.orch.api.policy.NetworkPolicy> policies() {
    List<dev.orch.api.policy.NetworkPolicy> out = new ArrayList<>();
    for (StateRecord r : call("list the network policies", store.list(prefix + "policies/"))) {
      try {
        out.add(dev.orch.core.state.PolicyJson.policy(Json.parse(r.value())));
      } catch (RuntimeException e) {
        throw new StateStoreException(store.name() + ": " + r.key() + ": not a network policy: " + e.getMessage(), e);
      }
    }
    return out;
  }

  /**
   * Keeps network policy {@code policy}, or (only {@code name} given) forgets policy {@code name}.
   *
   * @throws StateStoreException when the store fails
   */
  public void savePolicy(String name, dev.orch.api.policy.@Nullable NetworkPolicy policy) {
    String key = prefix + "policies/" + name;
    if (policy == null) {
      call("delete network policy " + name, store.delete(key, StateStore.ANY));
    } else {
      call("apply network policy " + name, store.put(key, Json.pretty(dev.orch.core.state.PolicyJson.tree(policy)),
          StateStore.ANY));
    }
  }

  /** The autoscaling policies kept, each with its autoscaler's history. */
  public List<dev.orch.core.state.AutoscaleJson.Kept> autoscaling() {
    List<dev.orch.core.state.AutoscaleJson.Kept> out = new ArrayList<>();
    for (StateRecord r : call("list the autoscaling policies", store.list(prefix + "autoscale/"))) {
      try {
        out.add(dev.orch.core.state.AutoscaleJson.read(Json.parse(r.value())));
      } catch (RuntimeException e) {
        throw new StateStoreException(store.name() + ": " + r.key() + ": not an autoscaling policy: "
            + e.getMessage(), e);
      }
    }
    return out;
  }

  /**
   * Keeps {@code service}'s autoscaling {@code policy} with its autoscaler's {@code history} and whether it is
   * {@code paused}, or forgets it when {@code policy} is null.
   *
   * @throws StateStoreException when the store cannot
   */
  public void saveAutoscaling(String service, dev.orch.api.spec.@Nullable AutoscalePolicy policy,
                              dev.orch.core.autoscale.ScaleHistory history, boolean paused) {
    String key = prefix + "autoscale/" + service;
    if (policy == null) {
      call("delete autoscaling of " + service, store.delete(key, StateStore.ANY));
    } else {
      call("keep autoscaling of " + service, store.put(key, Json.pretty(dev.orch.core.state.AutoscaleJson.tree(
          policy, history, paused)), StateStore.ANY));
    }
  }

  /** Notes what was read back or written by others, so that the next sync writes only what changes. */
  public void noteRestored(String name, RevisionHistory history, RolloutState rollout) {
    historySaved.put(name, history.changes());
    RolloutStateJson.tree(rollout).ifPresent(t -> rolloutSaved.put(name, Json.write(t)));
    opsSaved.put(name, rollout.pendingOps());
  }

  /**
   * Keeps {@code ops}, the operations asked of service {@code name}'s rollout and not yet carried out, if they
   * changed since the last write (none left: the record goes).
   *
   * @throws StateStoreException when the store fails
   */
  public void saveOps(String name, List<String> ops) {
    if (ops.equals(opsSaved.getOrDefault(name, List.of()))) {
      return;
    }
    String key = prefix + "operations/" + name;
    if (ops.isEmpty()) {
      call("keep the rollout operations of " + name, store.delete(key, StateStore.ANY));
    } else {
      call("keep the rollout operations of " + name, store.put(key, Json.write(Map.of("ops", ops)), StateStore.ANY));
    }
    opsSaved.put(name, List.copyOf(ops));
  }

  /**
   * Writes service {@code name}'s record: its spec, whether it is being deleted, and {@code history}.
   *
   * @param what what the write is for, for the message ({@code apply orders})
   * @throws StateStoreException when the store fails; nothing is known to be kept then
   */
  public void saveService(String what, ServiceSpec spec, boolean deleted, RevisionHistory history) {
    save(what, spec.name(), spec, deleted, history);
  }

  /**
   * Writes that service {@code name} is being deleted, with {@code spec}, its last applied spec, or null when
   * it was never applied (its owned containers are being removed).
   *
   * @throws StateStoreException when the store fails; nothing is known to be kept then
   */
  public void saveDeletion(String what, String name, @Nullable ServiceSpec spec, RevisionHistory history) {
    save(what, name, spec, true, history);
  }

  private void save(String what, String name, @Nullable ServiceSpec spec, boolean deleted, RevisionHistory history) {
    long changes = history.changes(); // first: a change racing this write is written again
    Map<String, @Nullable Object> m = new LinkedHashMap<>();
    m.put("spec", spec == null ? null : SpecJson.tree(spec));
    m.put("deleted", deleted);
    List<Object> revisions = new ArrayList<>();
    for (Revision r : history.all()) {
      revisions.add(Map.of("id", r.id(), "container", SpecJson.container(r.container()), "probes",
          SpecJson.probes(r.probes()), "appliedAt", r.appliedAt().toString(), "volumes",
          SpecJson.volumeTemplates(r.volumes())));
    }
    m.put("revisions", revisions);
    m.put("good", history.good());
    call(what, store.put(prefix + "services/" + name, Json.pretty(m), StateStore.ANY));
    historySaved.put(name, changes);
  }

  /** Whether {@code history} changed since service {@code name}'s record was last written. */
  public boolean historyChanged(String name, RevisionHistory history) {
    Long saved = historySaved.get(name);
    return saved == null || saved != history.changes();
  }

  /**
   * Writes where service {@code name}'s rollout stands, if it changed since the last write.
   *
   * @throws StateStoreException when the store fails
   */
  public void saveRollout(String name, RolloutState rollout) {
    Optional<Map<String, Object>> tree = RolloutStateJson.tree(rollout);
    if (tree.isEmpty()) {
      if (rolloutSaved.containsKey(name)) { // nothing to keep any more: what was kept must not come back
        call("forget the rollout of " + name, store.delete(prefix + "rollouts/" + name, StateStore.ANY));
        rolloutSaved.remove(name);
      }
      return;
    }
    String json = Json.write(tree.get());
    if (json.equals(rolloutSaved.get(name))) {
      return;
    }
    call("keep the rollout of " + name, store.put(prefix + "rollouts/" + name, json, StateStore.ANY));
    rolloutSaved.put(name, json);
  }

  /**
   * Deletes what is kept of service {@code name}, once it is gone.
   *
   * @throws StateStoreException when the store fails
   */
  public void forget(String name) {
    // Each cache first: after a partial forget, the next write of that key goes to the store.
    opsSaved.remove(name);
    call("forget " + name, store.delete(prefix + "operations/" + name, StateStore.ANY));
    rolloutSaved.remove(name);
    call("forget " + name, store.delete(prefix + "rollouts/" + name, StateStore.ANY));
    historySaved.remove(name);
    call("forget " + name, store.delete(prefix + "services/" + name, StateStore.ANY));
  }

  private Object parse(StateRecord r) {
    try {
      return Json.parse(r.value());
    } catch (IllegalArgumentException e) {
      throw new StateStoreException(store.name() + ": " + r.key() + ": " + e.getMessage(), e);
    }
  }

  private <T> T call(String what, CompletionStage<T> stage) {
    try {
      return stage.toCompletableFuture().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new StateStoreException(what + ": interrupted while the state store " + store.name() + " answered", e);
    } catch (ExecutionException e) {
      Throwable cause = e.getCause();
      if (cause instanceof dev.orch.api.state.UnsupportedSchemaException u) {
        throw u;
      }
      if (cause instanceof dev.orch.api.state.NotLeaderException n) {
        throw n; // the engine must know: it stops acting
      }
      throw new StateStoreException(what + ": the state store " + store.name() + " failed: "
          + (cause == null ? e : cause.getMessage()), cause);
    } catch (TimeoutException e) {
      throw new StateStoreException(what + ": the state store " + store.name() + " did not answer within "
          + timeout.toMillis() + " ms", e);
    }
  }
}
