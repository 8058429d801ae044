package dev.orch.api.time;

import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;

/** Real time: the system clock and one daemon timer thread. */
final class SystemTimeSource implements TimeSource {
  // orch-api depends on the JDK alone, so a failing task is reported through java.util.logging.
  private static final Logger LOG = Logger.getLogger(SystemTimeSource.class.getName());

  private final ScheduledThreadPoolExecutor timer;

  SystemTimeSource(String threadName) {
    timer = new ScheduledThreadPoolExecutor(1, r -> {
      Thread t = new Thread(r, threadName);
      t.setDaemon(true);
      return t;
    });
    timer.setRemoveOnCancelPolicy(true);
  }

  @Override
  public Instant now() {
    return Instant.now();
  }

  @Override
  public long nanoTime() {
    return System.nanoTime();
  }

  @Override
  public ScheduledTask schedule(Duration delay, Runnable task) {
    long nanos = Math.max(0, delay.toNanos());
    ScheduledFuture<?> f = timer.schedule(() -> {
      try {
        task.run();
      } catch (RuntimeException | Error e) {
        LOG.log(Level.WARNING, "scheduled task failed", e);
      }
    }, nanos, TimeUnit.NANOSECONDS);
    return new ScheduledTask() {
      @Override
      public void cancel() {
        f.cancel(false);
      }

      @Override
      public boolean isCancelled() {
        return f.isCancelled();
      }
    };
  }

  @Override
  public void close() {
    timer.shutdownNow();
  }
}
