package dev.orch.core.scheduler;

import dev.orch.api.spec.Placement;
import java.util.Arrays;
import org.jspecify.annotations.Nullable;

/**
 * What a snapshot keeps per service so that anti-affinity and spread cost an array read per node: the
 * service's replica count per node, its replica count per domain of every spread key it has used, and the
 * compiled form of its placement. Not thread-safe.
 */
final class ServiceState {
  final String name;
  int[] perNode;
  int total;
  @Nullable ReplicaRecord[] members = new ReplicaRecord[4];
  int memberCount;
  LabelIndex[] keys = new LabelIndex[0];
  int[][] domainCounts = new int[0][];
  boolean domainsDirty;
  @Nullable Placement cachedPlacement;
  int cachedEpoch = -1;
  @Nullable CompiledPlacement compiled;

  ServiceState(String name, int nodeCapacity) {
    this.name = name;
    this.perNode = new int[nodeCapacity];
  }

  void ensureNodes(int capacity) {
    if (perNode.length < capacity) {
      perNode = Arrays.copyOf(perNode, capacity);
    }
  }

  /** The slot of {@code index} among tracked keys, tracking it (and counting its domains) if new. */
  int track(LabelIndex index) {
    for (int k = 0; k < keys.length; k++) {
      if (keys[k] == index) {
        return k;
      }
    }
    int k = keys.length;
    keys = Arrays.copyOf(keys, k + 1);
    keys[k] = index;
    domainCounts = Arrays.copyOf(domainCounts, k + 1);
    domainCounts[k] = new int[Math.max(4, index.valueCount())];
    recount(k);
    return k;
  }

  void ensureDomains() {
    if (domainsDirty) {
      domainsDirty = false;
      for (int k = 0; k < keys.length; k++) {
        recount(k);
      }
    }
    for (int k = 0; k < keys.length; k++) {
      int n = keys[k].valueCount();
      if (domainCounts[k].length < n) {
        domainCounts[k] = Arrays.copyOf(domainCounts[k], Math.max(n, domainCounts[k].length * 2));
      }
    }
  }

  private void recount(int k) {
    int n = Math.max(keys[k].valueCount(), domainCounts[k].length);
    int[] counts = new int[n];
    int[] byNode = keys[k].byNode;
    for (int m = 0; m < memberCount; m++) {
      int d = byNode[members[m].node];
      if (d >= 0) {
        counts[d]++;
      }
    }
    domainCounts[k] = counts;
  }

  void add(ReplicaRecord r) {
    perNode[r.node]++;
    total++;
    if (memberCount == members.length) {
      members = Arrays.copyOf(members, memberCount * 2);
    }
    r.posInService = memberCount;
    members[memberCount++] = r;
    for (int k = 0; k < keys.length; k++) {
      int d = keys[k].byNode[r.node];
      if (d >= 0) {
        if (d >= domainCounts[k].length) {
          domainCounts[k] = Arrays.copyOf(domainCounts[k], Math.max(d + 1, domainCounts[k].length * 2));
        }
        domainCounts[k][d]++;
      }
    }
  }

  void remove(ReplicaRecord r) {
    perNode[r.node]--;
    total--;
    ReplicaRecord last = members[--memberCount];
    members[r.posInService] = last;
    last.posInService = r.posInService;
    members[memberCount] = null;
    for (int k = 0; k < keys.length; k++) {
      int d = keys[k].byNode[r.node];
      if (d >= 0 && d < domainCounts[k].length) {
        domainCounts[k][d]--;
      }
    }
  }
}
