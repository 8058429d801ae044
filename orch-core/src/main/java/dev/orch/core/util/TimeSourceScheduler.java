package dev.orch.core.util;

import dev.failsafe.spi.Scheduler;
import dev.orch.api.time.ScheduledTask;
import dev.orch.api.time.TimeSource;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Delayed;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.jspecify.annotations.Nullable;

/** Runs Failsafe's delays on Orch's time source, so retries follow virtual time in tests. */
public final class TimeSourceScheduler implements Scheduler {
  private final TimeSource time;

  /** A scheduler over {@code time}. */
  public TimeSourceScheduler(TimeSource time) {
    this.time = Objects.requireNonNull(time, "time");
  }

  @Override
  public ScheduledFuture<?> schedule(Callable<?> callable, long delay, TimeUnit unit) {
    Objects.requireNonNull(callable, "callable");
    Objects.requireNonNull(unit, "unit");
    CompletableFuture<@Nullable Object> result = new CompletableFuture<>();
    long dueNanos = time.nanoTime() + unit.toNanos(delay);
    ScheduledTask task = time.schedule(Duration.ofNanos(unit.toNanos(delay)), () -> {
      if (result.isDone()) {
        return;
      }
      try {
        result.complete(callable.call());
      } catch (Exception e) {
        result.completeExceptionally(e);
      }
    });
    return new ScheduledFuture<@Nullable Object>() {
      @Override
      public long getDelay(TimeUnit u) {
        return u.convert(dueNanos - time.nanoTime(), TimeUnit.NANOSECONDS);
      }

      @Override
      public int compareTo(Delayed o) {
        return Long.compare(getDelay(TimeUnit.NANOSECONDS), o.getDelay(TimeUnit.NANOSECONDS));
      }

      @Override
      public boolean cancel(boolean mayInterruptIfRunning) {
        task.cancel();
        return result.cancel(mayInterruptIfRunning);
      }

      @Override
      public boolean isCancelled() {
        return result.isCancelled();
      }

      @Override
      public boolean isDone() {
        return result.isDone();
      }

      @Override
      public @Nullable Object get() throws InterruptedException, ExecutionException {
        return result.get();
      }

      @Override
      public @Nullable Object get(long timeout, TimeUnit u) throws InterruptedException, ExecutionException,
          TimeoutException {
        return result.get(timeout, u);
      }
    };
  }
}
