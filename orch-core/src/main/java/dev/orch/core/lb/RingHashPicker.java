package dev.orch.core.lb;

import java.util.Arrays;

/**
 * Ketama-style consistent hashing: each candidate owns points on a 64-bit ring in proportion to its
 * weight (at least one), placed by hashing its id; a key goes to the owner of the first point at or
 * after the key's hash. Adding or removing one endpoint moves only the keys of its points.
 */
final class RingHashPicker extends Picker {
  private static final int OWNER_BITS = 20;
  private static final long OWNER_MASK = (1L << OWNER_BITS) - 1;
  static final int MAX_CANDIDATES = 1 << OWNER_BITS;

  private final int minRingSize;
  private final int maxRingSize;

  RingHashPicker(int minRingSize, int maxRingSize) {
    if (minRingSize < 1) {
      throw new IllegalArgumentException("ringHash.minRingSize: " + minRingSize + ": must be >= 1");
    }
    if (maxRingSize < minRingSize) {
      throw new IllegalArgumentException(
          "ringHash.maxRingSize: " + maxRingSize + ": must be >= minRingSize " + minRingSize);
    }
    this.minRingSize = minRingSize;
    this.maxRingSize = maxRingSize;
  }

  @Override
  public String name() {
    return "ringHash";
  }

  @Override
  boolean hashesKey() {
    return true;
  }

  @Override
  boolean honoursSlowStart() {
    return false;
  }

  @Override
  Table build(Candidates c) {
    int n = c.size();
    if (n == 0) {
      return Table.EMPTY;
    }
    if (n > MAX_CANDIDATES) {
      throw new IllegalStateException(
          "ringHash " + c.service + ": candidates: " + n + ": must be <= " + MAX_CANDIDATES);
    }
    double total = 0;
    for (double w : c.weights) {
      total += w;
    }
    long target = Math.min(maxRingSize, Math.max(minRingSize, 64L * n));
    int[] points = new int[n];
    long size = 0;
    for (int i = 0; i < n; i++) {
      points[i] = (int) Math.max(1L, Math.round(target * c.weights[i] / total));
      size += points[i];
    }
    // Each entry: the point's hash in the high bits, the owner's index in the low bits, so that one
    // primitive sort orders the ring.
    long[] ring = new long[(int) size];
    int k = 0;
    for (int i = 0; i < n; i++) {
      long idHash = Hashing.hash(c.endpoints[i].id());
      for (int p = 0; p < points[i]; p++) {
        long h = Hashing.mix(idHash + (p + 1) * Hashing.GOLDEN);
        ring[k++] = (h & ~OWNER_MASK) | i;
      }
    }
    Arrays.sort(ring);
    return new Table() {
      @Override
      int pick(long keyHash) {
        int at = Arrays.binarySearch(ring, keyHash & ~OWNER_MASK);
        if (at < 0) {
          at = -at - 1;
        }
        if (at == ring.length) {
          at = 0;
        }
        return (int) (ring[at] & OWNER_MASK);
      }
    };
  }

  @Override
  public String toString() {
    return "ringHash(minRingSize=" + minRingSize + ", maxRingSize=" + maxRingSize + ")";
  }
}
