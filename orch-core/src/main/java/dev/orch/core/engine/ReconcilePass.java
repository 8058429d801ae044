package dev.orch.core.engine;

import dev.orch.api.runtime.ContainerInfo;
import dev.orch.api.runtime.ContainerState;
import dev.orch.api.runtime.OrchLabels;
import dev.orch.api.spec.ServiceSpec;
import dev.orch.core.reconcile.ReconcileResult;
import dev.orch.core.util.Durations;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Function;

/**
 * One reconcile pass of one applied service: the skeleton every strategy shares. {@link #run} realises the
 * replicas the strategy wants (placing, starting, restarting, replacing and retiring them), syncs their probes
 * and restarts what failed them, publishes the endpoints, finishes drains, then lets the rollout progress and
 * publishes what the status shows. A strategy plugs in {@link #realise}, {@link #specOf}, {@link #publish}
 * and {@link #progress}. Made for one pass, on the service's worker.
 */
abstract class ReconcilePass {
  /** A safety net against a lost completion: completions queue the key themselves. */
  private static final Duration SAFETY_NET = Duration.ofSeconds(30);

  /** What a kept replica turned out to be. */
  enum Tended {
    /** On a lost node: replaced once the node has been lost for the grace period. */
    LOST,
    /** Running on a ready node. */
    RUNNING,
    /** Not running: started, restarted with backoff, or left as its restart policy says. */
    DOWN
  }

  final Workers w;
  final ServiceRecord st;
  final ServiceSpec spec;
  final String revision;
  final Instant now;
  /** The service's containers as observed, by name. */
  final List<ContainerInfo> mine;
  /** The replicas that run on ready nodes this pass: probed, and published as endpoints. */
  final List<ContainerInfo> running = new ArrayList<>();
  private Duration wake;

  ReconcilePass(Workers w, ServiceRecord st, ServiceSpec spec, String revision, Instant now,
                List<ContainerInfo> mine) {
    this.w = w;
    this.st = st;
    this.spec = spec;
    this.revision = revision;
    this.now = now;
    this.mine = mine;
  }

  /** Runs the pass; null, having done nothing, when the strategy cannot start from what runs now. */
  final ReconcileResult run() {
    if (!realise()) {
      return null;
    }
    forgetStaleRetries();
    w.probes().sync(st.name, running, this::specOf);
    for (ContainerInfo c : running) {
      if (w.probes().mustRestart(c.id()) && st.killing.putIfAbsent(c.id(), Boolean.TRUE) == null) {
        w.lifecycle().kill(st, c);
      }
    }
    publish();
    wake(w.lifecycle().finishDrains(st));
    progress();
    if (!st.deleting.isEmpty() || st.anyPending()) {
      wake(SAFETY_NET);
    }
    return wake == null ? ReconcileResult.done() : ReconcileResult.requeueAfter(wake);
  }

  /**
   * A standby's pass: takes the rollout as the store holds it ({@link #standing}) instead of realising it, probes
   * {@code serving} (the replicas running on ready nodes), publishes them with the rollout's weights and what the
   * status shows, and changes nothing; null, having done nothing, when the strategy has no position for this
   * revision.
   */
  final @org.jspecify.annotations.Nullable ReconcileResult observe(List<ContainerInfo> serving) {
    if (!standing()) {
      return null;
    }
    running.addAll(serving);
    w.probes().sync(st.name, running, this::specOf);
    publish();
    view();
    return ReconcileResult.done();
  }

  /** Takes the rollout's position as it stands, for {@link #observe}; false when there is none for this revision. */
  boolean standing() {
    return true;
  }

  /** Publishes what the status shows, as it stands: by default the desired revision's replicas, no split. */
  void view() {
    publishView(revision, revision, Map.of(revision, spec.replicas()), null, r -> spec);
  }

  /** Forgets the failures in a row of slots the strategy no longer wants and of containers that are gone. */
  private void forgetStaleRetries() {
    if (st.createRetries.isEmpty() && st.startRetries.isEmpty()) {
      return;
    }
    st.createRetries.keySet().removeIf(slot -> !wants(slot));
    Set<String> ids = new HashSet<>();
    mine.forEach(c -> ids.add(c.id()));
    st.startRetries.entrySet().removeIf(e -> !ids.contains(e.getKey()) && !now.isBefore(e.getValue().notBefore()));
    st.updateReplicaFailure(now);
  }

  /** Whether the strategy realises {@code slot} this pass (by default: an ordinal of the desired revision). */
  boolean wants(ServiceRecord.Slot slot) {
    return slot.revision().equals(revision) && slot.ordinal() < spec.replicas();
  }

