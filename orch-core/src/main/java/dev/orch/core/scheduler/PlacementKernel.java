package dev.orch.core.scheduler;

import dev.orch.core.scheduler.Scores.BuiltinScore;

/**
 * The placement path: filters and scores over the snapshot's arrays, with no allocation per node. A node's
 * first failing filter is written to the snapshot's scratch arrays, so a refusal can be explained without
 * running the filters again. Immutable (its scratch lives in the snapshot) and thread-safe.
 */
final class PlacementKernel {
  static final int PASS = 0;
  static final int REMOVED = 1;
  static final int NOT_READY = 2;
  static final int BOUND_ELSEWHERE = 3;
  static final int SELECTOR = 4;
  static final int TAINT = 5;
  static final int CPU = 6;
  static final int MEMORY = 7;
  static final int PORT = 8;
  static final int ANTI_AFFINITY = 9;
  static final int SPREAD_KEY = 10;
  static final int SPREAD_SKEW = 11;
  static final int USER = 100;

  /** Scored at least this many feasible nodes, or all when fewer (kube-scheduler's minimum too). */
  static final int MIN_FEASIBLE_TO_SCORE = 100;

  private final double[] weights;
  private final Filter[] filters;
  private final Score[] userScores;
  private final double[] userWeights;
  private final int percentageOfNodesToScore; // 0 = adaptive

  PlacementKernel(double[] weights, Filter[] filters, Score[] userScores, double[] userWeights,
                  int percentageOfNodesToScore) {
    this.weights = weights;
    this.filters = filters;
    this.userScores = userScores;
    this.userWeights = userWeights;
    this.percentageOfNodesToScore = percentageOfNodesToScore;
  }

  Filter[] filters() {
    return filters;
  }

  /** How many feasible nodes to find before choosing, among {@code live} nodes. */
  int feasibleToFind(int live) {
    if (percentageOfNodesToScore == 100 || live <= MIN_FEASIBLE_TO_SCORE) {
      return live;
    }
    int pct = percentageOfNodesToScore > 0 ? percentageOfNodesToScore : Math.max(5, 50 - live / 125);
    return Math.max(MIN_FEASIBLE_TO_SCORE, (int) ((long) live * pct / 100));
  }

  /** The slot to bind to: -1 for none, -2 when the bound node is gone. */
  static int boundSlot(ClusterSnapshot s, ReplicaRequest r) {
    String bound = r.boundNodeOrNull();
    if (bound == null) {
      return -1;
    }
    int slot = s.slotOrMinusOne(bound);
    return slot < 0 ? -2 : slot;
  }

  /**
   * Chooses a node for {@code r}, or returns -1 when none passes every filter (then every live node's
   * first failing filter is in {@code s.failedBy}). Advances the snapshot's start index and sequence.
   */
  int choose(ClusterSnapshot s, CompiledPlacement c, ServiceState svc, ReplicaRequest r, long seed) {
    int n = s.slots;
    if (n == 0) {
      return -1;
    }
    int want = feasibleToFind(s.liveCount);
    int bound = boundSlot(s, r);
    long rng = mix(seed + 0x9E3779B97F4A7C15L * ++s.sequence);
    if (c.firstHard >= 0 && c.allowedCount < c.eligibleCount && bound == -1) {
      int best = chooseInAllowedDomains(s, c, svc, r, want, rng);
      if (best >= 0) {
        return best;
      }
      // None fits: scan every node below, so each gets its own reason.
    }
    int start = s.nextStart < n ? s.nextStart : 0;
    int visited = 0;
    BestNode choice = s.choice;
    choice.reset(rng);
    int[] failedBy = s.failedBy;
    int i = start;
    while (visited < n && choice.found < want) {
      visited++;
      int f = check(s, c, svc, r, i, bound);
      if (f != PASS) {
        failedBy[i] = f;
      } else {
        choice.offer(i, score(s, c, svc, r, i));
      }
      if (++i == n) {
        i = 0;
      }
    }
    s.nextStart = i;
    return choice.best;
  }

