package dev.orch.core.lb;

import dev.orch.api.time.TimeSource;
import java.util.Objects;

/**
 * Caps retries at a share of requests, as Finagle's retry budget does, so that retries cannot multiply
 * the load on a struggling service: every request deposits {@code percentCanRetry / 100} of a token;
 * a retry withdraws a whole one. A reserve of {@code minRetriesPerSecond}, refilled over time, lets a
 * quiet client retry too. Thread-safe.
 */
public final class RetryBudget {
  // Tokens are counted in ten-thousandths of a retry, so that 5 deposits of 20% make exactly one.
  private static final long UNIT = 10_000;
  private static final long MAX_TOKENS = 1_000 * UNIT;

  private final long depositPerRequest;
  private final int minRetriesPerSecond;
  private final TimeSource time;
  private long tokens;
  private double reserve;
  private long lastRefill;

  private RetryBudget(double percentCanRetry, int minRetriesPerSecond, TimeSource time) {
    if (!(percentCanRetry >= 0 && percentCanRetry <= 1000)) {
      throw new IllegalArgumentException("retryBudget.percentCanRetry: " + percentCanRetry + ": must be in 0..1000");
    }
    if (minRetriesPerSecond < 0) {
      throw new IllegalArgumentException(
          "retryBudget.minRetriesPerSecond: " + minRetriesPerSecond + ": must be >= 0");
    }
    this.depositPerRequest = Math.round(percentCanRetry * UNIT / 100.0);
    this.minRetriesPerSecond = minRetriesPerSecond;
    this.time = Objects.requireNonNull(time, "time");
    this.reserve = minRetriesPerSecond;
    this.lastRefill = time.nanoTime();
  }

  /**
   * A budget that lets {@code percentCanRetry}% of requests be retried, plus {@code minRetriesPerSecond}.
   *
   * @throws IllegalArgumentException if a value is out of range
   */
  public static RetryBudget of(double percentCanRetry, int minRetriesPerSecond, TimeSource time) {
    return new RetryBudget(percentCanRetry, minRetriesPerSecond, time);
  }

  /** Finagle's defaults: 20% of requests may be retried, plus 10 retries a second. */
  public static RetryBudget defaults(TimeSource time) {
    return of(20, 10, time);
  }

  /** Records one request (not a retry). */
  public synchronized void deposit() {
    tokens = Math.min(MAX_TOKENS, tokens + depositPerRequest);
  }

  /** Takes one retry from the budget; false if it is spent. */
  public synchronized boolean tryWithdraw() {
    refill();
    if (reserve >= 1) {
      reserve -= 1;
      return true;
    }
    if (tokens >= UNIT) {
      tokens -= UNIT;
      return true;
    }
    return false;
  }

  /** The retries the budget allows now. */
  public synchronized int available() {
    refill();
    return (int) Math.floor(reserve) + (int) (tokens / UNIT);
  }

  private void refill() {
    long now = time.nanoTime();
    long elapsed = now - lastRefill;
    if (elapsed > 0) {
      reserve = Math.min(minRetriesPerSecond, reserve + minRetriesPerSecond * (elapsed / 1e9));
      lastRefill = now;
    }
  }
}
