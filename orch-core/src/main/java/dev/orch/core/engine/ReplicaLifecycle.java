package dev.orch.core.engine;

import dev.orch.api.runtime.ContainerCreateRequest;
import dev.orch.api.runtime.ContainerInfo;
import dev.orch.api.runtime.ContainerState;
import dev.orch.api.runtime.ImageNotFoundException;
import dev.orch.api.runtime.LabelSelector;
import dev.orch.api.runtime.NameInUseException;
import dev.orch.api.runtime.NoSuchContainerException;
import dev.orch.api.runtime.OrchLabels;
import dev.orch.api.spec.ServiceSpec;
import dev.orch.api.spec.VolumeMount;
import dev.orch.core.OrchEvent;
import dev.orch.core.util.Durations;
import dev.orch.core.util.ExponentialBackoff;
import dev.orch.core.util.Failures;
import dev.orch.core.util.Revisions;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The runtime side of one replica's life: create and start it, restart it, stop it for a failed probe, drain
 * it (out of the endpoints, its requests in flight finished) and stop and remove it. Every call goes through
 * {@link RuntimeCalls}; completions record what they learnt and queue the service again. Called on the
 * service's worker; completions run on any thread.
 */
final class ReplicaLifecycle {
  private static final Logger LOG = LoggerFactory.getLogger(ReplicaLifecycle.class);
  /** Retries of a failed create or an unschedulable replica: 1 s doubling to 60 s. */
  private static final ExponentialBackoff RETRY_BACKOFF =
      new ExponentialBackoff(Duration.ofSeconds(1), Duration.ofSeconds(60));

  private final EngineSettings settings;
  private final EngineEvents events;
  private final KeyQueue keys;
  private final ObservedState observed;
  private final RuntimeCalls calls;
  private final EndpointPublisher endpoints;
  private final ServiceNetworks networks;

  ReplicaLifecycle(EngineSettings settings, EngineEvents events, KeyQueue keys, ObservedState observed,
                   RuntimeCalls calls, EndpointPublisher endpoints, ServiceNetworks networks) {
    this.settings = settings;
    this.events = events;
    this.keys = keys;
    this.observed = observed;
    this.calls = calls;
    this.endpoints = endpoints;
    this.networks = networks;
  }

  /** The delay before retry number {@code n} of a failed create or an unschedulable replica. */
  static Duration retryDelay(int n) {
    return RETRY_BACKOFF.delay(n);
  }

