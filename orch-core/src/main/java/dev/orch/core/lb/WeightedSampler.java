package dev.orch.core.lb;

import java.util.ArrayDeque;
import java.util.concurrent.ThreadLocalRandom;
import org.jspecify.annotations.Nullable;

/**
 * Draws a candidate index at random in proportion to its weight, in O(1) with Vose's alias method:
 * one random long gives a column and a biased coin that keeps the column or takes its alias. Equal
 * weights skip the coin. Immutable and thread-safe; draws allocate nothing.
 */
final class WeightedSampler {
  private static final double COIN_RANGE = 1L << 31;

  private final int n;
  /** Per column, the coin threshold in 0..2^31: keep the column if the coin is below it. */
  private final int @Nullable [] threshold;
  private final int @Nullable [] alias;

  WeightedSampler(Candidates c) {
    n = c.size();
    if (c.uniform || n <= 1) {
      threshold = null;
      alias = null;
      return;
    }
    double total = 0;
    for (double w : c.weights) {
      total += w;
    }
    double[] scaled = new double[n];
    ArrayDeque<Integer> small = new ArrayDeque<>();
    ArrayDeque<Integer> large = new ArrayDeque<>();
    for (int i = 0; i < n; i++) {
      scaled[i] = c.weights[i] * n / total;
      (scaled[i] < 1.0 ? small : large).add(i);
    }
    threshold = new int[n];
    alias = new int[n];
    while (!small.isEmpty() && !large.isEmpty()) {
      int s = small.poll();
      int l = large.poll();
      threshold[s] = (int) Math.min(Integer.MAX_VALUE, Math.round(scaled[s] * COIN_RANGE));
      alias[s] = l;
      scaled[l] = scaled[l] + scaled[s] - 1.0;
      (scaled[l] < 1.0 ? small : large).add(l);
    }
    for (ArrayDeque<Integer> rest : java.util.List.of(small, large)) {
      while (!rest.isEmpty()) {
        int i = rest.poll();
        threshold[i] = Integer.MAX_VALUE;
        alias[i] = i;
      }
    }
  }

  int sample(ThreadLocalRandom r) {
    long x = r.nextLong();
    int column = (int) (((x >>> 32) * n) >>> 32);
    if (threshold == null) {
      return column;
    }
    int coin = (int) x & Integer.MAX_VALUE;
    return coin < threshold[column] ? column : alias[column];
  }

  /** A second draw that differs from {@code first} when there is more than one candidate. */
  int sampleOther(ThreadLocalRandom r, int first) {
    if (n < 2) {
      return first;
    }
    if (threshold == null) {
      int b = r.nextInt(n - 1);
      return b >= first ? b + 1 : b;
    }
    int b = sample(r);
    return b != first ? b : sample(r);
  }
}
