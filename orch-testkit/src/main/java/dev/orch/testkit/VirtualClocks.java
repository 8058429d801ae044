package dev.orch.testkit;

import dev.orch.api.time.VirtualTimeSource;
import java.time.Duration;
import java.util.Objects;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * Waits on virtual time: advance the clock step by step until a condition holds or a bound passes, the
 * virtual-time counterpart of {@code Orchestrator.awaitReady} and Awaitility. Stateless; call it from the
 * thread that drives the clock.
 *
 * <pre>{@code
 * VirtualClocks.advanceUntil(time, () -> orch.status("web").orElseThrow().isReady(), Duration.ofSeconds(30),
 *     () -> "web not ready: " + orch.status("web"));
 * }</pre>
 */
public final class VirtualClocks {
  /** The step {@link #advanceUntil(VirtualTimeSource, BooleanSupplier, Duration, Supplier)} advances by. */
  public static final Duration STEP = Duration.ofMillis(100);

  private VirtualClocks() {
  }

  /**
   * Advances {@code time} by {@code step} at a time until {@code condition} holds (tested before each step)
   * or {@code bound} of virtual time has passed.
   *
   * @return whether it held in time
   * @throws IllegalArgumentException when {@code step} or {@code bound} is not positive
   */
  public static boolean advanceUntil(VirtualTimeSource time, BooleanSupplier condition, Duration step,
                                     Duration bound) {
    Objects.requireNonNull(time, "time");
    Objects.requireNonNull(condition, "condition");
    requirePositive("step", step);
    requirePositive("bound", bound);
    Duration passed = Duration.ZERO;
    while (!condition.getAsBoolean()) {
      if (passed.compareTo(bound) >= 0) {
        return false;
      }
      Duration next = step.compareTo(bound.minus(passed)) <= 0 ? step : bound.minus(passed);
      time.advance(next);
      passed = passed.plus(next);
    }
    return true;
  }

  /**
   * Advances {@code time} by {@link #STEP} at a time until {@code condition} holds, failing with an
   * {@link AssertionError} that says {@code state} when it has not held within {@code bound} of virtual time.
   */
  public static void advanceUntil(VirtualTimeSource time, BooleanSupplier condition, Duration bound,
                                  Supplier<String> state) {
    Objects.requireNonNull(state, "state");
    if (!advanceUntil(time, condition, STEP, bound)) {
      throw new AssertionError("not reached within " + bound + " of virtual time: " + state.get());
    }
  }

  private static void requirePositive(String field, Duration d) {
    Objects.requireNonNull(d, field);
    if (d.isZero() || d.isNegative()) {
      throw new IllegalArgumentException(field + ": " + d + ": must be positive");
    }
  }
}
