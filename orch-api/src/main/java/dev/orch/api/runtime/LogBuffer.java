package dev.orch.api.runtime;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Objects;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import org.jspecify.annotations.Nullable;

/**
 * A {@link LogStream} that a runtime feeds from its own thread: at most {@link LogOptions#bufferLines()} lines
 * wait for the reader; when that many wait, {@link #offer} waits for the reader ({@link LogOptions.Overflow#PAUSE},
 * so a runtime that reads its source on the same thread stops reading it: backpressure) or drops the oldest line
 * waiting ({@link LogOptions.Overflow#DROP_OLDEST}, counted). For runtime implementations; thread-safe: one
 * producer and one reader at a time, {@link #close()} from any thread.
 *
 * <pre>{@code
 * LogBuffer buffer = new LogBuffer(options, () -> source.cancel());
 * // on the runtime's thread, for each line read:  if (!buffer.offer(line)) { stop reading; }
 * // at the end of the source:                     buffer.end(null);
 * return buffer;
 * }</pre>
 */
public final class LogBuffer implements LogStream {
  private final int capacity;
  private final LogOptions.Overflow overflow;
  private final Runnable onClose;
  private final ReentrantLock lock = new ReentrantLock();
  private final Condition readable = lock.newCondition();
  private final Condition writable = lock.newCondition();
  private final ArrayDeque<LogLine> lines = new ArrayDeque<>();
  private long dropped;
  private boolean ended;
  private boolean closed;
  private @Nullable Throwable failure;

  /**
   * A buffer sized and behaving as {@code options} say; {@code onClose} runs once when the reader closes it (to
   * stop reading the source).
   */
  public LogBuffer(LogOptions options, Runnable onClose) {
    Objects.requireNonNull(options, "options");
    this.capacity = options.bufferLines();
    this.overflow = options.overflow();
    this.onClose = Objects.requireNonNull(onClose, "onClose");
  }

  /** A stream that has ended with {@code error} before any line: what a runtime returns for a container it lacks. */
  public static LogBuffer failed(LogOptions options, Throwable error) {
    LogBuffer b = new LogBuffer(options, () -> { });
    b.end(Objects.requireNonNull(error, "error"));
    return b;
  }

  /**
   * Hands the reader {@code line}: at once, or once there is room ({@code PAUSE}), or in place of the oldest line
   * waiting ({@code DROP_OLDEST}).
   *
   * @return false if the stream is closed or ended (stop reading the source), true otherwise
   * @throws InterruptedException if interrupted while waiting for room
   */
  public boolean offer(LogLine line) throws InterruptedException {
    Objects.requireNonNull(line, "line");
    lock.lockInterruptibly();
    try {
      while (!closed && !ended && lines.size() >= capacity) {
        if (overflow == LogOptions.Overflow.DROP_OLDEST) {
          lines.pollFirst();
          dropped++;
        } else {
          writable.await();
        }
      }
      if (closed || ended) {
        return false;
      }
      lines.addLast(line);
      readable.signal();
      return true;
    } finally {
      lock.unlock();
    }
  }

  /** Counts {@code n} lines the source lost before they reached this buffer (a rotated log under a slow reader). */
  public void lost(long n) {
    if (n < 0) {
      throw new IllegalArgumentException("n: " + n + ": must be >= 0");
    }
    lock.lock();
    try {
      dropped += n;
    } finally {
      lock.unlock();
    }
  }

  /** No line will come after those offered: the source ended, or failed with {@code error} (null if it did not). */
  public void end(@Nullable Throwable error) {
    lock.lock();
    try {
      if (!ended) {
        ended = true;
        failure = error;
        readable.signalAll();
        writable.signalAll();
      }
    } finally {
      lock.unlock();
    }
  }

  @Override
  public @Nullable LogLine poll(Duration timeout) throws InterruptedException {
    long nanos = Objects.requireNonNull(timeout, "timeout").toNanos();
    lock.lockInterruptibly();
    try {
      while (lines.isEmpty() && !ended && !closed) {
        if (nanos <= 0) {
          return null;
        }
        nanos = readable.awaitNanos(nanos);
      }
      LogLine line = lines.pollFirst();
      if (line != null) {
        writable.signal();
      }
      return line;
    } finally {
      lock.unlock();
    }
  }

  @Override
  public boolean isEnded() {
    lock.lock();
    try {
      return closed || ended && lines.isEmpty();
    } finally {
      lock.unlock();
    }
  }

  @Override
  public long dropped() {
    lock.lock();
    try {
      return dropped;
    } finally {
      lock.unlock();
    }
  }

  @Override
  public @Nullable Throwable failure() {
    lock.lock();
    try {
      return failure;
    } finally {
      lock.unlock();
    }
  }

  /** Lines waiting for the reader now (never more than {@link LogOptions#bufferLines()}). */
  public int waiting() {
    lock.lock();
    try {
      return lines.size();
    } finally {
      lock.unlock();
    }
  }

  @Override
  public void close() {
    boolean first;
    lock.lock();
    try {
      first = !closed;
      closed = true;
      lines.clear();
      readable.signalAll();
      writable.signalAll();
    } finally {
      lock.unlock();
    }
    if (first) {
      onClose.run();
    }
  }

  @Override
  public String toString() {
    return "LogBuffer[" + waiting() + "/" + capacity + " waiting, " + dropped() + " dropped, " + overflow + "]";
  }
}
