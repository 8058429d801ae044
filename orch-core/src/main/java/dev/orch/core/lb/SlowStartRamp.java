package dev.orch.core.lb;

import dev.orch.api.time.ScheduledTask;
import dev.orch.api.time.TimeSource;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * Applies one balancer's {@link SlowStart}: stamps when an endpoint turns ready after the balancer
 * started, scales its weight while it ramps, and keeps one timer that asks for a rebuild while any ramp
 * is running. Not thread-safe: every method must be called under the owning {@link PickStateWriter}'s
 * lock, which also guards {@link EndpointStats#slowStartSince}.
 */
final class SlowStartRamp {
  private final @Nullable SlowStart slowStart;
  private final boolean scales;
  private final TimeSource time;
  private final Runnable step;
  private @Nullable ScheduledTask tick;

  /**
   * A ramp by {@code slowStart} (null: none) for weights of {@code picker}; {@code step} runs on the
   * time source every tenth of the window while a ramp is running.
   */
  SlowStartRamp(@Nullable SlowStart slowStart, Picker picker, TimeSource time, Runnable step) {
    this.slowStart = slowStart;
    this.scales = slowStart != null && picker.honoursSlowStart();
    this.time = time;
    this.step = step;
  }

  /**
   * Notes endpoint {@code st}'s readiness in a new members snapshot: a ramp starts when it turns ready
   * after the first snapshot ({@code initialised}), and ends when it is not ready.
   */
  void onMember(EndpointStats st, boolean ready, boolean wasReady, boolean initialised, long nowNanos) {
    if (!ready) {
      st.slowStartSince = Long.MIN_VALUE;
    } else if (slowStart != null && initialised && !wasReady) {
      st.slowStartSince = nowNanos;
    }
  }

  /**
   * Scales {@code base}, the weights of {@code chosen} (index-aligned), in place by each endpoint's
   * ramp, and ends the ramps whose window has passed.
   *
   * @return whether any endpoint is still ramping
   */
  boolean scale(List<Endpoint> chosen, double[] base, Map<String, EndpointStats> stats, long nowNanos) {
    if (!scales) {
      return false;
    }
    boolean ramping = false;
    long window = slowStart.window().toNanos();
    for (int i = 0; i < base.length; i++) {
      EndpointStats st = stats.get(chosen.get(i).id());
      if (st.slowStartSince != Long.MIN_VALUE) {
        long elapsed = nowNanos - st.slowStartSince;
        if (elapsed >= window) {
          st.slowStartSince = Long.MIN_VALUE;
        } else {
          base[i] *= slowStart.factor(elapsed);
          ramping = true;
        }
      }
    }
    return ramping;
  }

  /** Schedules the next step unless one is pending; call after {@link #scale} found a ramp running. */
  void scheduleStep() {
    if (tick == null) {
      Duration d = slowStart.window().dividedBy(10);
      tick = time.schedule(d.isZero() ? Duration.ofNanos(1) : d, step);
    }
  }

  /** Notes that the pending step has run; call from the step before rebuilding. */
  void stepRan() {
    tick = null;
  }

  /** Cancels the pending step, if any. */
  void cancel() {
    if (tick != null) {
      tick.cancel();
      tick = null;
    }
  }
}
