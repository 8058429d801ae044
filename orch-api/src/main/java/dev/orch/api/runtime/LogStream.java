package dev.orch.api.runtime;

import java.time.Duration;
import org.jspecify.annotations.Nullable;

/**
 * Lines of a container's log as the reader takes them ({@link ContainerRuntime#streamLogs}): the reader pulls, so
 * it sets the pace; lines waiting for it are bounded by {@link LogOptions#bufferLines()}, and past that the source
 * waits or the oldest lines are dropped ({@link LogOptions#overflow()}), which {@link #dropped()} counts. Memory
 * never grows with how far the reader falls behind. Safe for one reader thread; {@link #close()} from any thread.
 */
public interface LogStream extends AutoCloseable {
  /**
   * The next line, waiting up to {@code timeout} for one; null if none came in that time or the stream has ended.
   *
   * @throws InterruptedException if interrupted while waiting
   */
  @Nullable LogLine poll(Duration timeout) throws InterruptedException;

  /**
   * Whether no line will come any more and none waits: the log was read to its end without following, the
   * container stopped or was removed while following, the stream failed ({@link #failure()}), or it was closed.
   */
  boolean isEnded();

  /** Lines lost to a slow reader so far: dropped from a full buffer, or no longer kept by the source. */
  long dropped();

  /** Why the stream ended early (the runtime could not read on), or null. */
  default @Nullable Throwable failure() {
    return null;
  }

  /** Stops reading; lines still waiting are discarded. Idempotent. */
  @Override
  void close();
}
