package dev.orch.inmemory;

import dev.orch.api.runtime.LogLine;
import dev.orch.api.runtime.LogOptions;
import dev.orch.api.runtime.LogStream;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * A simulated container's log: its last {@value #MAX_LINES} lines, each numbered, as a log file that rotates.
 * Readers ({@link #open}) are cursors over it, so a slow reader holds no line of its own and never makes the
 * writer wait; the lines it falls behind the kept ones by are counted as dropped. Thread-safe (its own monitor,
 * taken after the cluster's lock, never before it).
 */
final class SimLog {
  static final int MAX_LINES = 1000;

  private record Entry(long seq, LogLine.Source source, Instant at, String text) {
  }

  private final String containerId;
  /** Line {@code seq} at {@code ring[seq % MAX_LINES]}, for the last {@value #MAX_LINES} of them. */
  private final Entry[] ring = new Entry[MAX_LINES];
  private long next;
  /** How many times the container stopped (or was removed): a following reader ends at the next one. */
  private long stops;
  private boolean removed;
  private boolean running;

  SimLog(String containerId) {
    this.containerId = containerId;
  }

  synchronized void append(LogLine.Source source, Instant at, String text) {
    ring[(int) (next % MAX_LINES)] = new Entry(next, source, at, text);
    next++;
    notifyAll();
  }

  /** The number of the oldest line kept. */
  private long oldest() {
    return Math.max(0, next - MAX_LINES);
  }

  private Entry at(long seq) {
    return ring[(int) (seq % MAX_LINES)];
  }

  synchronized void started() {
    running = true;
  }

  synchronized void stopped() {
    running = false;
    stops++;
    notifyAll();
  }

  synchronized void removed() {
    running = false;
    removed = true;
    stops++;
    notifyAll();
  }

  /** The texts of the last {@code lines} lines kept, oldest first. */
  synchronized List<String> tail(int lines) {
    long from = Math.max(oldest(), next - Math.max(0, lines));
    List<String> out = new ArrayList<>((int) (next - from));
    for (long seq = from; seq < next; seq++) {
      out.add(at(seq).text());
    }
    return out;
  }

  /** A reader of this log as {@code options} say. */
  synchronized LogStream open(LogOptions options) {
    long from = next;
    int tail = options.tail() < 0 ? Integer.MAX_VALUE : options.tail();
    int counted = 0;
    for (long seq = next - 1; seq >= oldest() && counted < tail; seq--) {
      Entry e = at(seq);
      if (options.since() != null && e.at().isBefore(options.since())) {
        break;
      }
      if (options.reads(e.source())) {
        from = seq;
        counted++;
      }
    }
    long end = options.follow() && running && !removed ? Long.MAX_VALUE : next;
    return new Reader(options, from, end, stops);
  }

  /** A cursor over the log. */
  private final class Reader implements LogStream {
    private final LogOptions options;
    private final long end;
    private final long stopsAtOpen;
    private long cursor;
    private long dropped;
    private boolean closed;

    Reader(LogOptions options, long from, long end, long stopsAtOpen) {
      this.options = options;
      this.cursor = from;
      this.end = end;
      this.stopsAtOpen = stopsAtOpen;
    }

    @Override
    public @Nullable LogLine poll(Duration timeout) throws InterruptedException {
      long deadline = System.nanoTime() + Objects.requireNonNull(timeout, "timeout").toNanos();
      synchronized (SimLog.this) {
        while (true) {
          if (closed) {
            return null;
          }
          Entry e = nextEntry();
          if (e != null) {
            return new LogLine(containerId, e.source(), options.timestamps() ? e.at() : null, e.text());
          }
          if (endReached()) {
            return null;
          }
          long left = deadline - System.nanoTime();
          if (left <= 0) {
            return null;
          }
          SimLog.this.wait(Math.max(1, left / 1_000_000));
        }
      }
    }

    /** The next line for this reader at its cursor, skipping (and counting) what is no longer kept. */
    private @Nullable Entry nextEntry() {
      if (cursor < oldest()) {
        dropped += oldest() - cursor; // rotated away under a slow reader
        cursor = oldest();
      }
      if (options.overflow() == LogOptions.Overflow.DROP_OLDEST && next - cursor > options.bufferLines()) {
        dropped += next - cursor - options.bufferLines();
        cursor = next - options.bufferLines();
      }
      while (cursor < next && cursor < end) {
        Entry e = at(cursor++);
        if (options.reads(e.source())) {
          return e;
        }
      }
      return null;
    }

    private boolean endReached() {
      return cursor >= end || cursor >= next && (removed || stops > stopsAtOpen);
    }

    @Override
    public boolean isEnded() {
      synchronized (SimLog.this) {
        return closed || (cursor >= end || cursor >= next) && (end != Long.MAX_VALUE || removed
            || stops > stopsAtOpen);
      }
    }

    @Override
    public long dropped() {
      synchronized (SimLog.this) {
        return dropped;
      }
    }

    @Override
    public void close() {
      synchronized (SimLog.this) {
        closed = true;
        SimLog.this.notifyAll();
      }
    }

    @Override
    public String toString() {
      return "SimLog.Reader[" + containerId + " at " + cursor + ", " + dropped() + " dropped]";
    }
  }
}