  /**
   * Like the full scan, but visits only the nodes of the domains the first hard spread allows now (the
   * others fail it anyway), so a tight spread costs no more than a loose one: domains in turn from a
   * rotating one, each from a rotating node. Returns -1 when none of them fits.
   */
  private int chooseInAllowedDomains(ClusterSnapshot s, CompiledPlacement c, ServiceState svc,
                                     ReplicaRequest r, int want, long rng) {
    LabelIndex idx = c.spIdx[c.firstHard];
    int[] allowed = c.allowed;
    int domains = c.allowedCount;
    int firstDomain = Math.floorMod(s.nextDomain++, domains);
    BestNode choice = s.choice;
    choice.reset(rng);
    for (int k = 0; k < domains && choice.found < want; k++) {
      int d = allowed[(firstDomain + k) % domains];
      int[] nodes = idx.members[d];
      int size = idx.sizes[d];
      int offset = size == 0 ? 0 : (int) Long.remainderUnsigned(s.sequence, size);
      for (int j = 0; j < size && choice.found < want; j++) {
        int i = nodes[offset + j < size ? offset + j : offset + j - size];
        if (check(s, c, svc, r, i, -1) == PASS) {
          choice.offer(i, score(s, c, svc, r, i));
        }
      }
    }
    return choice.best;
  }

  /** The first failing filter of node {@code i} for {@code r}, or {@link #PASS}. */
  int check(ClusterSnapshot s, CompiledPlacement c, ServiceState svc, ReplicaRequest r, int i, int bound) {
    if (!s.live[i]) {
      return REMOVED;
    }
    if (!s.ready[i]) {
      return NOT_READY;
    }
    if (bound != -1 && bound != i) {
      return BOUND_ELSEWHERE;
    }
    LabelIndex[] selIdx = c.selIdx;
    for (int k = 0; k < selIdx.length; k++) {
      if (selIdx[k].byNode[i] != c.selVal[k]) {
        s.failDetail[i] = k;
        return SELECTOR;
      }
    }
    if (s.taints[i].length != 0) {
      int t = c.untoleratedTaint(s, i);
      if (t >= 0) {
        s.failDetail[i] = t;
        return TAINT;
      }
    }
    if (r.cpuMillis() > s.capCpu[i] - s.usedCpu[i]) {
      return CPU;
    }
    if (r.memoryBytes() > s.capMem[i] - s.usedMem[i]) {
      return MEMORY;
    }
    int[] ports = r.hostPortCodes();
    if (ports.length != 0 && s.portCount[i] != 0) {
      for (int k = 0; k < ports.length; k++) {
        if (s.hasPort(i, ports[k])) {
          s.failDetail[i] = k;
          return PORT;
        }
      }
    }
    if (c.hardAnti && svc.perNode[i] > 0) {
      return ANTI_AFFINITY;
    }
    if (c.hasHardSpread) {
      for (int k = 0; k < c.spreadCount; k++) {
        if (!c.spHard[k]) {
          continue;
        }
        int d = c.spIdx[k].byNode[i];
        if (d < 0) {
          s.failDetail[i] = k;
          return SPREAD_KEY;
        }
        if (svc.domainCounts[c.spSlot[k]][d] + 1 - c.spMin[k] > c.spMaxSkew[k]) {
          s.failDetail[i] = k;
          return SPREAD_SKEW;
        }
      }
    }
    Filter[] f = filters;
    if (f.length != 0) {
      NodeView view = s.view.at(i);
      for (int k = 0; k < f.length; k++) {
        if (!f[k].accepts(r, view)) {
          return USER + k;
        }
      }
    }
    return PASS;
  }

