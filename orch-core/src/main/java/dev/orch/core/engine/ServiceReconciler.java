package dev.orch.core.engine;

import dev.orch.api.runtime.ContainerInfo;
import dev.orch.api.spec.RolloutStrategy;
import dev.orch.api.spec.ServiceSpec;
import dev.orch.api.spec.Stateful;
import dev.orch.api.time.TimeSource;
import dev.orch.core.OrchEvent;
import dev.orch.core.reconcile.ReconcileResult;
import dev.orch.core.util.Revisions;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;

/**
 * The level-triggered reconcile of one service key: compares its desired spec with the containers Orch
 * sees and acts, through one {@link ReconcilePass} of its strategy (a blue/green or canary service whose
 * slices cannot start from what runs falls back to a rolling pass), or removes every replica of a deleted
 * service. Runs only on the key's shard worker; what it starts completes asynchronously and queues the key
 * again.
 */
final class ServiceReconciler {
  private final ServiceDirectory services;
  private final Workers w;
  private final EngineEvents events;
  private final TimeSource time;

  ServiceReconciler(ServiceDirectory services, Workers w, EngineEvents events, TimeSource time) {
    this.services = services;
    this.w = w;
    this.events = events;
    this.time = time;
  }

  ReconcileResult reconcile(String name) {
    ServiceSpec spec = services.desired(name).orElse(null);
    ServiceRecord st = spec != null ? services.recordFor(name) : services.record(name).orElse(null);
    if (st == null) {
      return ReconcileResult.done();
    }
    Instant now = time.now();
    List<ContainerInfo> mine = w.observed().containersOf(name);
    mine.sort(Comparator.comparing(ContainerInfo::name));
    if (spec == null) {
      return reconcileDeleted(st, mine);
    }
    String revision = Revisions.revision(spec);
    if (spec.stateful().isPresent()) {
      if (!w.volumes().known(st, spec)) {
        return ReconcileResult.done(); // the volume listing's answer queues the service again; nothing is touched
      }
      return new StatefulPass(w, st, spec, revision, now, mine).run();
    }
    if (!(spec.rollout() instanceof RolloutStrategy.RollingUpdate)) {
      ReconcileResult result = new SlicedPass(w, st, spec, revision, now, mine).run();
      if (result != null) {
        return result;
      }
    }
    return new RollingPass(w, st, spec, revision, now, mine).run();
  }

  /**
   * A standby's pass of service {@code name}: publishes {@code serving} (its replicas running on ready nodes) and
   * what the status shows of its rollout as the store holds it (a canary's or blue/green's weights too), acting on
   * nothing. A stateful service's view is a rolling one's (its partition is the leader's to work out).
   */
  ReconcileResult observe(String name, List<ContainerInfo> serving) {
    ServiceSpec spec = services.desired(name).orElse(null);
    ServiceRecord st = services.record(name).orElse(null);
    if (spec == null || st == null) {
      return ReconcileResult.done();
    }
    Instant now = time.now();
    List<ContainerInfo> mine = w.observed().containersOf(name);
    String revision = Revisions.revision(spec);
    if (spec.stateful().isEmpty() && !(spec.rollout() instanceof RolloutStrategy.RollingUpdate)) {
      ReconcileResult result = new SlicedPass(w, st, spec, revision, now, mine).observe(serving);
      if (result != null) {
        return result;
      }
    }
    return new RollingPass(w, st, spec, revision, now, mine).observe(serving);
  }

  private ReconcileResult reconcileDeleted(ServiceRecord st, List<ContainerInfo> mine) {
    w.probes().sync(st.name, List.of(), c -> null);
    for (ContainerInfo c : mine) {
      if (!st.deleting.containsKey(c.id())) {
        w.lifecycle().delete(st, null, c, "Deleted", "service deleted");
      }
    }
    w.endpoints().registry.clear(st.name);
    w.endpoints().registry.clear(EndpointPublisher.previewKey(st.name));
    Duration drainWake = w.lifecycle().finishDrains(st);
    // Gone once no container is seen, none is being created, and every removal has answered (a container
    // can leave the observed state through the runtime's event before its remove call answers).
    if (mine.isEmpty() && !st.anyPending() && st.deleting.isEmpty() && volumesGone(st)) {
      services.forget(st);
      events.emit(OrchEvent.Type.NORMAL, "ServiceRemoved", st.name, "", "", "every replica is gone");
      w.endpoints().traffic.forget(st.name);
      return ReconcileResult.done();
    }
    return ReconcileResult.requeueAfter(drainWake != null ? drainWake : Duration.ofSeconds(5));
  }

  /**
   * Whether a deleted stateful service's volumes are dealt with: kept ({@code whenDeleted: Retain}), or
   * removed; starts their removal when not.
   */
  private boolean volumesGone(ServiceRecord st) {
    ServiceSpec spec = st.deletedSpec;
    if (spec == null || spec.stateful().map(m -> m.whenDeleted() != Stateful.Retention.DELETE
        || m.volumes().isEmpty()).orElse(true)) {
      return true;
    }
    if (!w.volumes().known(st, spec)) {
      return false;
    }
    st.volumeNodes.forEach((k, node) -> w.volumes().remove(st, spec, k, node, "of a deleted service "
        + "(whenDeleted: Delete)"));
    return st.volumeNodes.isEmpty();
  }
}
