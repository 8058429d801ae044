package dev.orch.core.engine;

import dev.orch.api.runtime.ContainerInfo;
import dev.orch.api.runtime.ContainerState;
import dev.orch.api.spec.RolloutStrategy;
import dev.orch.api.spec.ServiceSpec;
import dev.orch.core.rollout.RollingProgress;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A pass of a service that rolls out by a rolling update (or has one revision): one replica per ordinal,
 * of the spec's revision; a changed template is rolled out in waves that surge new replicas beside the old,
 * then replace old ones within the unavailable budget, the next wave starting once this one's new replicas
 * are available. An old replica keeps serving until its successor is available.
 */
final class RollingPass extends ReconcilePass {
  private int available;
  private int availableCurrent;

  RollingPass(Workers w, ServiceRecord st, ServiceSpec spec, String revision, Instant now, List<ContainerInfo> mine) {
    super(w, st, spec, revision, now, mine);
  }

  @Override
  boolean realise() {
    if (w.rollouts().driver().leaveSlices(st.rollout)) {
      // The strategy changed to a rolling update: the slices' memory no longer applies.
      w.endpoints().registry.clear(EndpointPublisher.previewKey(st.name));
    }
    ReplicaActions replicas = w.replicas();
    Map<Integer, List<ContainerInfo>> byOrdinal = new HashMap<>();
    List<ContainerInfo> extras = new ArrayList<>();
    for (ContainerInfo c : mine) {
      if (!isLive(c)) {
        continue;
      }
      int ordinal = ServiceRecord.ordinal(c);
      if (ordinal < 0 || ordinal >= spec.replicas()) {
        extras.add(c);
      } else {
        byOrdinal.computeIfAbsent(ordinal, k -> new ArrayList<>()).add(c);
      }
    }
    newestFirst(extras);
    for (ContainerInfo c : extras) {
      w.lifecycle().delete(st, spec, c, "ScaledDown", "replica " + ServiceRecord.ordinal(c) + " is beyond "
          + spec.replicas() + " replicas");
    }
    List<Integer> toPlace = new ArrayList<>();
    List<Integer> outdated = new ArrayList<>();
    List<Integer> moving = new ArrayList<>(); // of the revision, leaving a draining node
    Map<Integer, ContainerInfo> outdatedKept = new HashMap<>();
    int total = st.pendingCount();
    // A wave of the update is busy while a new replica is on its way or an old one still stands in for it.
    boolean waveBusy = st.anyPending();
    for (int ordinal = 0; ordinal < spec.replicas(); ordinal++) {
      boolean pending = st.pendingFor(ordinal);
      List<ContainerInfo> cs = byOrdinal.getOrDefault(ordinal, List.of());
      total += cs.size();
      if (cs.isEmpty()) {
        if (!pending) {
          toPlace.add(ordinal);
        }
        continue;
      }
      List<ContainerInfo> current = new ArrayList<>();
      List<ContainerInfo> old = new ArrayList<>();
      for (ContainerInfo c : cs) { // one leaving a draining node is old too: a successor elsewhere replaces it
        (revision.equals(revisionOf(c)) && !leaving(c) ? current : old).add(c);
      }
      ContainerInfo keep = keepOne(current.isEmpty() ? old : current, revision, "replica " + ordinal);
      // During an update an old replica keeps serving until its successor is ready.
      ContainerInfo serving = null;
      if (!current.isEmpty() && !old.isEmpty()) {
        boolean successorReady = replicas.isAvailable(spec, keep);
        ContainerInfo bestOld = replicas.best(old, revision);
        for (ContainerInfo c : old) {
          if (successorReady || c != bestOld) {
            boolean drained = revisionOf(c).equals(revision); // of the revision: it left a draining node
            w.lifecycle().delete(st, spec, c, drained ? "Drained" : "Superseded", drained
                ? "replica " + ordinal + " left draining node " + c.nodeId() + ": it runs as " + keep.name() + " on "
                    + keep.nodeId()
                : "replica " + ordinal + " now runs revision " + revision + " as " + keep.name());
            total--; // leaving: it counts no more towards the surge (as terminating pods do not)
          }
        }
        serving = successorReady ? null : bestOld;
      }
      Tended tended = tend(spec, keep, ordinal, pending, toPlace);
      if (tended == Tended.LOST) {
        continue;
      }
      boolean up = tended == Tended.RUNNING && replicas.isAvailable(spec, keep);
      if (serving != null && runsOnReadyNode(serving)) {
        running.add(serving);
        up |= replicas.isAvailable(spec, serving);
      }
      available += up ? 1 : 0;
      boolean keepAvailable = !current.isEmpty() && replicas.isAvailable(spec, keep);
      availableCurrent += keepAvailable ? 1 : 0;
      waveBusy |= !current.isEmpty() && (serving != null || !keepAvailable);
      if (current.isEmpty() && !pending && keep.state() == ContainerState.RUNNING) {
        (revisionOf(keep).equals(revision) ? moving : outdated).add(ordinal);
        outdatedKept.put(ordinal, keep);
      }
    }
    int[] bounds = RollingProgress.bounds(spec);
    int budget = bounds[1] - (spec.replicas() - available);
    boolean startWave = w.rollouts().rolling().begin(st.rollout, spec, revision, !outdated.isEmpty(), now)
        && !waveBusy;
    // Drains first, within the same surge and unavailable budgets as an update, and not part of one.
    for (int ordinal : moving) {
      ContainerInfo old = outdatedKept.get(ordinal);
      boolean surge = total < spec.replicas() + bounds[0];
      if (!replicas.isAvailable(spec, old) || (!surge && budget > 0)) {
        w.lifecycle().delete(st, spec, old, "Drained", "replica " + ordinal + " leaves draining node "
            + old.nodeId());
        budget -= replicas.isAvailable(spec, old) ? 1 : 0;
        toPlace.add(ordinal);
      } else if (surge) {
        toPlace.add(ordinal); // it serves until its successor elsewhere is available
        total++;
      }
    }
    int surged = 0;
    int replaced = 0;
    String from = null;
    for (int ordinal : outdated) {
      ContainerInfo old = outdatedKept.get(ordinal);
      if (!replicas.isAvailable(spec, old)) {
        // An old replica that serves nobody costs no availability: replace it at once, as Kubernetes
        // scales unhealthy old replicas down first (a rollback away from a bad revision needs this).
        w.lifecycle().delete(st, spec, old, "Updating", "revision " + revisionOf(old) + " -> " + revision
            + " (not available)");
        toPlace.add(ordinal);
      } else if (startWave && total < spec.replicas() + bounds[0]) {
        toPlace.add(ordinal);
        total++;
        surged++;
        from = from == null ? revisionOf(old) : from;
      } else if (startWave && budget > 0) {
        w.lifecycle().delete(st, spec, old, "Updating", "revision " + revisionOf(old) + " -> " + revision);
        toPlace.add(ordinal);
        budget--;
        replaced++;
        from = from == null ? revisionOf(old) : from;
      }
    }
    if (surged + replaced > 0) {
      w.rollouts().rolling().wave(st.rollout, spec, revision, from, outdated.size(), surged, replaced);
    }
    if (!toPlace.isEmpty()) {
      wake(replicas.place(st, spec, toPlace, revision));
    }
    return true;
  }

  @Override
  ServiceSpec specOf(ContainerInfo c) {
    return spec;
  }

  @Override
  void publish() {
    w.endpoints().publish(spec, running);
  }

  @Override
  void progress() {
    int n = spec.replicas();
    setAvailable(available, n, "replicas");
    wake(w.rollouts().rolling().track(st.rollout, spec, revision, availableCurrent, now));
    publishView(revision, revision, Map.of(revision, n), null, r -> spec);
    if (spec.rollout() instanceof RolloutStrategy.RollingUpdate ru && !ru.minReady().isZero() && availableCurrent < n) {
      wake(Duration.ofSeconds(1)); // replicas become available as their minReady passes
    }
  }
}