  /** Realises the replicas the strategy wants; false when it cannot start from what runs now. */
  abstract boolean realise();

  /** The spec {@code c} runs by: its own revision's. */
  abstract ServiceSpec specOf(ContainerInfo c);

  /** Publishes the endpoints of {@link #running}. */
  abstract void publish();

  /** Sets the conditions, moves the rollout on and publishes what the status shows. */
  abstract void progress();

  /**
   * Sets the condition {@code Available}: true once {@code available} of the {@code wanted} {@code what}
   * ("replicas") are available.
   */
  final void setAvailable(int available, int wanted, String what) {
    boolean all = available >= wanted;
    st.setCondition("Available", all, all ? "MinimumReplicasAvailable" : "MinimumReplicasUnavailable",
        available + "/" + wanted + " " + what + " available", now);
  }

  /** Looks again after {@code d} at the latest (null: no need). */
  final void wake(Duration d) {
    wake = Durations.min(wake, d);
  }

  /** Whether {@code c} is still the service's: not being removed, and not removed. */
  final boolean isLive(ContainerInfo c) {
    // In this order: a removal completing meanwhile marks the container removed before it leaves deleting.
    return !st.deleting.containsKey(c.id()) && !w.observed().isRemoved(c.id());
  }

  /** Sorts replicas to scale down newest first. */
  static void newestFirst(List<ContainerInfo> extras) {
    extras.sort(Comparator.comparing(ContainerInfo::createdAt).reversed().thenComparing(ContainerInfo::name));
  }

  /** Keeps the best of the replicas of one slot ({@code what}: "replica 3") and removes the others as duplicates. */
  final ContainerInfo keepOne(List<ContainerInfo> cs, String bestRevision, String what) {
    ContainerInfo keep = w.replicas().best(cs, bestRevision);
    for (ContainerInfo other : cs) {
      if (other != keep) {
        w.lifecycle().delete(st, spec, other, "Duplicate", what + " also runs as " + keep.name());
      }
    }
    return keep;
  }

  /**
   * Tends the replica kept for {@code ordinal}, run by {@code own}: replaced off a lost node (once the grace
   * passed, unless a create is {@code pending}: then {@code ordinal} joins {@code toPlace}), counted running, or
   * started or restarted.
   */
  final Tended tend(ServiceSpec own, ContainerInfo keep, int ordinal, boolean pending, List<Integer> toPlace) {
    if (!w.observed().isNodeReady(keep.nodeId())) {
      wake(w.replicas().onLostNode(st, own, keep, ordinal, pending, now, toPlace));
      return Tended.LOST;
    }
    if (keep.state() == ContainerState.RUNNING) {
      running.add(keep);
      return Tended.RUNNING;
    }
    wake(w.replicas().handleNotRunning(st, own, keep, now));
    return Tended.DOWN;
  }

  /** Whether {@code c} runs on a node being drained, which it leaves. */
  final boolean leaving(ContainerInfo c) {
    return w.observed().isDraining(c.nodeId());
  }

  /** Whether {@code c} runs on a ready node. */
  final boolean runsOnReadyNode(ContainerInfo c) {
    return c.state() == ContainerState.RUNNING && w.observed().isNodeReady(c.nodeId());
  }

  /** The revision a container's labels name. */
  static String revisionOf(ContainerInfo c) {
    return c.labels().getOrDefault(OrchLabels.REVISION, "");
  }

  /**
   * Publishes what the status shows of the rollout: per revision the {@code desired} count and the live
   * replicas, ready and available as their revision's spec says, and the {@code weights} (null: each
   * revision's share of the ready replicas).
   */
  final void publishView(String target, String stable, Map<String, Integer> desired, Map<String, Double> weights,
                         Function<String, ServiceSpec> specOfRevision) {
    Map<String, int[]> seen = new TreeMap<>();
    desired.keySet().forEach(rev -> seen.put(rev, new int[3]));
    for (ContainerInfo c : mine) {
      if (!isLive(c)) {
        continue;
      }
      String rev = revisionOf(c);
      int[] n = seen.computeIfAbsent(rev, k -> new int[3]);
      ServiceSpec revSpec = specOfRevision.apply(rev);
      n[0]++;
      n[1] += w.replicas().isReady(revSpec, c) ? 1 : 0;
      n[2] += w.replicas().isAvailable(revSpec, c) ? 1 : 0;
    }
    w.rollouts().publishView(st.rollout, target, stable, desired, seen, weights);
  }
}
