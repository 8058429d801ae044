package dev.orch.core.engine;

import dev.orch.api.runtime.ContainerInfo;
import dev.orch.api.runtime.ContainerState;
import dev.orch.api.spec.ServiceSpec;
import dev.orch.api.spec.Stateful;
import dev.orch.core.OrchEvent;
import dev.orch.core.Revision;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * A pass of a stateful service: replicas {@code name-0 .. name-N-1}, at most one of each ordinal at any time.
 * An ordinal is held by every container of it that Orch knows of, until the runtime confirms it removed
 * (stopping, on a lost node, partitioned: held all the same), unless it was given up ({@code forceReplace}, or
 * the node-loss policy); only a free ordinal is created. With {@code OrderedReady} ordinal k is created once
 * 0..k-1 run and are ready, one at a time, and scale-down removes the highest first, each once the one above
 * it is gone. An update replaces replicas from the highest ordinal down to the partition, within
 * {@code maxUnavailable}, each removed before its successor is created; an outdated replica that serves nobody
 * is replaced at once (a broken rollout recovers when the spec is reverted). {@code OnDelete} replaces none.
 */
final class StatefulPass extends ReconcilePass {
  private final Stateful mode;
  private int available;
  private int availableCurrent;
  /** The replica kept of each ordinal this pass. */
  private final Map<Integer, ContainerInfo> kept = new TreeMap<>();

  StatefulPass(Workers w, ServiceRecord st, ServiceSpec spec, String revision, Instant now, List<ContainerInfo> mine) {
    super(w, st, spec, revision, now, mine);
    this.mode = spec.stateful().orElseThrow();
  }

