package dev.orch.core.probe;

/**
 * kubelet's threshold rule for one probe: the verdict changes only after {@code successThreshold}
 * consecutive successes (to passing) or {@code failureThreshold} consecutive failures (to failing).
 * Not thread-safe: its watch's lock guards it.
 */
final class ThresholdState {
  /** A probe's verdict; {@link #UNKNOWN} before a startup probe has decided either way. */
  enum Verdict { UNKNOWN, PASSING, FAILING }

  private final int successThreshold;
  private final int failureThreshold;
  private final Verdict initial;
  private Verdict verdict;
  private boolean lastOk;
  private int run;

  ThresholdState(int successThreshold, int failureThreshold, Verdict initial) {
    if (successThreshold < 1) {
      throw new IllegalArgumentException("successThreshold: " + successThreshold + ": must be >= 1");
    }
    if (failureThreshold < 1) {
      throw new IllegalArgumentException("failureThreshold: " + failureThreshold + ": must be >= 1");
    }
    this.successThreshold = successThreshold;
    this.failureThreshold = failureThreshold;
    this.initial = initial;
    this.verdict = initial;
  }

  /**
   * Counts one result.
   *
   * @return whether the verdict changed
   */
  boolean record(boolean ok) {
    if (run > 0 && lastOk == ok) {
      run++;
    } else {
      lastOk = ok;
      run = 1;
    }
    Verdict next = ok ? Verdict.PASSING : Verdict.FAILING;
    if (verdict != next && run >= (ok ? successThreshold : failureThreshold)) {
      verdict = next;
      return true;
    }
    return false;
  }

  Verdict verdict() {
    return verdict;
  }

  /** Forgets every result: back to the initial verdict with no run. */
  void reset() {
    verdict = initial;
    run = 0;
  }
}
