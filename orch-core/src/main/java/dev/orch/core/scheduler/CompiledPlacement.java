package dev.orch.core.scheduler;

import dev.orch.api.spec.AntiAffinity;
import dev.orch.api.spec.Placement;
import dev.orch.api.spec.Taint;
import dev.orch.api.spec.TaintEffect;
import dev.orch.api.spec.Toleration;
import dev.orch.api.spec.TopologySpread;
import java.util.List;
import java.util.Map;

/**
 * A service's placement turned into int comparisons against a snapshot: selector entries as label value ids,
 * spreads as tracked domain-count slots with the domains that may take the replica. Valid for one node epoch
 * of one snapshot. Its {@code spMin} fields are scratch, set before every placement. Not thread-safe.
 */
final class CompiledPlacement {
  final Placement placement;
  final LabelIndex[] selIdx;
  final int[] selVal;
  final String[] selText;
  final Toleration[] tolerations;
  final boolean hardAnti;
  final boolean softAnti;
  final int spreadCount;
  final LabelIndex[] spIdx;
  final int[] spSlot;
  final int[] spMaxSkew;
  final boolean[] spHard;
  final boolean[][] spEligible;
  final String[] spMissingText;
  final String[] spSkewText;
  final int[] spMin;
  /** The first hard spread's domains that the skew allows now (scratch, set by prepare). */
  final int[] allowed;
  int allowedCount;
  int eligibleCount;
  final int firstHard;
  final boolean hasHardSpread;
  final boolean hasSoftSpread;

  CompiledPlacement(ClusterSnapshot s, ServiceState svc, Placement p) {
    this.placement = p;
    Map<String, String> sel = p.nodeSelector();
    int n = sel.size();
    selIdx = new LabelIndex[n];
    selVal = new int[n];
    selText = new String[n];
    int k = 0;
    for (Map.Entry<String, String> e : sel.entrySet()) {
      selIdx[k] = s.labelIndex(e.getKey());
      int id = selIdx[k].idOf(e.getValue());
      selVal[k] = id >= 0 ? id : -2; // no node has the value: -2 matches no node, not even one lacking the key
      selText[k] = "missing label " + e.getKey() + "=" + e.getValue();
      k++;
    }
    tolerations = p.tolerations().toArray(new Toleration[0]);
    hardAnti = p.antiAffinity() == AntiAffinity.HARD;
    softAnti = p.antiAffinity() == AntiAffinity.SOFT;
    List<TopologySpread> spreads = p.spread();
    spreadCount = spreads.size();
    spIdx = new LabelIndex[spreadCount];
    spSlot = new int[spreadCount];
    spMaxSkew = new int[spreadCount];
    spHard = new boolean[spreadCount];
    spEligible = new boolean[spreadCount][];
    spMissingText = new String[spreadCount];
    spSkewText = new String[spreadCount];
    spMin = new int[spreadCount];
    boolean anyHard = false;
    boolean anySoft = false;
    for (int i = 0; i < spreadCount; i++) {
      TopologySpread t = spreads.get(i);
      spIdx[i] = s.labelIndex(t.topologyKey());
      spSlot[i] = svc.track(spIdx[i]);
      spMaxSkew[i] = Math.max(1, t.maxSkew());
      spHard[i] = t.hard();
      spMissingText[i] = "missing label " + t.topologyKey() + " for spread";
      spSkewText[i] = "spread over " + t.topologyKey() + " would exceed max skew " + spMaxSkew[i];
      anyHard |= t.hard();
      anySoft |= !t.hard();
    }
    hasHardSpread = anyHard;
    int first = -1;
    for (int i = 0; i < spreadCount && first < 0; i++) {
      if (spHard[i]) {
        first = i;
      }
    }
    firstHard = first;
    hasSoftSpread = anySoft;
    for (int i = 0; i < spreadCount; i++) {
      spEligible[i] = new boolean[spIdx[i].valueCount()];
    }
    allowed = new int[firstHard < 0 ? 0 : spIdx[firstHard].valueCount()];
    if (spreadCount > 0) {
      // A domain counts for skew when some ready node in it could take the replica but for resources and
      // the other replicas: it matches the selector and has no untolerated NoSchedule/NoExecute taint.
      for (int node = 0; node < s.slots; node++) {
        if (!s.live[node] || !s.ready[node] || !matchesSelector(node) || untoleratedTaint(s, node) >= 0) {
          continue;
        }
        for (int i = 0; i < spreadCount; i++) {
          int d = spIdx[i].byNode[node];
          if (d >= 0) {
            spEligible[i][d] = true;
          }
        }
      }
    }
  }

  boolean matchesSelector(int node) {
    for (int k = 0; k < selIdx.length; k++) {
      if (selIdx[k].byNode[node] != selVal[k]) {
        return false;
      }
    }
    return true;
  }

  /** The index of the node's first NoSchedule or NoExecute taint not tolerated, or -1. */
  int untoleratedTaint(ClusterSnapshot s, int node) {
    Taint[] taints = s.taints[node];
    for (int j = 0; j < taints.length; j++) {
      Taint t = taints[j];
      if (t.effect() != TaintEffect.PREFER_NO_SCHEDULE && !tolerated(t)) {
        return j;
      }
    }
    return -1;
  }

  /** How many PreferNoSchedule taints of the node are not tolerated. */
  int untoleratedPreferred(ClusterSnapshot s, int node) {
    Taint[] taints = s.taints[node];
    int count = 0;
    for (Taint t : taints) {
      if (t.effect() == TaintEffect.PREFER_NO_SCHEDULE && !tolerated(t)) {
        count++;
      }
    }
    return count;
  }

  private boolean tolerated(Taint t) {
    for (Toleration tol : tolerations) {
      if (tol.tolerates(t)) {
        return true;
      }
    }
    return false;
  }

  /** Sets {@link #spMin} from the service's current domain counts; call before every placement. */
  void prepare(ServiceState svc) {
    for (int i = 0; i < spreadCount; i++) {
      int[] counts = svc.domainCounts[spSlot[i]];
      boolean[] eligible = spEligible[i];
      int min = Integer.MAX_VALUE;
      for (int d = 0; d < eligible.length; d++) {
        if (eligible[d] && counts[d] < min) {
          min = counts[d];
        }
      }
      spMin[i] = min == Integer.MAX_VALUE ? 0 : min;
    }
    if (firstHard >= 0) {
      int[] counts = svc.domainCounts[spSlot[firstHard]];
      boolean[] eligible = spEligible[firstHard];
      int n = 0;
      int e = 0;
      for (int d = 0; d < eligible.length; d++) {
        if (eligible[d]) {
          e++;
          if (counts[d] + 1 - spMin[firstHard] <= spMaxSkew[firstHard]) {
            allowed[n++] = d;
          }
        }
      }
      allowedCount = n;
      eligibleCount = e;
    }
  }
}
