package dev.orch.core.lb;

/**
 * Google's Maglev consistent hashing (as in Envoy, with weights): a lookup table of prime size filled
 * by each candidate's permutation in turns proportional to its weight; a key goes to
 * {@code table[hash % size]} in O(1). Removing one endpoint moves its keys and few others.
 */
final class MaglevPicker extends HashingPicker {
  private final int tableSize;

  MaglevPicker(int tableSize) {
    if (tableSize < 2 || !isPrime(tableSize)) {
      throw new IllegalArgumentException("maglev.tableSize: " + tableSize + ": must be a prime >= 2");
    }
    this.tableSize = tableSize;
  }

  @Override
  public String name() {
    return "maglev";
  }

  @Override
  Table build(Candidates c) {
    int n = c.size();
    if (n == 0) {
      return Table.EMPTY;
    }
    int m = tableSize;
    // Maglev needs many more slots than candidates to spread them well.
    if ((long) n * 100 > m) {
      m = nextPrime(n * 100);
    }
    long[] offset = new long[n];
    long[] skip = new long[n];
    long[] next = new long[n];
    double[] target = new double[n];
    double max = 0;
    for (int i = 0; i < n; i++) {
      String id = c.endpoints[i].id();
      offset[i] = Long.remainderUnsigned(Hashing.hash(id), m);
      skip[i] = Long.remainderUnsigned(Hashing.hash2(id), m - 1) + 1;
      max = Math.max(max, c.weights[i]);
    }
    // Take turns in id order, so that the table depends on the set of endpoints, not their order.
    Integer[] boxed = new Integer[n];
    for (int i = 0; i < n; i++) {
      boxed[i] = i;
    }
    java.util.Arrays.sort(boxed, java.util.Comparator.comparing(i -> c.endpoints[i].id()));
    int[] table = new int[m];
    java.util.Arrays.fill(table, -1);
    int filled = 0;
    for (long iteration = 1; filled < m; iteration++) {
      for (int t = 0; t < n && filled < m; t++) {
        int i = boxed[t];
        // A candidate of the largest weight takes a slot every round; one of a third of it, every third.
        if (iteration * c.weights[i] < target[i]) {
          continue;
        }
        target[i] += max;
        int slot = (int) ((offset[i] + skip[i] * next[i]) % m);
        while (table[slot] >= 0) {
          next[i]++;
          slot = (int) ((offset[i] + skip[i] * next[i]) % m);
        }
        table[slot] = i;
        next[i]++;
        filled++;
      }
    }
    int size = m;
    return new Table() {
      @Override
      int pick(long keyHash) {
        return table[(int) ((keyHash >>> 1) % size)];
      }
    };
  }

  static boolean isPrime(long v) {
    if (v < 2) {
      return false;
    }
    for (long d = 2; d * d <= v; d++) {
      if (v % d == 0) {
        return false;
      }
    }
    return true;
  }

  static int nextPrime(int from) {
    int v = from;
    while (!isPrime(v)) {
      v++;
    }
    return v;
  }

  @Override
  public String toString() {
    return "maglev(tableSize=" + tableSize + ")";
  }
}
