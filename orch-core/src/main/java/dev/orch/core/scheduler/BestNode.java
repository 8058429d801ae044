package dev.orch.core.scheduler;

/**
 * The running choice of one placement scan: the best-scoring feasible node so far, ties broken by
 * reservoir sampling on a seeded generator (so a given seed gives the same choice). One lives on each
 * snapshot and is reset for every scan, so the placement path allocates nothing. Not thread-safe.
 */
final class BestNode {
  int best;
  int found;
  private double bestScore;
  private int ties;
  private long rng;

  /** Starts a scan with the generator state {@code rng}. */
  void reset(long rng) {
    this.rng = rng;
    best = -1;
    found = 0;
    bestScore = Double.NEGATIVE_INFINITY;
    ties = 0;
  }

  /** Counts feasible node {@code i} with {@code score}; keeps it if it is the best (or wins a tie). */
  void offer(int i, double score) {
    found++;
    if (score > bestScore) {
      bestScore = score;
      best = i;
      ties = 1;
    } else if (score == bestScore) {
      ties++;
      rng = rng * 6364136223846793005L + 1442695040888963407L;
      if ((((rng >>> 32) * ties) >>> 32) == 0) {
        best = i;
      }
    }
  }
}