  /** The weighted score of feasible node {@code i} for {@code r}. */
  double score(ClusterSnapshot s, CompiledPlacement c, ServiceState svc, ReplicaRequest r, int i) {
    double[] w = weights;
    double cpuShare = (s.usedCpu[i] + r.cpuMillis()) * s.invCpu[i];
    double memShare = (s.usedMem[i] + r.memoryBytes()) * s.invMem[i];
    double total = 0;
    if (w[BuiltinScore.LEAST] != 0) {
      total += w[BuiltinScore.LEAST] * (1 - (cpuShare + memShare) * 0.5);
    }
    if (w[BuiltinScore.MOST] != 0) {
      total += w[BuiltinScore.MOST] * (cpuShare + memShare) * 0.5;
    }
    if (w[BuiltinScore.BALANCED] != 0) {
      total += w[BuiltinScore.BALANCED] * (1 - Math.abs(cpuShare - memShare) * 0.5);
    }
    if (c.softAnti && w[BuiltinScore.SOFT_ANTI] != 0) {
      total += w[BuiltinScore.SOFT_ANTI] * softAnti(svc, i);
    }
    if (c.hasSoftSpread && w[BuiltinScore.SOFT_SPREAD] != 0) {
      total += w[BuiltinScore.SOFT_SPREAD] * softSpread(c, svc, i);
    }
    if (s.taints[i].length != 0 && w[BuiltinScore.PREFER_TAINTS] != 0) {
      total += w[BuiltinScore.PREFER_TAINTS] * (1.0 / (1 + c.untoleratedPreferred(s, i)));
    } else {
      total += w[BuiltinScore.PREFER_TAINTS];
    }
    Score[] us = userScores;
    if (us.length != 0) {
      NodeView view = s.view.at(i);
      for (int k = 0; k < us.length; k++) {
        total += userWeights[k] * us[k].score(r, view);
      }
    }
    return total;
  }

  private static double softAnti(ServiceState svc, int i) {
    int count = svc.perNode[i];
    return count == 0 ? 1 : 0.5 / (1 + count);
  }

  private static double softSpread(CompiledPlacement c, ServiceState svc, int i) {
    double sum = 0;
    int soft = 0;
    for (int k = 0; k < c.spreadCount; k++) {
      if (c.spHard[k]) {
        continue;
      }
      soft++;
      int d = c.spIdx[k].byNode[i];
      if (d < 0) {
        continue;
      }
      int above = svc.domainCounts[c.spSlot[k]][d] - c.spMin[k];
      if (above + 1 <= c.spMaxSkew[k]) {
        sum += 0.75 + 0.25 / (1 + above);
      }
    }
    return soft == 0 ? 0 : sum / soft;
  }

  /** One built-in score, unweighted, for a caller outside the placement loop. */
  static double builtin(int kind, ClusterSnapshot s, CompiledPlacement c, ServiceState svc, ReplicaRequest r,
                        int i) {
    double cpuShare = (s.usedCpu[i] + r.cpuMillis()) * s.invCpu[i];
    double memShare = (s.usedMem[i] + r.memoryBytes()) * s.invMem[i];
    switch (kind) {
      case BuiltinScore.LEAST:
        return 1 - (cpuShare + memShare) * 0.5;
      case BuiltinScore.MOST:
        return (cpuShare + memShare) * 0.5;
      case BuiltinScore.BALANCED:
        return 1 - Math.abs(cpuShare - memShare) * 0.5;
      case BuiltinScore.SOFT_ANTI:
        return c.softAnti ? softAnti(svc, i) : 0;
      case BuiltinScore.SOFT_SPREAD:
        return c.hasSoftSpread ? softSpread(c, svc, i) : 0;
      case BuiltinScore.PREFER_TAINTS:
        return 1.0 / (1 + c.untoleratedPreferred(s, i));
      default:
        throw new IllegalStateException("unknown built-in score " + kind);
    }
  }

  private static long mix(long z) {
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return z ^ (z >>> 31);
  }
}
