package dev.orch.core.lb;

import java.util.Arrays;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Draws a candidate index at random in proportion to its weight: a direct draw when weights are equal,
 * else a binary search over cumulative weights. Immutable and thread-safe; draws allocate nothing.
 */
final class WeightedSampler {
  private static final double SCALE = (double) (1L << 40);

  private final int n;
  private final long[] cumulative;
  private final long total;

  WeightedSampler(Candidates c) {
    n = c.size();
    if (c.uniform || n <= 1) {
      cumulative = null;
      total = n;
    } else {
      double max = 0;
      for (double w : c.weights) {
        max = Math.max(max, w);
      }
      cumulative = new long[n];
      long sum = 0;
      for (int i = 0; i < n; i++) {
        sum += Math.max(1L, Math.round(c.weights[i] / max * SCALE));
        cumulative[i] = sum;
      }
      total = sum;
    }
  }

  int sample(ThreadLocalRandom r) {
    if (cumulative == null) {
      return r.nextInt(n);
    }
    long x = r.nextLong(total);
    int i = Arrays.binarySearch(cumulative, x);
    // cumulative[i] is the end (exclusive) of candidate i's range.
    return i >= 0 ? i + 1 : -i - 1;
  }

  /** A second draw that differs from {@code first} when there is more than one candidate. */
  int sampleOther(ThreadLocalRandom r, int first) {
    if (n < 2) {
      return first;
    }
    if (cumulative == null) {
      int b = r.nextInt(n - 1);
      return b >= first ? b + 1 : b;
    }
    int b = sample(r);
    return b != first ? b : sample(r);
  }
}
