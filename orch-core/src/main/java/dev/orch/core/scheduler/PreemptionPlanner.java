package dev.orch.core.scheduler;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * Finds the smallest set of strictly lower-priority replicas whose removal lets a replica fit. Only CPU,
 * memory and host ports can be freed by removing replicas; a node refused for any other reason is not a
 * candidate. Per node the set is the smallest by count (exact search, with a step budget; past it, a
 * minimal set by reprieving the highest priorities first, as kube-scheduler does); across nodes the fewest
 * victims win, then the lowest highest victim priority, then the lowest priority sum. Runs only on the
 * failure path.
 */
final class PreemptionPlanner {
  private static final int SEARCH_BUDGET = 100_000;

  private PreemptionPlanner() {
  }

  /** Requires {@code s.failedBy} to hold every live node's first failing filter for {@code r}. */
  static Optional<Preemption> plan(PlacementKernel kernel, ClusterSnapshot s, CompiledPlacement c,
                                   ServiceState svc, ReplicaRequest r) {
    int bound = PlacementKernel.boundSlot(s, r);
    int[] codes = Arrays.copyOf(s.failedBy, s.slots);
    List<ReplicaRecord> best = null;
    int bestNode = -1;
    for (int i = 0; i < s.slots; i++) {
      int code = codes[i];
      if (!s.live[i]
          || (code != PlacementKernel.CPU && code != PlacementKernel.MEMORY && code != PlacementKernel.PORT)) {
        continue;
      }
      List<ReplicaRecord> victims = victimsOn(s, r, i);
      if (victims == null || (best != null && compare(victims, best) >= 0)) {
        continue;
      }
      if (fitsWithout(kernel, s, c, svc, r, i, bound, victims)) {
        best = victims;
        bestNode = i;
      }
    }
    if (best == null) {
      return Optional.empty();
    }
    List<String> ids = new ArrayList<>(best.size());
    for (ReplicaRecord v : best) {
      ids.add(v.request.replicaId());
    }
    ids.sort(Comparator.naturalOrder());
    return Optional.of(new Preemption(s.ids[bestNode], ids));
  }

  private static int compare(List<ReplicaRecord> a, List<ReplicaRecord> b) {
    if (a.size() != b.size()) {
      return Integer.compare(a.size(), b.size());
    }
    int c = Integer.compare(maxPriority(a), maxPriority(b));
    return c != 0 ? c : Long.compare(sumPriority(a), sumPriority(b));
  }

  private static int maxPriority(List<ReplicaRecord> v) {
    int max = Integer.MIN_VALUE;
    for (ReplicaRecord r : v) {
      max = Math.max(max, r.request.priority());
    }
    return max;
  }

  private static long sumPriority(List<ReplicaRecord> v) {
    long sum = 0;
    for (ReplicaRecord r : v) {
      sum += r.request.priority();
    }
    return sum;
  }

  /** Removes {@code victims} for a moment, runs every filter on node {@code i}, and puts them back. */
  private static boolean fitsWithout(PlacementKernel kernel, ClusterSnapshot s, CompiledPlacement c,
                                     ServiceState svc, ReplicaRequest r, int i, int bound,
                                     List<ReplicaRecord> victims) {
    for (ReplicaRecord v : victims) {
      s.removeReplica(v.request.replicaId());
    }
    c.prepare(svc);
    boolean fits = kernel.check(s, c, svc, r, i, bound) == PlacementKernel.PASS;
    for (ReplicaRecord v : victims) {
      s.reserve(v.request, i);
    }
    c.prepare(svc);
    return fits;
  }

  /** The smallest set of lower-priority replicas on node {@code i} to remove for {@code r}, or null. */
  static @Nullable List<ReplicaRecord> victimsOn(ClusterSnapshot s, ReplicaRequest r, int i) {
    long needCpu = r.cpuMillis() - (s.capCpu[i] - s.usedCpu[i]);
    long needMem = r.memoryBytes() - (s.capMem[i] - s.usedMem[i]);
    List<ReplicaRecord> mandatory = new ArrayList<>();
    List<ReplicaRecord> optional = new ArrayList<>();
    for (int k = 0; k < s.onNodeCount[i]; k++) {
      ReplicaRecord rec = s.onNode[i][k];
      boolean lower = rec.request.priority() < r.priority();
      if (holdsPortOf(rec, r)) {
        if (!lower) {
          return null;
        }
        mandatory.add(rec);
        needCpu -= rec.request.cpuMillis();
        needMem -= rec.request.memoryBytes();
      } else if (lower) {
        optional.add(rec);
      }
    }
    if (needCpu <= 0 && needMem <= 0) {
      return mandatory;
    }
    List<ReplicaRecord> chosen = smallestCover(optional, Math.max(0, needCpu), Math.max(0, needMem));
    if (chosen == null) {
      return null;
    }
    mandatory.addAll(chosen);
    return mandatory;
  }