  @Override
  boolean realise() {
    st.waiting.clear();
    int n = spec.replicas();
    Map<Integer, List<ContainerInfo>> held = holders();
    held.keySet().forEach(st.seenOrdinals::add);
    for (Integer k : List.copyOf(st.forced)) {
      st.forced.remove(k);
      for (ContainerInfo c : held.getOrDefault(k, List.of())) {
        forceReplace(k, c);
      }
      held.computeIfPresent(k, (x, cs) -> {
        cs.removeIf(c -> st.abandoned.contains(c.id())); // given up: the ordinal is free
        return cs.isEmpty() ? null : cs;
      });
    }
    // Replicas beyond the count go, highest first; OrderedReady: one at a time, the next once it is gone, and
    // none while a create is in flight (a replica above it may be landing).
    boolean ordered = mode.podManagement() == Stateful.PodManagement.ORDERED_READY;
    List<Integer> beyond = held.keySet().stream().filter(k -> k >= n).sorted(Comparator.reverseOrder()).toList();
    for (int k : ordered && st.anyPending() ? List.<Integer>of() : beyond) {
      for (ContainerInfo c : held.get(k)) {
        w.lifecycle().delete(st, spec, c, "ScaledDown", "replica " + k + " is beyond " + n + " replicas");
      }
      if (mode.podManagement() == Stateful.PodManagement.ORDERED_READY) {
        break;
      }
    }
    removeScaledVolumes(n, held);
    List<Integer> toCreate = new ArrayList<>();
    boolean lowerReady = true;
    List<Integer> outdated = new ArrayList<>();
    List<Integer> leaving = new ArrayList<>();
    int unavailable = 0;
    for (int k = 0; k < n; k++) {
      List<ContainerInfo> cs = held.getOrDefault(k, List.of());
      ContainerInfo keep = cs.isEmpty() ? null : one(k, cs);
      if (keep != null) {
        kept.put(k, keep);
      }
      boolean up = false;
      if (keep == null) {
        List<String> silent = st.seenOrdinals.contains(k) ? List.of() : w.observed().nodesNeverListed();
        if (st.pendingFor(k)) {
          st.waiting.put(k, "being created");
        } else if (!silent.isEmpty()) {
          st.waiting.put(k, "not seen since this orchestrator started, and " + silent + " have not answered since: "
              + "it may run there");
        } else if (!beyond.isEmpty() && mode.podManagement() == Stateful.PodManagement.ORDERED_READY) {
          st.waiting.put(k, "waits for the scale-down above it");
        } else if (mode.podManagement() == Stateful.PodManagement.ORDERED_READY && !lowerReady) {
          st.waiting.put(k, "waits for replicas 0.." + (k - 1) + " to run and be ready (OrderedReady)");
        } else if (mode.podManagement() == Stateful.PodManagement.ORDERED_READY && !toCreate.isEmpty()) {
          st.waiting.put(k, "waits for replica " + toCreate.get(0) + " (OrderedReady: one at a time)");
        } else if (w.replaceStatefulAfter() != null && now.isBefore(w.replaceStatefulAfter())) {
          st.waiting.put(k, "waits until " + w.replaceStatefulAfter() + ": a new leader lets its predecessor's lease"
              + " and longest runtime call run out before it creates a stateful replica (the old one might still)");
          wake(Duration.between(now, w.replaceStatefulAfter()));
        } else {
          toCreate.add(k);
        }
      } else if (st.deleting.containsKey(keep.id()) || w.observed().isRemoved(keep.id())) {
        st.waiting.put(k, "waits until " + keep.name() + " is confirmed stopped and removed");
      } else if (!w.observed().isNodeReady(keep.nodeId())) {
        onLostNode(k, keep);
      } else {
        st.ordinalRevisions.put(k, revisionOf(keep));
        st.seenOrdinals.add(k);
        if (keep.state() == ContainerState.RUNNING) {
          running.add(keep);
          up = w.replicas().isAvailable(specOf(keep), keep);
        } else {
          wake(w.replicas().handleNotRunning(st, specOf(keep), keep, now));
        }
        boolean current = revisionOf(keep).equals(revision);
        if (w.observed().isDraining(keep.nodeId())) {
          leaving.add(k);
        } else if (!current && k >= mode.update().partition() && !mode.update().onDelete()) {
          outdated.add(k);
        }
        if (up && keep.nodeId().equals(st.volumeNodes.get(k))) {
          w.moves().removeMoved(st, spec, k); // moved off a draining node: the originals go
        }
        availableCurrent += up && current && k >= mode.update().partition() ? 1 : 0;
      }
      available += up ? 1 : 0;
      unavailable += up ? 0 : 1;
      lowerReady &= up;
    }
    // OrderedReady: a replica created (this pass, or still in flight) needs the ones below it ready, so none of
    // them goes meanwhile.
    boolean creating = ordered && (!toCreate.isEmpty() || st.anyPending());
    int budget = leave(leaving, creating ? 0 : mode.update().maxUnavailable() - unavailable);
    if (w.rollouts().rolling().begin(st.rollout, spec, revision, !outdated.isEmpty(), now)) {
      update(outdated, budget); // (not while the rollout is paused)
    }
    for (int k : toCreate) {
      String rev = revisionFor(k);
      if (mode.volumes().isEmpty()) {
        wake(w.replicas().place(st, specFor(rev), List.of(k), rev));
        continue;
      }
      String moving = st.volumeMoves.get(k); // first: a move ends with its volumes' node set
      String volumeNode = st.volumeNodes.get(k);
      if (!w.moves().settled(st, spec, k)) {
        st.waiting.put(k, "a cut-short copy of its volumes on " + st.discards.get(k) + " is being removed first");
      } else if (moving != null) {
        st.waiting.put(k, "its volumes are being copied to " + moving);
      } else if (volumeNode != null && w.observed().isDraining(volumeNode)) {
        moveVolumes(k, volumeNode, specFor(rev));
      } else {
        wake(w.replicas().place(st, specFor(rev), List.of(k), rev));
      }
    }
    return true;
  }

  /**
   * Replicas on draining nodes leave them, highest first, within the budget of replicas down: each is
   * removed, and created again elsewhere once its volumes are copied there. Returns the budget left.
   */
  private int leave(List<Integer> leaving, int budget) {
    for (int i = leaving.size() - 1; i >= 0; i--) {
      int k = leaving.get(i);
      ContainerInfo c = kept.get(k);
      if (!w.volumes().canMove(spec)) {
        st.waiting.put(k, "stays on draining node " + c.nodeId() + ": the runtime cannot copy volumes to another "
            + "node (no VOLUME_COPY)");
      } else if (!(runsOnReadyNode(c) && w.replicas().isAvailable(specOf(c), c))) {
        w.lifecycle().delete(st, spec, c, "Drained", "replica " + k + " leaves draining node " + c.nodeId()
            + ", with its volumes (it serves nobody)");
      } else if (budget > 0) {
        w.lifecycle().delete(st, spec, c, "Drained", "replica " + k + " leaves draining node " + c.nodeId()
            + ", with its volumes");
        budget--;
      } else {
        st.waiting.put(k, "waits to leave draining node " + c.nodeId() + " (at most "
            + mode.update().maxUnavailable() + " replicas down at once)");
      }
    }
    return budget;
  }

