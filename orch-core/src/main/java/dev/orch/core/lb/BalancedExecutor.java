package dev.orch.core.lb;

import dev.failsafe.CircuitBreaker;
import dev.failsafe.CircuitBreakerOpenException;
import dev.failsafe.Failsafe;
import dev.failsafe.FailsafeException;
import dev.failsafe.RetryPolicy;
import dev.failsafe.Timeout;
import dev.failsafe.TimeoutExceededException;
import dev.orch.api.time.TimeSource;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Predicate;
import org.jspecify.annotations.Nullable;

/**
 * Runs a user's call against a picked endpoint with Failsafe policies: a retry on another pick, limited
 * by a {@link RetryBudget}; an optional timeout per attempt; an optional circuit breaker per endpoint.
 * Every attempt is reported to the {@link LoadBalancer} with its outcome and latency, so it feeds the
 * latency EWMA and outlier ejection. Thread-safe.
 *
 * <pre>{@code
 * BalancedExecutor exec = BalancedExecutor.builder(lb)
 *     .maxRetries(2)
 *     .retryBudget(RetryBudget.defaults(time))
 *     .timeout(Duration.ofMillis(200))
 *     .circuitBreaker(5, Duration.ofSeconds(10))
 *     .build();
 * String body = exec.call(e -> http.get(e.hostPort() + "/orders"));
 * }</pre>
 */
public final class BalancedExecutor {
  private static final int PICKS_PAST_OPEN_BREAKERS = 3;

  private final LoadBalancer lb;
  private final TimeSource time;
  private final int maxRetries;
  private final RetryBudget budget;
  private final @Nullable Duration timeout;
  private final int breakerFailures;
  private final @Nullable Duration breakerDelay;
  private final Predicate<Throwable> retryOn;
  private final ConcurrentHashMap<String, CircuitBreaker<Object>> breakers = new ConcurrentHashMap<>();

  private BalancedExecutor(Builder b) {
    this.lb = b.lb;
    this.time = b.time;
    this.maxRetries = b.maxRetries;
    this.budget = b.budget != null ? b.budget : RetryBudget.defaults(b.time);
    this.timeout = b.timeout;
    this.breakerFailures = b.breakerFailures;
    this.breakerDelay = b.breakerDelay;
    this.retryOn = b.retryOn;
  }

  /** A builder for an executor over {@code lb}. */
  public static Builder builder(LoadBalancer lb) {
    return new Builder(lb);
  }

  /**
   * Calls a picked endpoint, retrying failed attempts on new picks while retries and the budget last.
   *
   * @return the first successful attempt's result
   * @throws NoAvailableEndpointException if no endpoint may take traffic
   * @throws CircuitBreakerOpenException if every endpoint tried had an open circuit breaker
   * @throws TimeoutExceededException if the last attempt timed out
   * @throws FailsafeException wrapping a checked exception of the last attempt; unchecked ones are
   *     thrown as they are
   */
  public <T> T call(EndpointCall<T> call) {
    Objects.requireNonNull(call, "call");
    budget.deposit();
    int[] attempts = {0};
    RetryPolicy<T> retry = RetryPolicy.<T>builder()
        .handleIf((result, failure) -> failure != null && !(failure instanceof FinalFailure))
        .withMaxRetries(maxRetries)
        .build();
    try {
      return Failsafe.with(retry).get(() -> attempt(call, ++attempts[0]));
    } catch (FinalFailure f) {
      Throwable cause = f.getCause();
      if (cause instanceof RuntimeException r) {
        throw r;
      }
      if (cause instanceof Error e) {
        throw e;
      }
      throw new FailsafeException(cause);
    }
  }

  /** The circuit breaker state of endpoint {@code endpointId}, if it has one yet. */
  public java.util.Optional<CircuitBreaker.State> breakerState(String endpointId) {
    Objects.requireNonNull(endpointId, "endpointId");
    CircuitBreaker<Object> cb = breakers.get(endpointId);
    return cb == null ? java.util.Optional.empty() : java.util.Optional.of(cb.getState());
  }

  /** The retry budget in use. */
  public RetryBudget retryBudget() {
    return budget;
  }

  private <T> T attempt(EndpointCall<T> call, int attempt) {
    try {
      return attemptOnce(call);
    } catch (NoAvailableEndpointException e) {
      throw new FinalFailure(e);
    } catch (RuntimeException | Error e) {
      Throwable failure = unwrap(e);
      boolean retry = attempt <= maxRetries && retryOn.test(failure) && budget.tryWithdraw();
      if (!retry) {
        throw new FinalFailure(failure);
      }
      throw e;
    }
  }

