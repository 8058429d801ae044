package dev.orch.core.engine;

import dev.orch.api.runtime.ContainerRuntime;
import dev.orch.api.runtime.LabelSelector;
import dev.orch.api.runtime.OrchLabels;
import dev.orch.api.runtime.RuntimeCapability;
import dev.orch.api.runtime.VolumeInfo;
import dev.orch.api.spec.ServiceSpec;
import dev.orch.api.spec.Stateful;
import dev.orch.core.OrchEvent;
import dev.orch.core.util.Failures;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The volumes of stateful replicas: where each ordinal's volumes are (learnt from the runtime once per
 * service, since a restarted orchestrator does not know), and their removal when retention says so. Calls are
 * asynchronous; their completions queue the service again. Thread-safe.
 */
final class StatefulVolumes {
  private static final Logger LOG = LoggerFactory.getLogger(StatefulVolumes.class);

  /** How often the sizes the status shows are listed again. */
  private static final Duration SIZES_EVERY = Duration.ofSeconds(30);

  private final EngineSettings settings;
  private final EngineEvents events;
  private final KeyQueue keys;
  private final RuntimeCalls calls;
  private final ObservedState observed;

  StatefulVolumes(EngineSettings settings, EngineEvents events, KeyQueue keys, RuntimeCalls calls,
                  ObservedState observed) {
    this.settings = settings;
    this.events = events;
    this.keys = keys;
    this.calls = calls;
    this.observed = observed;
  }

  /**
   * Whether the nodes of {@code spec}'s volumes are known; if not, asks the runtime (once at a time) and
   * returns false: the answer queues the service again.
   */
  boolean known(ServiceRecord st, ServiceSpec spec) {
    if (spec.stateful().map(m -> m.volumes().isEmpty()).orElse(true)) {
      return true;
    }
    if (st.volumesLearnt) {
      refreshSizes(st);
      return true;
    }
    if (st.volumesListing) {
      return false;
    }
    st.volumesListing = true;
    LabelSelector mine = LabelSelector.of(OrchLabels.OWNER, settings.ownerId()).and(OrchLabels.SERVICE, st.name);
    settings.runtime().listVolumes(mine).whenComplete((volumes, error) -> {
      if (error == null) {
        for (VolumeInfo v : volumes) {
          int k = ordinal(v);
          if (k >= 0) {
            // A move kept in the store says where they are; else, of two nodes holding an ordinal's volumes
            // (data left by the node-loss policy or forceReplace), the one its replica runs on.
            if (!st.movedFrom.containsKey(k) && !st.discards.containsKey(k)) {
              st.volumeNodes.merge(k, v.nodeId(), (was, other) -> runsOn(st.name, k, other) ? other : was);
            }
            noteSize(st, v);
          }
        }
        // Complete only when every node answered (a listing leaves out those that do not).
        st.volumesLearnt = observed.nodesNotReady().isEmpty();
        st.volumesListing = false;
        if (st.volumesLearnt) {
          keys.enqueue(st.name);
        } else {
          keys.enqueueAfter(st.name, Duration.ofSeconds(5));
        }
      } else {
        st.volumesListing = false;
        LOG.debug("{}: listing its volumes failed, will retry: {}", st.name, Failures.describe(error));
        keys.enqueueAfter(st.name, Duration.ofSeconds(5));
      }
    });
    return false;
  }

  /** Lists the service's volumes again for their sizes, at most every {@link #SIZES_EVERY}, in the background. */
  private void refreshSizes(ServiceRecord st) {
    java.time.Instant now = settings.time().now();
    java.time.Instant last = st.sizesListedAt;
    if (last != null && now.isBefore(last.plus(SIZES_EVERY))) {
      return;
    }
    st.sizesListedAt = now;
    list(st.name).whenComplete((vs, error) -> {
      if (error == null) {
        vs.forEach(v -> noteSize(st, v));
      }
    });
  }

  /** Whether a container of replica {@code k} of {@code service} is on {@code node}. */
  private boolean runsOn(String service, int k, String node) {
    return observed.containersOf(service).stream().anyMatch(c -> ServiceRecord.ordinal(c) == k
        && c.nodeId().equals(node) && !observed.isRemoved(c.id()));
  }