  /**
   * Ordinal {@code k}'s volumes, on draining node {@code from}, move to the node the scheduler chooses among
   * those that hold none of them.
   */
  private void moveVolumes(int k, String from, ServiceSpec own) {
    if (!w.volumes().canMove(spec)) {
      st.waiting.put(k, "its volumes are on draining node " + from + ", and the runtime cannot copy volumes to "
          + "another node (no VOLUME_COPY): it goes back there once the drain ends and the node is uncordoned");
      return;
    }
    SchedulerPlacement.Outcome target = w.replicas().choose(own, spec.name() + "-" + k,
        node -> VolumeMoves.mayGoTo(st, k, node));
    if (target.nodeId().isEmpty()) {
      st.waiting.put(k, "its volumes wait to leave draining node " + from + ": " + target.message());
      wake(Duration.ofSeconds(5));
      return;
    }
    w.moves().move(st, spec, k, from, target.nodeId().get());
    st.waiting.put(k, "its volumes are being copied from draining node " + from + " to " + target.nodeId().get());
  }

  /**
   * Every container that holds an ordinal, by ordinal: known to Orch and not confirmed removed, whatever its
   * state or node, unless given up. A given-up container seen again on a node that answers is removed.
   */
  private Map<Integer, List<ContainerInfo>> holders() {
    Map<Integer, List<ContainerInfo>> held = new TreeMap<>();
    for (ContainerInfo c : mine) { // a successor names the one it replaced: given up, even if this orchestrator
      String given = c.labels().get(ReplicaLifecycle.SUPERSEDES); // restarted since
      if (given != null && !w.observed().isRemoved(c.id())) {
        st.abandoned.add(given);
        st.supersedes.putIfAbsent(ServiceRecord.ordinal(c), given); // and its own successor names it too
      }
    }
    for (ContainerInfo c : mine) {
      if (w.observed().isRemoved(c.id())) {
        continue;
      }
      int k = ServiceRecord.ordinal(c);
      if (st.abandoned.contains(c.id())) {
        if (w.observed().isNodeReady(c.nodeId())) {
          w.lifecycle().delete(st, spec, c, "Duplicate", "replica " + k + " was given up and replaced; it "
              + "answers again on " + c.nodeId() + " and goes");
        }
        continue;
      }
      if (k >= 0) {
        held.computeIfAbsent(k, x -> new ArrayList<>()).add(c);
      }
    }
    return held;
  }

  /** The one replica kept of ordinal {@code k}: extras (there can be none but by a runtime's doing) go. */
  private ContainerInfo one(int k, List<ContainerInfo> cs) {
    if (cs.size() == 1) {
      return cs.get(0);
    }
    return keepOne(cs, revision, "replica " + k);
  }

  /** A replica whose node is lost: it waits for the node, unless the node-loss policy recreates it. */
  private void onLostNode(int k, ContainerInfo keep) {
    Instant since = w.observed().node(keep.nodeId()).map(ObservedState.NodeState::lostSince).orElse(now);
    Optional<Duration> after = mode.nodeLoss().recreateAfter();
    Duration lostFor = Duration.between(since, now);
    if (after.isEmpty() || lostFor.compareTo(after.get()) < 0) {
      st.waiting.put(k, "its node " + keep.nodeId() + " is lost; waiting for it (it may still run " + keep.name()
          + ", and holds its data)" + after.map(d -> "; recreated empty elsewhere after " + d.toSeconds() + "s")
          .orElse(""));
      after.ifPresent(d -> wake(d.minus(lostFor)));
      return;
    }
    giveUp(k, keep, "RecreatedEmpty", "node " + keep.nodeId() + " lost for " + lostFor.toSeconds() + "s: replica "
        + k + " is created again elsewhere with empty volumes; its data stays on " + keep.nodeId() + " ("
        + volumesOf(k) + ")");
  }

  /**
   * {@code forceReplace}: a replica on a node that answers is removed (its stop is confirmed as usual, and
   * its successor keeps the volumes there); one on a node that does not is given up unconfirmed, which the
   * event says may leave two replicas of the ordinal running, and its data behind.
   */
  private void forceReplace(int k, ContainerInfo c) {
    String what = "forceReplace(" + spec.name() + ", " + k + "): " + c.name() + " on " + c.nodeId();
    if (w.observed().isNodeReady(c.nodeId())) {
      w.lifecycle().delete(st, spec, c, null, null);
      w.events().emit(OrchEvent.Type.NORMAL, "ForceReplaced", spec.name(), c.name(), c.nodeId(), what
          + " is removed; replica " + k + " is created again, on its volumes, once it is gone");
      return;
    }
    giveUp(k, c, "ForceReplaced", what + " is given up unconfirmed: if " + c.nodeId() + " still runs it, two "
        + "replicas of ordinal " + k + " run at once until " + c.nodeId() + " answers again (then it is removed); "
        + "its data stays on " + c.nodeId() + " (" + volumesOf(k) + ") and replica " + k + " starts elsewhere "
        + "with empty volumes");
  }

