package dev.orch.core.lb;

import java.util.concurrent.atomic.AtomicLong;

/** An atomic counter alone on its cache line, for round-robin sequences. Thread-safe. */
final class PaddedCounter {
  long p00, p01, p02, p03, p04, p05, p06, p07;
  private final AtomicLong value;
  long p10, p11, p12, p13, p14, p15, p16, p17;

  PaddedCounter(long start) {
    value = new AtomicLong(start);
  }

  /** The next value of the sequence, never negative. */
  long next() {
    return value.getAndIncrement() & Long.MAX_VALUE;
  }
}