  /** Creates replica {@code name} ({@code ordinal} of {@code revision}) on {@code nodeId}, then starts it. */
  void create(ServiceRecord st, ServiceSpec spec, int ordinal, String nodeId, String revision, String name) {
    Map<String, String> labels = new LinkedHashMap<>(spec.labels());
    labels.put(OrchLabels.OWNER, settings.ownerId());
    labels.put(OrchLabels.SERVICE, spec.name());
    labels.put(OrchLabels.REVISION, revision);
    labels.put(OrchLabels.ORDINAL, Integer.toString(ordinal));
    labels.put(OrchLabels.SPEC_HASH, Revisions.specHash(spec));
    String given = st.supersedes.get(ordinal);
    if (given != null) {
      labels.put(SUPERSEDES, given);
    }
    ContainerCreateRequest request = new ContainerCreateRequest(name, nodeId, withDependencies(spec,
        volumesFor(spec, ordinal)), labels);
    if (hasNodeLocalVolume(spec)) {
      st.volumeNodes.put(ordinal, nodeId);
    }
    String[] created = new String[1];
    boolean[] adopted = new boolean[1];
    volumesOf(spec, ordinal, nodeId)
        .thenCompose(v -> spec.stateful().isPresent()
            ? calls.callOnce(nodeId, "create " + name, () -> settings.runtime().create(request))
            : calls.call(nodeId, "create " + name, () -> settings.runtime().create(request)))
        .exceptionallyCompose(error -> Failures.rootCause(error) instanceof NameInUseException inUse
            ? ownerOfName(spec, inUse.name(), ordinal, revision, nodeId, error).thenApply(info -> {
              adopted[0] = true;
              return info;
            })
            : CompletableFuture.failedFuture(error))
        .thenCompose(info -> {
          // Its start is in flight from here: a pass that sees it created must not start it again.
          created[0] = info.id();
          st.starting.put(info.id(), Boolean.TRUE);
          observed.put(info);
          if (!adopted[0]) {
            events.emit(OrchEvent.Type.NORMAL, "Created", spec.name(), name, nodeId, "replica " + ordinal + " created");
          }
          // On the networks of what it may call before it runs, so that its first calls find them.
          return networks.join(spec, info).thenCompose(j -> calls.call(nodeId, "start " + name,
              () -> settings.runtime().start(info.id()))).thenApply(v -> info);
        })
        .whenComplete((info, error) -> {
          if (error == null) {
            // Running before it stops counting as starting: a pass in between must not start it again.
            observed.markStarted(spec.name(), info.id(), settings.time().now());
          }
          ServiceRecord.Slot slot = new ServiceRecord.Slot(revision, ordinal);
          Instant now = settings.time().now();
          // The retry first: a pass that sees the slot free (or the container not starting) must see it.
          ServiceRecord.Retry retry = null;
          boolean owned = error != null && Failures.rootCause(error) instanceof OwnedName;
          if (owned || created[0] != null) {
            st.createRetries.remove(slot); // created (or a container learnt): its creates no longer fail
          }
          if (owned) {
            // Not a failure: the pass now sees that container, and names the replica anew.
          } else if (error != null && created[0] != null) {
            retry = ServiceRecord.failed(st.startRetries, created[0], "start " + name + ": " + Failures.describe(error),
                "FailedStart", now, ReplicaLifecycle::retryDelay); // created, its start refused: it stays, created
          } else if (error != null) {
            retry = ServiceRecord.failed(st.createRetries, slot, "create " + name + ": " + Failures.describe(error),
                Failures.rootCause(error) instanceof ImageNotFoundException ? "ImagePullFailed" : "FailedCreate", now,
                ReplicaLifecycle::retryDelay);
          }
          if (created[0] != null) {
            st.starting.remove(created[0]);
          }
          st.fulfil(slot);
          st.updateReplicaFailure(now);
          if (error == null) {
            events.emit(OrchEvent.Type.NORMAL, "Started", spec.name(), name, nodeId, "replica " + ordinal + " started");
            refreshAfterStart(spec.name(), info.id());
          } else if (owned) {
            events.emit(OrchEvent.Type.NORMAL, "NameInUse", spec.name(), name, nodeId, Failures.describe(error));
            keys.enqueue(spec.name());
          } else {
            String reason = created[0] != null ? "StartFailed" : retry.reason().equals("ImagePullFailed")
                ? "ImagePullFailed" : "CreateFailed";
            events.emit(OrchEvent.Type.WARNING, reason, spec.name(), name, nodeId, Failures.describe(error) + "; "
                + retryText(retry, now));
            keys.enqueueAfter(spec.name(), Duration.between(now, retry.notBefore()));
          }
        });
  }