  private <T> T attemptOnce(EndpointCall<T> call) {
    Endpoint e = lb.pick();
    CircuitBreaker<Object> cb = breakerFor(e);
    for (int i = 1; cb != null && !cb.tryAcquirePermit(); i++) {
      lb.release(e);
      if (i >= PICKS_PAST_OPEN_BREAKERS) {
        throw new CircuitBreakerOpenException(cb);
      }
      e = lb.pick();
      cb = breakerFor(e);
    }
    Endpoint picked = e;
    long start = time.nanoTime();
    boolean ok = false;
    try {
      T result = timeout == null ? Failsafe.none().get(() -> call.call(picked))
          : Failsafe.with(Timeout.<T>builder(timeout).withInterrupt().build()).get(() -> call.call(picked));
      ok = true;
      return result;
    } finally {
      lb.report(picked, ok, time.nanoTime() - start);
      if (cb != null) {
        if (ok) {
          cb.recordSuccess();
        } else {
          cb.recordFailure();
        }
      }
    }
  }

  private @Nullable CircuitBreaker<Object> breakerFor(Endpoint e) {
    if (breakerFailures == 0) {
      return null;
    }
    return breakers.computeIfAbsent(e.id(), id -> CircuitBreaker.builder()
        .withFailureThreshold(breakerFailures)
        .withDelay(breakerDelay)
        .build());
  }

  private static Throwable unwrap(Throwable t) {
    if (t instanceof FailsafeException && !(t instanceof TimeoutExceededException)
        && !(t instanceof CircuitBreakerOpenException) && t.getCause() != null) {
      return t.getCause();
    }
    return t;
  }

  /** Carries a failure that must not be retried out of the retry policy. */
  private static final class FinalFailure extends RuntimeException {
    private static final long serialVersionUID = 1L;

    FinalFailure(Throwable cause) {
      super(cause);
    }
  }

  /**
   * Configures a {@link BalancedExecutor}; defaults: 2 retries, Finagle's retry budget, no timeout, no
   * circuit breaker, every exception retried. Not thread-safe.
   */
  public static final class Builder {
    private final LoadBalancer lb;
    private TimeSource time;
    private int maxRetries = 2;
    private @Nullable RetryBudget budget;
    private @Nullable Duration timeout;
    private int breakerFailures;
    private @Nullable Duration breakerDelay;
    private Predicate<Throwable> retryOn = t -> true;

    private Builder(LoadBalancer lb) {
      this.lb = Objects.requireNonNull(lb, "lb");
      this.time = lb.timeSource();
    }

    /** The time source for latencies and the default budget's refill (default: the load balancer's). */
    public Builder timeSource(TimeSource time) {
      this.time = Objects.requireNonNull(time, "time");
      return this;
    }

    /**
     * Retries after a failed attempt, each on a new pick, at most {@code maxRetries} times.
     *
     * @throws IllegalArgumentException if negative
     */
    public Builder maxRetries(int maxRetries) {
      if (maxRetries < 0) {
        throw new IllegalArgumentException("maxRetries: " + maxRetries + ": must be >= 0");
      }
      this.maxRetries = maxRetries;
      return this;
    }

    /** The budget every retry draws on. */
    public Builder retryBudget(RetryBudget budget) {
      this.budget = Objects.requireNonNull(budget, "budget");
      return this;
    }

    /** Which failures are retried (default: all). */
    public Builder retryOn(Predicate<Throwable> retryOn) {
      this.retryOn = Objects.requireNonNull(retryOn, "retryOn");
      return this;
    }

    /**
     * Fails an attempt that takes longer than {@code timeout}, interrupting its thread.
     *
     * @throws IllegalArgumentException if not positive
     */
    public Builder timeout(Duration timeout) {
      Objects.requireNonNull(timeout, "timeout");
      if (timeout.isNegative() || timeout.isZero()) {
        throw new IllegalArgumentException("timeout: " + timeout + ": must be positive");
      }
      this.timeout = timeout;
      return this;
    }

    /**
     * A circuit breaker per endpoint that opens after {@code failures} failures in a row and half-opens
     * after {@code delay}; a pick whose breaker is open is exchanged for another.
     *
     * @throws IllegalArgumentException if {@code failures < 1} or the delay is negative
     */
    public Builder circuitBreaker(int failures, Duration delay) {
      Objects.requireNonNull(delay, "delay");
      if (failures < 1) {
        throw new IllegalArgumentException("circuitBreaker.failures: " + failures + ": must be >= 1");
      }
      if (delay.isNegative()) {
        throw new IllegalArgumentException("circuitBreaker.delay: " + delay + ": must be >= 0");
      }
      this.breakerFailures = failures;
      this.breakerDelay = delay;
      return this;
    }

    /** Builds the executor. */
    public BalancedExecutor build() {
      return new BalancedExecutor(this);
    }
  }
}