  /** Keeps the size of volume {@code v}, when the runtime says it, for the status. */
  static void noteSize(ServiceRecord st, VolumeInfo v) {
    if (v.sizeBytes() >= 0) {
      st.volumeSizes.put(v.name(), v.sizeBytes());
    }
  }

  /** Whether the runtime can move volumes between nodes (a stateful replica with volumes drains only then). */
  boolean canMove(ServiceSpec spec) {
    return canMove(settings.runtime(), spec);
  }

  /** Whether {@code runtime} can move {@code spec}'s volumes between nodes. */
  static boolean canMove(ContainerRuntime runtime, ServiceSpec spec) {
    return spec.stateful().map(m -> m.volumes().isEmpty()).orElse(true)
        || runtime.capabilities().contains(RuntimeCapability.VOLUME_COPY);
  }

  /** The volumes of {@code service} in the runtime, owned by this orchestrator. */
  CompletableFuture<List<VolumeInfo>> list(String service) {
    return settings.runtime().listVolumes(LabelSelector.of(OrchLabels.OWNER, settings.ownerId())
        .and(OrchLabels.SERVICE, service)).toCompletableFuture();
  }

  /**
   * Removes ordinal {@code k}'s volumes of {@code spec} from {@code node} (once at a time), saying {@code why};
   * once they are gone, the ordinal has no volume node any more.
   */
  void remove(ServiceRecord st, ServiceSpec spec, int k, String node, String why) {
    remove(st, spec, k, node, why, () -> { });
  }

  /** {@link #remove(ServiceRecord, ServiceSpec, int, String, String)}, then {@code after}, once they are gone. */
  void remove(ServiceRecord st, ServiceSpec spec, int k, String node, String why, Runnable after) {
    if (!st.volumeRemovals.add(k)) {
      return;
    }
    List<String> names = names(spec, k);
    removeAll(spec, k, node).whenComplete((v, error) -> {
      if (error == null) {
        try {
          after.run();
        } catch (RuntimeException e) { // (a store that cannot forget a move: the removal is tried again)
          st.volumeRemovals.remove(k);
          LOG.debug("{}: after removing the volumes of replica {}: {}", st.name, k, Failures.describe(e));
          keys.enqueueAfter(st.name, Duration.ofSeconds(5));
          return;
        }
      }
      st.volumeRemovals.remove(k);
      if (error == null) {
        st.volumeNodes.remove(k, node);
        st.movedFrom.remove(k, node);
        events.emit(OrchEvent.Type.NORMAL, "VolumesRemoved", st.name, "", node, "replica " + k + " " + why + ": "
            + String.join(", ", names) + " removed");
        keys.enqueue(st.name);
      } else {
        LOG.debug("{}: removing the volumes of replica {} failed, will retry: {}", st.name, k,
            Failures.describe(error));
        keys.enqueueAfter(st.name, Duration.ofSeconds(5));
      }
    });
  }

  /** The names of ordinal {@code k}'s volumes of {@code spec}, one per template, in template order. */
  static List<String> names(ServiceSpec spec, int k) {
    List<String> names = new ArrayList<>();
    for (Stateful.VolumeTemplate t : spec.stateful().map(Stateful::volumes).orElse(List.of())) {
      names.add(Stateful.volumeName(spec.name(), t.name(), k));
    }
    return names;
  }

  /** Removes ordinal {@code k}'s volumes of {@code spec} from {@code node}; one that is gone counts as removed. */
  CompletableFuture<Void> removeAll(ServiceSpec spec, int k, String node) {
    List<CompletableFuture<?>> removals = new ArrayList<>();
    for (String name : names(spec, k)) {
      removals.add(calls.call(node, "remove volume " + name, () -> settings.runtime().removeVolume(node, name))
          .toCompletableFuture());
    }
    return CompletableFuture.allOf(removals.toArray(CompletableFuture[]::new));
  }

  /** The ordinal a volume's labels give it; -1 when none. */
  static int ordinal(VolumeInfo v) {
    try {
      return Integer.parseInt(v.labels().getOrDefault(OrchLabels.ORDINAL, "-1"));
    } catch (NumberFormatException e) {
      return -1;
    }
  }
}