  private static boolean holdsPortOf(ReplicaRecord rec, ReplicaRequest r) {
    for (int a : rec.request.hostPortCodes()) {
      for (int b : r.hostPortCodes()) {
        if (a == b) {
          return true;
        }
      }
    }
    return false;
  }

  /** The fewest of {@code items} whose CPU and memory sums reach the needs, or null when all do not. */
  static @Nullable List<ReplicaRecord> smallestCover(List<ReplicaRecord> items, long needCpu, long needMem) {
    int m = items.size();
    long allCpu = 0;
    long allMem = 0;
    for (ReplicaRecord x : items) {
      allCpu += x.request.cpuMillis();
      allMem += x.request.memoryBytes();
    }
    if (allCpu < needCpu || allMem < needMem) {
      return null;
    }
    ReplicaRecord[] byCpu = items.toArray(new ReplicaRecord[0]);
    // Lower priorities first among equals, so a tie prefers cheaper victims.
    Arrays.sort(byCpu, Comparator.<ReplicaRecord>comparingLong(x -> -x.request.cpuMillis())
        .thenComparingInt(x -> x.request.priority()));
    long[] cpu = new long[m];
    long[] mem = new long[m];
    for (int k = 0; k < m; k++) {
      cpu[k] = byCpu[k].request.cpuMillis();
      mem[k] = byCpu[k].request.memoryBytes();
    }
    long[] memSorted = mem.clone();
    Arrays.sort(memSorted);
    long[] topMem = new long[m + 1]; // topMem[k]: the sum of the k largest memory amounts
    for (int k = 1; k <= m; k++) {
      topMem[k] = topMem[k - 1] + memSorted[m - k];
    }
    long[] prefixCpu = new long[m + 1];
    for (int k = 0; k < m; k++) {
      prefixCpu[k + 1] = prefixCpu[k] + cpu[k];
    }
    int[] pick = new int[m];
    int[] budget = {SEARCH_BUDGET};
    for (int k = 1; k <= m; k++) {
      if (prefixCpu[k] < needCpu || topMem[k] < needMem) {
        continue;
      }
      if (search(cpu, mem, prefixCpu, topMem, 0, 0, k, needCpu, needMem, pick, budget)) {
        List<ReplicaRecord> out = new ArrayList<>(k);
        for (int j = 0; j < k; j++) {
          out.add(byCpu[pick[j]]);
        }
        return out;
      }
      if (budget[0] <= 0) {
        return reprieve(items, needCpu, needMem);
      }
    }
    return reprieve(items, needCpu, needMem);
  }

  private static boolean search(long[] cpu, long[] mem, long[] prefixCpu, long[] topMem, int from, int depth,
                                int k, long needCpu, long needMem, int[] pick, int[] budget) {
    if (needCpu <= 0 && needMem <= 0) {
      return depth == k; // smaller sets were tried before, so this is k
    }
    int left = k - depth;
    if (left == 0 || --budget[0] <= 0) {
      return false;
    }
    for (int j = from; j + left <= cpu.length; j++) {
      // Sorted by CPU, so the next `left` items hold the most CPU reachable from j.
      if (prefixCpu[j + left] - prefixCpu[j] < needCpu || topMem[left] < needMem) {
        return false;
      }
      pick[depth] = j;
      if (search(cpu, mem, prefixCpu, topMem, j + 1, depth + 1, k, needCpu - cpu[j], needMem - mem[j], pick,
          budget)) {
        return true;
      }
      if (budget[0] <= 0) {
        return false;
      }
    }
    return false;
  }

  /** kube-scheduler's way: all candidates are victims, then reprieve the highest priorities that can stay. */
  private static List<ReplicaRecord> reprieve(List<ReplicaRecord> items, long needCpu, long needMem) {
    List<ReplicaRecord> sorted = new ArrayList<>(items);
    sorted.sort(Comparator.<ReplicaRecord>comparingInt(x -> -x.request.priority())
        .thenComparingLong(x -> x.request.cpuMillis() + x.request.memoryBytes()));
    long freeCpu = -needCpu;
    long freeMem = -needMem;
    for (ReplicaRecord x : items) {
      freeCpu += x.request.cpuMillis();
      freeMem += x.request.memoryBytes();
    }
    List<ReplicaRecord> victims = new ArrayList<>();
    for (ReplicaRecord x : sorted) {
      if (freeCpu - x.request.cpuMillis() >= 0 && freeMem - x.request.memoryBytes() >= 0) {
        freeCpu -= x.request.cpuMillis();
        freeMem -= x.request.memoryBytes();
      } else {
        victims.add(x);
      }
    }
    return victims;
  }
}
