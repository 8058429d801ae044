package dev.orch.core.engine;

import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/** Wakes those who wait for an outcome of the reconcile passes after each pass. Thread-safe. */
final class PassMonitor {
  /** Whoever waits looks again at least this often, whatever the passes do. */
  private static final long LOOK_NANOS = TimeUnit.MILLISECONDS.toNanos(200);

  /** Says that a pass ended. */
  synchronized void passed() {
    notifyAll();
  }

  /**
   * Waits on real time, up to {@code timeout}, until {@code done} holds, looking after every pass and at
   * least every 200 ms; returns whether it held.
   */
  synchronized boolean await(Duration timeout, BooleanSupplier done) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      if (done.getAsBoolean()) {
        return true;
      }
      long left = deadline - System.nanoTime();
      if (left <= 0) {
        return false;
      }
      TimeUnit.NANOSECONDS.timedWait(this, Math.min(left, LOOK_NANOS));
    }
  }
}
