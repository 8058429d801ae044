package dev.orch.core.lb;

/**
 * A round-robin sequence striped over a few padded counters, so that threads picking at once do not
 * all fight over one cache line. A thread always uses the same stripe (by its identity hash), so one
 * thread sees an exact round-robin sequence, and the stripes start spread over the cycle, so that
 * together they stay within a few picks of an even spread. Thread-safe.
 */
final class StripedSequence {
  private static final int STRIPES = 8;

  private final PaddedCounter[] stripes = new PaddedCounter[STRIPES];

  /** A sequence over a cycle of {@code length} slots, starting at a random place. */
  StripedSequence(int length, long randomStart) {
    for (int i = 0; i < STRIPES; i++) {
      stripes[i] = new PaddedCounter(Math.floorMod(randomStart + (long) i * length / STRIPES, length));
    }
  }

  /** The next value for the calling thread's stripe, never negative. */
  long next() {
    int h = System.identityHashCode(Thread.currentThread()) * 0x9E3779B9;
    return stripes[h >>> 29].next();
  }
}