  /**
   * A create found its name in use: the container of that name, if this owner owns it, is learnt (an earlier
   * orchestrator left it). The same replica (service, ordinal and revision) is adopted and completes the
   * stage; another owned one fails it with {@link OwnedName} (the pass reconciles that container as one of
   * ours, and the replica gets a new name, or, for a stable name, waits for it); a name Orch does not own fails
   * it with the refusal, as any refusal.
   */
  private CompletionStage<ContainerInfo> ownerOfName(ServiceSpec spec, String name, int ordinal, String revision,
                                                     String nodeId, Throwable refusal) {
    return calls.call(nodeId, "list " + name, () -> settings.runtime()
            .list(LabelSelector.of(OrchLabels.OWNER, settings.ownerId())))
        .thenCompose(owned -> {
          ContainerInfo c = owned.stream().filter(o -> o.name().equals(name)).findFirst().orElse(null);
          if (c == null) {
            return CompletableFuture.failedFuture(refusal);
          }
          observed.put(c);
          if (spec.name().equals(ObservedState.serviceOf(c)) && ordinal == ServiceRecord.ordinal(c)
              && revision.equals(c.labels().get(OrchLabels.REVISION))) {
            events.emit(OrchEvent.Type.NORMAL, "Adopted", spec.name(), name, c.nodeId(), "the name " + name
                + " is taken by this very replica (ordinal " + ordinal + ", revision " + revision + "), left by an "
                + "earlier orchestrator: adopted it");
            return CompletableFuture.completedFuture(c);
          }
          return CompletableFuture.failedFuture(new OwnedName("the name " + name + " is taken by owned container "
              + c.id() + " (service " + ObservedState.serviceOf(c) + ", ordinal " + ServiceRecord.ordinal(c)
              + ", revision " + c.labels().getOrDefault(OrchLabels.REVISION, "") + "): reconciled as one of ours"));
        });
  }

  /** A create's name is taken by another container this owner owns: no failure, a container learnt. */
  private static final class OwnedName extends RuntimeException {
    private static final long serialVersionUID = 1L;

    OwnedName(String message) {
      super(message, null, false, false);
    }
  }

  private static String retryText(ServiceRecord.Retry retry, Instant now) {
    return "failure " + retry.failures() + " in a row; next try in "
        + Duration.between(now, retry.notBefore()).toMillis() + "ms";
  }

  /** Learns where a started container's ports were published, then reconciles its service again. */
  private void refreshAfterStart(String service, String containerId) {
    settings.runtime().inspect(containerId).whenComplete((info, error) -> {
      if (info != null) {
        observed.refresh(service, info);
      }
      keys.enqueue(service);
    });
  }

  /** Starts {@code c}; {@code restart} is its crash-loop memory when this restarts it after an exit. */
  void start(ServiceRecord st, ContainerInfo c, ServiceRecord.RestartTracker restart) {
    st.starting.put(c.id(), Boolean.TRUE);
    String service = st.name;
    calls.call(c.nodeId(), "start " + c.name(), () -> settings.runtime().start(c.id()))
        .whenComplete((v, error) -> {
          if (error == null) {
            observed.markStarted(service, c.id(), settings.time().now()); // running before it stops counting as starting
          }
          Instant now = settings.time().now();
          // The retry first: a pass that sees it not starting must see it.
          ServiceRecord.Retry retry = error == null ? null : ServiceRecord.failed(st.startRetries, c.id(), "start "
              + c.name() + ": " + Failures.describe(error), "FailedStart", now, ReplicaLifecycle::retryDelay);
          boolean recovered = error == null && st.startRetries.remove(c.id()) != null;
          if (error != null && restart != null) {
            restart.restartedFor = null; // not restarted after all: try again
          }
          st.starting.remove(c.id());
          if (error != null || recovered) {
            st.updateReplicaFailure(now);
          }
          if (error != null) {
            events.emit(OrchEvent.Type.WARNING, "StartFailed", service, c.name(), c.nodeId(), Failures.describe(error)
                + "; " + retryText(retry, now));
            keys.enqueueAfter(service, Duration.between(now, retry.notBefore()));
          } else {
            if (restart != null) {
              events.emit(OrchEvent.Type.NORMAL, "Restarted", service, c.name(), c.nodeId(), "restarted");
            }
            refreshAfterStart(service, c.id());
          }
        });
  }

  /** Stops a container that failed its probe; its exit then restarts it under the restart policy. */
  void kill(ServiceRecord st, ContainerInfo c) {
    st.probeKilled.add(c.id());
    calls.call(c.nodeId(), "stop " + c.name(), settings.terminationGrace(), () -> settings.runtime().stop(c.id(), settings.terminationGrace()))
        .whenComplete((v, error) -> {
          st.killing.remove(c.id());
          if (error != null) {
            events.emit(OrchEvent.Type.WARNING, "KillFailed", st.name, c.name(), c.nodeId(), Failures.describe(error));
          }
          keys.enqueue(st.name);
        });
  }