  /** Gives up {@code keep} for its ordinal, which is created again elsewhere; says what that risks. */
  void giveUp(int k, ContainerInfo keep, String reason, String message) {
    st.abandoned.add(keep.id());
    st.supersedes.put(k, keep.id());
    st.volumeNodes.remove(k);
    w.lifecycle().delete(st, spec, keep, null, null); // tried; it goes once its node answers
    w.events().emit(OrchEvent.Type.WARNING, reason, spec.name(), keep.name(), keep.nodeId(), message);
    wake(Duration.ZERO);
  }

  private String volumesOf(int k) {
    List<String> names = StatefulVolumes.names(spec, k);
    return names.isEmpty() ? "no volumes" : "volumes " + String.join(", ", names);
  }

  /**
   * Moves ordinals {@code >= partition} to the revision, highest first: an outdated replica that is not
   * available is replaced at once; others within {@code budget} (what {@code maxUnavailable} leaves).
   */
  private void update(List<Integer> outdated, int budget) {
    for (int i = outdated.size() - 1; i >= 0; i--) {
      int k = outdated.get(i);
      ContainerInfo c = kept.get(k);
      boolean up = runsOnReadyNode(c) && w.replicas().isAvailable(specOf(c), c);
      if (!up) {
        w.lifecycle().delete(st, spec, c, "Updating", "replica " + k + ": revision " + revisionOf(c) + " -> "
            + revision + " (it serves nobody)");
      } else if (budget > 0) {
        w.lifecycle().delete(st, spec, c, "Updating", "replica " + k + ": revision " + revisionOf(c) + " -> "
            + revision);
        budget--;
      } else {
        st.waiting.put(k, "waits to move to revision " + revision + " (at most " + mode.update().maxUnavailable()
            + " replicas down at once)");
      }
    }
  }

  /** Removes the volumes of ordinals scaled away, once their replicas are gone, when retention says so. */
  private void removeScaledVolumes(int n, Map<Integer, List<ContainerInfo>> held) {
    if (mode.whenScaled() != Stateful.Retention.DELETE || mode.volumes().isEmpty()) {
      return;
    }
    for (Map.Entry<Integer, String> e : new TreeMap<>(st.volumeNodes).entrySet()) {
      int k = e.getKey();
      if (k >= n && !held.containsKey(k) && !st.pendingFor(k)) {
        w.volumes().remove(st, spec, k, e.getValue(), "scaled down (whenScaled: Delete)");
      }
    }
  }

  /** The revision ordinal {@code k} is created at: below the partition, the one it ran; else the spec's. */
  private String revisionFor(int k) {
    if (k < mode.update().partition() || mode.update().onDelete()) {
      String last = st.ordinalRevisions.get(k);
      if (last != null && !last.equals(revision) && k < mode.update().partition()
          && st.rollout.history().find(last).isPresent()) {
        return last;
      }
    }
    return revision;
  }

  /** The spec replicas of {@code rev} are made from: the desired spec, with that revision's template. */
  private ServiceSpec specFor(String rev) {
    if (rev.equals(revision)) {
      return spec;
    }
    Revision r = st.rollout.history().find(rev).orElseThrow();
    return r.applyTo(spec);
  }

  @Override
  ServiceSpec specOf(ContainerInfo c) {
    String rev = revisionOf(c);
    return rev.equals(revision) || st.rollout.history().find(rev).isEmpty() ? spec : specFor(rev);
  }

  @Override
  boolean wants(ServiceRecord.Slot slot) {
    return slot.ordinal() < spec.replicas();
  }

  @Override
  void publish() {
    w.endpoints().publish(spec, running);
  }

  @Override
  void progress() {
    int n = spec.replicas();
    setAvailable(available, n, "replicas");
    if (!mode.update().onDelete()) { // progress: of the ordinals the update moves, those at or above the partition
      int moving = Math.max(0, n - mode.update().partition());
      wake(w.rollouts().rolling().track(st.rollout, spec.withReplicas(moving), revision, availableCurrent, now));
    }
    publishView(revision, revision, Map.of(revision, n), null, rev -> st.rollout.history().find(rev).isPresent()
        ? specFor(rev) : spec);
  }
}
