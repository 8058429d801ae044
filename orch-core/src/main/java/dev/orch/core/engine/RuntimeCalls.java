package dev.orch.core.engine;

import dev.failsafe.Failsafe;
import dev.failsafe.FailsafeExecutor;
import dev.failsafe.RetryPolicy;
import dev.orch.api.runtime.RuntimeUnavailableException;
import dev.orch.api.time.ScheduledTask;
import dev.orch.api.time.TimeSource;
import dev.orch.core.util.Failures;
import dev.orch.core.util.LogContext;
import dev.orch.core.util.TimeSourceScheduler;
import io.micrometer.core.instrument.Counter;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;

/**
 * Runs runtime calls with Failsafe: a call that fails because the runtime or its node did not answer is
 * retried with exponential backoff (100 ms doubling to 2 s, 3 retries), on the orchestrator's time source;
 * other failures (unknown container, conflict) are not retried. Every retry is counted. Once the engine
 * is closed, a call fails at once. Thread-safe.
 */
final class RuntimeCalls {
  private final FailsafeExecutor<Object> executor;
  private final TimeSource time;
  private final Duration callTimeout;
  private final BooleanSupplier closed;
  private final Traces traces;
  /** The leadership the calls are made under: each ends within its lease, none starts once it ended. */
  private final dev.orch.api.state.LeaderElection.@Nullable Term term;
  /** A standby's engine: it calls nothing. */
  private final boolean standby;

  RuntimeCalls(TimeSource time, Duration callTimeout, Counter retries, BooleanSupplier closed, Traces traces,
               dev.orch.api.state.LeaderElection.@Nullable Term term, boolean standby) {
    this.standby = standby;
    this.traces = traces;
    this.term = term;
    this.time = time;
    this.callTimeout = callTimeout;
    this.closed = closed;
    RetryPolicy<Object> retry = RetryPolicy.builder()
        .handleIf(e -> Failures.rootCause(e) instanceof RuntimeUnavailableException)
        .withBackoff(Duration.ofMillis(100), Duration.ofSeconds(2))
        .withMaxRetries(3)
        .onRetry(e -> retries.increment())
        .build();
    this.executor = Failsafe.with(retry).with(new TimeSourceScheduler(time));
  }

  /** Runs {@code call} (named {@code what} on {@code node} for errors) with retries and the call timeout. */
  <T> CompletionStage<T> call(String node, String what, Supplier<CompletionStage<T>> call) {
    return call(node, what, Duration.ZERO, call);
  }

  /**
   * Runs {@code call} with retries; an attempt that has not answered within {@code extra} plus the call
   * timeout fails with {@link RuntimeUnavailableException} (and is retried), so no call can hang forever.
   */
  @SuppressWarnings("unchecked")
  <T> CompletionStage<T> call(String node, String what, Duration extra, Supplier<CompletionStage<T>> call) {
    if (closed.getAsBoolean()) {
      return CompletableFuture.failedFuture(new IllegalStateException(what + ": the orchestrator is closed"));
    }
    Duration limit = callTimeout.plus(extra);
    LogContext context = LogContext.capture();
    return inContext(context, traces.call(node, what, () -> (CompletionStage<T>) executor.getStageAsync(() ->
        (CompletionStage<Object>) underTerm(node, what, limit, call))));
  }

  /**
   * Runs {@code call} once, with the call timeout: for a call decided from what the pass saw, which a later
   * pass must decide again rather than a retry repeat once things changed (a stateful replica's create, which
   * OrderedReady allows only while the ordinals below it are ready).
   */
  <T> CompletionStage<T> callOnce(String node, String what, Supplier<CompletionStage<T>> call) {
    return callOnce(node, what, callTimeout, call);
  }

  /** {@link #callOnce(String, String, Supplier)} bounded by {@code limit} instead of the call timeout. */
  <T> CompletionStage<T> callOnce(String node, String what, Duration limit, Supplier<CompletionStage<T>> call) {
    if (closed.getAsBoolean()) {
      return CompletableFuture.failedFuture(new IllegalStateException(what + ": the orchestrator is closed"));
    }
    LogContext context = LogContext.capture();
    return inContext(context, traces.call(node, what, () -> {
      try {
        return underTerm(node, what, limit, call);
      } catch (RuntimeException e) { // a runtime that throws instead of failing its stage
        return CompletableFuture.failedFuture(e);
      }
    }));
  }

  /**
   * One attempt of {@code call}, bounded by {@code limit} and, under a term, by what is left of its lease; not made
   * at all once the term ended (the orchestrator no longer leads).
   */
  private <T> CompletionStage<T> underTerm(String node, String what, Duration limit, Supplier<CompletionStage<T>> call) {
    if (standby) {
      return CompletableFuture.failedFuture(new IllegalStateException(node + ": " + what + ": not made: this"
          + " orchestrator is a standby"));
    }
    Duration bound = limit;
    if (term != null) {
      Duration left = term.remaining();
      if (left.isZero()) {
        return CompletableFuture.failedFuture(new IllegalStateException(node + ": " + what + ": not made: the"
            + " leadership of " + term + " ended"));
      }
      bound = left.compareTo(limit) < 0 ? left : limit;
    }
    return within(call.get(), bound, node, what);
  }

  /**
   * {@code stage}, whose dependents run with {@code context} in the MDC (the service and replica of the pass that
   * made the call), on whatever thread completes it; {@code stage} itself when there is no context.
   */
  private static <T> CompletionStage<T> inContext(@Nullable LogContext context, CompletionStage<T> stage) {
    if (context == null) {
      return stage;
    }
    CompletableFuture<T> out = new CompletableFuture<>();
    stage.whenComplete((v, e) -> {
      try (LogContext previous = context.resume()) {
        if (e != null) {
          out.completeExceptionally(e); // as the stage failed: its dependents see what they saw before
        } else {
          out.complete(v);
        }
      }
    });
    return out;
  }

  private <T> CompletionStage<T> within(CompletionStage<T> stage, Duration limit, String node, String what) {
    return within(time, stage, limit, node, what);
  }

  /**
   * {@code stage}, or a failure with {@link RuntimeUnavailableException} once {@code limit} has passed on
   * {@code time} without an answer (virtual time in tests, as every other wait of the engine).
   */
  static <T> CompletionStage<T> within(TimeSource time, CompletionStage<T> stage, Duration limit, String node,
                                       String what) {
    CompletableFuture<T> out = new CompletableFuture<>();
    ScheduledTask timer = time.schedule(limit, () -> out.completeExceptionally(new RuntimeUnavailableException(
        node + ": " + what + " failed: the runtime did not answer in " + limit.toMillis() + "ms")));
    stage.whenComplete((v, e) -> {
      timer.cancel();
      if (e != null) {
        out.completeExceptionally(e);
      } else {
        out.complete(v);
      }
    });
    return out;
  }
}