  /** Stops and removes {@code c}; {@code reason} null means the caller already recorded an event. */
  void delete(ServiceRecord st, ServiceSpec spec, ContainerInfo c, String reason, String message) {
    if (st.deleting.putIfAbsent(c.id(), settings.time().now()) != null) {
      return;
    }
    if (reason != null && st.deleteReported.add(c.id())) {
      events.emit(OrchEvent.Type.NORMAL, reason, st.name, c.name(), c.nodeId(), message);
    }
    boolean serving = c.state() == ContainerState.RUNNING && observed.isNodeReady(c.nodeId())
        && (endpoints.isPublished(st.name, c.name()) || endpoints.inFlight(c.name()) > 0
        || !networks.nameReleased(c));
    if (serving) {
      // Out of the endpoints first (this pass publishes without it) and out of its service's name, its requests
      // finish, then it stops. (One already out, such as blue/green's old set after promotion, may still have
      // requests to finish.)
      st.draining.put(c.id(), new ServiceRecord.Draining(c, settings.time().now().plus(settings.drainTimeout())));
      return;
    }
    stopAndRemove(st, c);
  }

  /**
   * Stops the drained replicas whose in-flight requests are done (or whose drain timed out), once the
   * endpoints no longer list them; returns when to look again, or null.
   */
  Duration finishDrains(ServiceRecord st) {
    Duration wake = null;
    Instant now = settings.time().now();
    for (ServiceRecord.Draining d : st.draining.values()) {
      ContainerInfo c = d.container();
      boolean published = endpoints.isPublished(st.name, c.name());
      long inFlight = endpoints.inFlight(c.name());
      boolean timedOut = !now.isBefore(d.until());
      if (!published && (inFlight == 0 && networks.nameReleased(c) || timedOut)) {
        st.draining.remove(c.id());
        if (inFlight > 0) {
          events.emit(OrchEvent.Type.WARNING, "DrainTimedOut", st.name, c.name(), c.nodeId(), inFlight
              + " requests still in flight after " + settings.drainTimeout().toMillis() + "ms; stopping anyway");
        } else if (!networks.nameReleased(c)) {
          events.emit(OrchEvent.Type.WARNING, "DrainTimedOut", st.name, c.name(), c.nodeId(), "its service's name"
              + " had not left it (or not for the name drain delay) after " + settings.drainTimeout().toMillis()
              + "ms; stopping anyway");
        }
        stopAndRemove(st, c);
      } else {
        wake = Durations.min(wake, Duration.ofMillis(100));
      }
    }
    return wake;
  }

  private void stopAndRemove(ServiceRecord st, ContainerInfo c) {
    Duration grace = settings.terminationGrace();
    calls.call(c.nodeId(), "stop " + c.name(), grace, () -> settings.runtime().stop(c.id(), grace))
        .thenCompose(v -> calls.call(c.nodeId(), "remove " + c.name(), () -> settings.runtime().remove(c.id())))
        .whenComplete((v, error) -> {
          if (error != null && !(Failures.rootCause(error) instanceof NoSuchContainerException)) {
            st.deleting.remove(c.id());
            LOG.debug("{}: remove {} failed, will retry: {}", st.name, c.name(), Failures.describe(error));
            keys.enqueueAfter(st.name, Duration.ofSeconds(5));
          } else {
            // Reported before it leaves the observed state: a pass that then finds the service empty (and says
            // ServiceRemoved) comes after this event.
            events.emit(OrchEvent.Type.NORMAL, "Removed", st.name, c.name(), c.nodeId(), "container removed");
            observed.remove(st.name, c.id());
            networks.removed(c);
            st.deleting.remove(c.id());
            st.restarts.remove(c.id());
            if (st.startRetries.remove(c.id()) != null) {
              st.updateReplicaFailure(settings.time().now());
            }
            st.deleteReported.remove(c.id());
            keys.enqueue(st.name);
          }
        });
  }

