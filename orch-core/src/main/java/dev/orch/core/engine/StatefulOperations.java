package dev.orch.core.engine;

import dev.orch.api.runtime.LabelSelector;
import dev.orch.api.runtime.OrchLabels;
import dev.orch.api.runtime.RuntimeUnavailableException;
import dev.orch.api.runtime.VolumeInfo;
import dev.orch.api.spec.ServiceSpec;
import dev.orch.core.OrchEvent;
import dev.orch.core.ServiceVolume;
import dev.orch.core.UnknownServiceException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * What a person asks of stateful services beyond their specs: replace a replica whose stop cannot be
 * confirmed, and list and delete the volumes their replicas left. Thread-safe; a replacement is carried out by
 * the service's worker.
 */
public final class StatefulOperations {
  private final EngineSettings settings;
  private final DesiredState state;
  private final ObservedState observed;
  private final EngineEvents events;
  private final KeyQueue keys;
  private final ControlPlane open;
  /** The engine's runtime calls: bounded by its lease under a leadership, refused on a standby. */
  private final RuntimeCalls runtimeCalls;

  StatefulOperations(EngineSettings settings, RuntimeCalls runtimeCalls, DesiredState state, ObservedState observed,
                     ControlPlane plane) {
    this.settings = settings;
    this.runtimeCalls = runtimeCalls;
    this.state = state;
    this.observed = observed;
    this.events = plane;
    this.keys = plane;
    this.open = plane;
  }

  /** Replaces replica {@code ordinal} of stateful service {@code name} (see {@code Orchestrator.forceReplace}). */
  public void forceReplace(String name, int ordinal) {
    open.ensureOpen("forceReplace " + name);
    ServiceSpec spec = state.desired(name).orElseThrow(() -> new UnknownServiceException("forceReplace", name));
    if (spec.stateful().isEmpty()) {
      throw new IllegalStateException("forceReplace " + name + ": stateful: none: only a stateful service's "
          + "replicas have ordinals to replace");
    }
    if (ordinal < 0) { // (one above the count may hold a replica a scale-down waits for)
      throw new IllegalArgumentException("forceReplace " + name + ": ordinal: " + ordinal + ": must be >= 0");
    }
    state.record(name).orElseThrow(() -> new UnknownServiceException("forceReplace", name)).forced.add(ordinal);
    keys.enqueue(name);
  }

  /** The volumes of stateful service {@code name}'s replicas (see {@code Orchestrator.volumes}). */
  public List<ServiceVolume> volumes(String name) {
    open.ensureOpen("volumes " + name);
    int wanted = state.desired(name).map(ServiceSpec::replicas).orElse(0);
    List<ServiceVolume> out = new ArrayList<>();
    for (VolumeInfo v : calls(volumesOf(name), "volumes " + name)) {
      int k = StatefulVolumes.ordinal(v);
      out.add(new ServiceVolume(v.name(), name, v.labels().getOrDefault(
          ReplicaLifecycle.VOLUME_TEMPLATE, ""), k, v.nodeId(), k >= 0 && k < wanted, v.sizeBytes()));
      state.record(name).ifPresent(st -> StatefulVolumes.noteSize(st, v));
    }
    out.sort(Comparator.comparingInt(ServiceVolume::ordinal)
        .thenComparing(ServiceVolume::name));
    return out;
  }

  /** Removes a retained volume of service {@code name} (see {@code Orchestrator.deleteVolume}). */
  public boolean deleteVolume(String name, String volume) {
    Objects.requireNonNull(volume, "volume");
    for (ServiceVolume v : volumes(name)) {
      if (v.name().equals(volume)) {
        boolean held = observed.containersOf(name).stream().anyMatch(c -> ServiceRecord.ordinal(c) == v.ordinal());
        if (v.inUse() || held) {
          throw new IllegalStateException("deleteVolume " + name + " " + volume + ": it is in use by replica "
              + v.ordinal() + (held ? ", which exists" : " (the service has " + state.desired(name)
              .map(ServiceSpec::replicas).orElse(0) + " replicas)") + "; scale below it first");
        }
        calls(runtimeCalls.callOnce(v.node(), "remove volume " + volume, () -> settings.runtime().removeVolume(v.node(),
            volume)).toCompletableFuture(), "deleteVolume " + name);
        state.record(name).ifPresent(st -> st.volumeNodes.remove(v.ordinal(), v.node()));
        events.emit(OrchEvent.Type.NORMAL, "VolumeDeleted", name, "", v.node(), "deleteVolume: " + volume + " removed");
        return true;
      }
    }
    List<String> silent = observed.nodesNotReady();
    if (!silent.isEmpty()) {
      throw new IllegalStateException("deleteVolume " + name + " " + volume + ": not on the nodes that answer, and "
          + silent + " do not: it may be there; try again once they answer");
    }
    return false;
  }

  private CompletableFuture<List<VolumeInfo>> volumesOf(String name) {
    return settings.runtime().listVolumes(LabelSelector.of(OrchLabels.OWNER, settings.ownerId())
        .and(OrchLabels.SERVICE, name))
        .toCompletableFuture();
  }

  /** Waits for {@code call} up to the call timeout; its failure is thrown as what the runtime said. */
  private <T> T calls(CompletableFuture<T> call, String what) {
    try {
      return call.get(settings.callTimeout().toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(what + ": interrupted", e);
    } catch (ExecutionException e) {
      Throwable cause = e.getCause();
      throw cause instanceof RuntimeException r ? r : new IllegalStateException(what + ": " + cause, cause);
    } catch (TimeoutException e) {
      throw new RuntimeUnavailableException(what + ": the runtime did not answer within "
          + settings.callTimeout().toMillis() + " ms", e);
    }
  }
}
