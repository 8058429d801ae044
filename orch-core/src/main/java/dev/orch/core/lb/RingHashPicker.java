package dev.orch.core.lb;

import java.util.Arrays;

/**
 * Ketama-style consistent hashing: each candidate owns {@code pointsPerWeight} points per unit of
 * weight (at least one; the ring holds at most 8M points) on a 64-bit ring, placed by hashing its id; a key goes to the owner of the first point at or
 * after the key's hash. Adding or removing one endpoint moves only the keys of its points.
 */
final class RingHashPicker extends HashingPicker {
  private static final int OWNER_BITS = 20;
  private static final long OWNER_MASK = (1L << OWNER_BITS) - 1;
  static final int MAX_CANDIDATES = 1 << OWNER_BITS;

  static final int MAX_RING_SIZE = 8 * 1024 * 1024;

  private final int pointsPerWeight;

  RingHashPicker(int pointsPerWeight) {
    if (pointsPerWeight < 1 || pointsPerWeight > 65_536) {
      throw new IllegalArgumentException("ringHash.pointsPerWeight: " + pointsPerWeight + ": must be in 1..65536");
    }
    this.pointsPerWeight = pointsPerWeight;
  }

  @Override
  public String name() {
    return "ringHash";
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
    // An endpoint's point count depends on its own weight only (integer weights, the usual case), so
    // that adding or removing another endpoint moves no keys between the endpoints that stay.
    boolean integral = true;
    double total = 0;
    for (double w : c.weights) {
      integral &= w == Math.rint(w);
      total += w;
    }
    double perWeight = integral ? pointsPerWeight : pointsPerWeight * n / total;
    long wanted = 0;
    for (double w : c.weights) {
      wanted += Math.max(1L, Math.round(w * perWeight));
    }
    if (wanted > MAX_RING_SIZE) {
      perWeight *= (double) MAX_RING_SIZE / wanted;
    }
    int[] points = new int[n];
    long size = 0;
    for (int i = 0; i < n; i++) {
      points[i] = (int) Math.max(1L, Math.round(c.weights[i] * perWeight));
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
    // An index over the ring by the top bits of the (unsigned-ordered) hash, so that a lookup jumps
    // near its point and scans about one entry, instead of a binary search's cache misses.
    int bits = Math.max(1, 31 - Integer.numberOfLeadingZeros(ring.length));
    int buckets = 1 << bits;
    int shift = 64 - bits;
    int[] start = new int[buckets + 1];
    int at = 0;
    for (int b = 0; b < buckets; b++) {
      while (at < ring.length && ((ring[at] ^ Long.MIN_VALUE) >>> shift) < b) {
        at++;
      }
      start[b] = at;
    }
    start[buckets] = ring.length;
    int length = ring.length;
    return new Table() {
      @Override
      int pick(long keyHash) {
        long key = keyHash & ~OWNER_MASK;
        int i = start[(int) ((key ^ Long.MIN_VALUE) >>> shift)];
        while (i < length && ring[i] < key) {
          i++;
        }
        return (int) (ring[i == length ? 0 : i] & OWNER_MASK);
      }
    };
  }

  @Override
  public String toString() {
    return "ringHash(pointsPerWeight=" + pointsPerWeight + ")";
  }
}