  /**
   * Makes ordinal {@code ordinal}'s volumes of a stateful service on {@code nodeId}, labelled with the owner,
   * service, ordinal and template (a volume that exists already is kept, data and all), before its container.
   */
  private CompletableFuture<Void> volumesOf(ServiceSpec spec, int ordinal, String nodeId) {
    List<dev.orch.api.spec.Stateful.VolumeTemplate> templates = spec.stateful()
        .map(dev.orch.api.spec.Stateful::volumes).orElse(List.of());
    CompletableFuture<?>[] made = new CompletableFuture<?>[templates.size()];
    for (int i = 0; i < templates.size(); i++) {
      dev.orch.api.spec.Stateful.VolumeTemplate t = templates.get(i);
      String volume = dev.orch.api.spec.Stateful.volumeName(spec.name(), t.name(), ordinal);
      Map<String, String> labels = new LinkedHashMap<>(t.options());
      labels.put(OrchLabels.OWNER, settings.ownerId());
      labels.put(OrchLabels.SERVICE, spec.name());
      labels.put(OrchLabels.ORDINAL, Integer.toString(ordinal));
      labels.put(VOLUME_TEMPLATE, t.name());
      made[i] = calls.callOnce(nodeId, "create volume " + volume, () -> settings.runtime().createVolume(nodeId,
          volume, labels)).toCompletableFuture(); // once: a retry would create the replica after the pass moved on
    }
    return CompletableFuture.allOf(made);
  }

  /**
   * The label of a stateful replica created in place of one given up unconfirmed: the given-up container's
   * id, so that an orchestrator that restarts knows which of the two to remove when both are seen.
   */
  static final String SUPERSEDES = OrchLabels.PREFIX + "supersedes";

  /** The label of a stateful replica's volume that names its template. */
  static final String VOLUME_TEMPLATE = OrchLabels.PREFIX + "volume-template";

  static boolean hasNodeLocalVolume(ServiceSpec spec) {
    return spec.container().volumeMounts().stream().anyMatch(VolumeMount::nodeLocal)
        || spec.stateful().map(st -> !st.volumes().isEmpty()).orElse(false);
  }

  /** {@code container} with the environment {@code spec}'s dependencies give (their names and ports). */
  private dev.orch.api.spec.ContainerSpec withDependencies(ServiceSpec spec,
                                                           dev.orch.api.spec.ContainerSpec container) {
    Map<String, String> env = networks.environment(spec);
    if (env.isEmpty()) {
      return container;
    }
    dev.orch.api.spec.ContainerSpec.Builder b = container.toBuilder();
    env.forEach(b::env);
    return b.build();
  }

  /**
   * Each replica gets its own volumes: {@code <service>-<volume>-<ordinal>}, from the container's mounts or,
   * in a stateful service, from its volume templates (node-local: the data is where the volume is).
   */
  private static dev.orch.api.spec.ContainerSpec volumesFor(ServiceSpec spec, int ordinal) {
    List<dev.orch.api.spec.Stateful.VolumeTemplate> templates = spec.stateful()
        .map(dev.orch.api.spec.Stateful::volumes).orElse(List.of());
    if (spec.container().volumeMounts().isEmpty() && templates.isEmpty()) {
      return spec.container();
    }
    List<VolumeMount> mounts = new ArrayList<>();
    for (VolumeMount m : spec.container().volumeMounts()) {
      mounts.add(new VolumeMount(spec.name() + "-" + m.volume() + "-" + ordinal, m.mountPath(), m.readOnly(),
          m.nodeLocal()));
    }
    for (dev.orch.api.spec.Stateful.VolumeTemplate t : templates) {
      mounts.add(new VolumeMount(dev.orch.api.spec.Stateful.volumeName(spec.name(), t.name(), ordinal),
          t.mountPath(), t.readOnly(), true));
    }
    var c = spec.container();
    return new dev.orch.api.spec.ContainerSpec(c.image(), c.command(), c.args(), c.env(), c.ports(), c.resources(),
        mounts);
  }
}
