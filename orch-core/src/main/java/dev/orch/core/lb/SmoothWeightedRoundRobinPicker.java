package dev.orch.core.lb;

import java.util.concurrent.ThreadLocalRandom;

/**
 * Nginx's smooth weighted round robin: each candidate gets its weight's share of every cycle, spread
 * evenly through it. The cycle is computed when the candidates change, so a pick is one atomic
 * increment and one array read.
 *
 * <p>Integer weights whose sum (divided by their greatest common divisor) is at most the cycle
 * capacity are kept exactly; other weights are scaled to fit the capacity, each positive weight
 * keeping at least one slot.
 */
final class SmoothWeightedRoundRobinPicker extends Picker {
  static final int MAX_CYCLE = 1 << 16;

  @Override
  public String name() {
    return "weightedRoundRobin";
  }

  @Override
  Table build(Candidates c) {
    int n = c.size();
    if (n == 0) {
      return Table.EMPTY;
    }
    int[] cycle = cycle(integerWeights(c.weights, capacity(n)));
    int length = cycle.length;
    StripedSequence counter = new StripedSequence(length, ThreadLocalRandom.current().nextInt(length));
    return new Table() {
      @Override
      int pick(long keyHash) {
        return cycle[(int) (counter.next() % length)];
      }
    };
  }

  static int capacity(int n) {
    return Math.max(n, Math.min(MAX_CYCLE, Math.max(1024, 16 * n)));
  }

  /** Positive integer weights in the ratio of {@code weights}, summing to at most {@code cap} (or n). */
  static long[] integerWeights(double[] weights, int cap) {
    int n = weights.length;
    long[] q = new long[n];
    boolean integral = true;
    for (int i = 0; i < n; i++) {
      double w = weights[i];
      if (w != Math.rint(w) || w > Integer.MAX_VALUE) {
        integral = false;
        break;
      }
      q[i] = (long) w;
    }
    if (integral) {
      long g = 0;
      for (long v : q) {
        g = gcd(g, v);
      }
      long sum = 0;
      for (int i = 0; i < n; i++) {
        q[i] /= g;
        sum += q[i];
      }
      if (sum <= cap) {
        return q;
      }
    }
    double total = 0;
    for (double w : weights) {
      total += w;
    }
    for (int i = 0; i < n; i++) {
      q[i] = Math.max(1L, Math.round(weights[i] / total * cap));
    }
    long g = 0;
    for (long v : q) {
      g = gcd(g, v);
    }
    for (int i = 0; i < n; i++) {
      q[i] /= g;
    }
    return q;
  }

  /** One full cycle of nginx's algorithm over integer weights {@code q}. */
  static int[] cycle(long[] q) {
    int n = q.length;
    long total = 0;
    for (long v : q) {
      total += v;
    }
    int length = (int) total;
    int[] cycle = new int[length];
    long[] current = new long[n];
    for (int t = 0; t < length; t++) {
      int best = 0;
      long bestValue = Long.MIN_VALUE;
      for (int i = 0; i < n; i++) {
        long v = current[i] += q[i];
        if (v > bestValue) {
          bestValue = v;
          best = i;
        }
      }
      current[best] -= total;
      cycle[t] = best;
    }
    return cycle;
  }

  private static long gcd(long a, long b) {
    while (b != 0) {
      long t = a % b;
      a = b;
      b = t;
    }
    return a;
  }
}
