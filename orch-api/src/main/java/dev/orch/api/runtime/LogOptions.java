package dev.orch.api.runtime;

import java.time.Instant;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * What to read of a container's log, as {@code docker logs} and {@code kubectl logs} take it: whether to follow
 * new lines, from when ({@code since}), how many of the last lines ({@code tail}, or all), with timestamps or not,
 * which of standard output and standard error; and, for a reader slower than the container, how many lines wait
 * for it ({@code bufferLines}) and what happens when they are that many ({@link Overflow}). Immutable and
 * thread-safe; {@link #defaults()} reads everything printed so far, without following.
 *
 * @param follow      whether the stream goes on with new lines until the container stops or the stream is closed
 * @param since       only lines printed at or after this instant; null for all (Docker's engine takes whole
 *                    seconds: a line of the same second before it may come too)
 * @param tail        only the last {@code tail} lines printed so far (then new ones when following); -1 for all
 * @param timestamps  whether lines carry when they were printed
 * @param stdout      whether standard output is read
 * @param stderr      whether standard error is read
 * @param bufferLines how many lines wait for a slow reader at most (1..1,000,000)
 * @param overflow    what a full buffer does
 */
public record LogOptions(boolean follow, @Nullable Instant since, int tail, boolean timestamps, boolean stdout,
                         boolean stderr, int bufferLines, Overflow overflow) {
  /** The default {@link #bufferLines()}. */
  public static final int DEFAULT_BUFFER_LINES = 1_000;
  /** The largest {@link #bufferLines()}. */
  public static final int MAX_BUFFER_LINES = 1_000_000;

  /** What a stream does when a reader falls {@code bufferLines} behind. */
  public enum Overflow {
    /**
     * The source waits for the reader: nothing is lost while the source still has the lines (Docker: the engine's
     * stream waits; in memory: the container's log keeps its last lines, and those it no longer keeps are counted
     * as dropped).
     */
    PAUSE,
    /** The oldest waiting lines are dropped, and counted ({@link LogStream#dropped()}); the source never waits. */
    DROP_OLDEST
  }

  /**
   * Creates options.
   *
   * @throws IllegalArgumentException naming the field, the value and the rule, if {@code tail} is below -1,
   *                                  {@code bufferLines} is outside 1..1,000,000, or neither stream is read
   */
  public LogOptions {
    Objects.requireNonNull(overflow, "overflow");
    if (tail < -1) {
      throw new IllegalArgumentException("tail: " + tail + ": must be -1 (all) or >= 0");
    }
    if (bufferLines < 1 || bufferLines > MAX_BUFFER_LINES) {
      throw new IllegalArgumentException("bufferLines: " + bufferLines + ": must be in 1.." + MAX_BUFFER_LINES);
    }
    if (!stdout && !stderr) {
      throw new IllegalArgumentException("stdout, stderr: both false: at least one must be read");
    }
  }

  /** Every line printed so far, both streams, no timestamps, not following. */
  public static LogOptions defaults() {
    return new LogOptions(false, null, -1, false, true, true, DEFAULT_BUFFER_LINES, Overflow.PAUSE);
  }

  /** These options, following new lines. */
  public LogOptions following() {
    return new LogOptions(true, since, tail, timestamps, stdout, stderr, bufferLines, overflow);
  }

  /** These options with the last {@code lines} lines only (-1 for all). */
  public LogOptions withTail(int lines) {
    return new LogOptions(follow, since, lines, timestamps, stdout, stderr, bufferLines, overflow);
  }

  /** These options with lines printed at or after {@code instant} only (null for all). */
  public LogOptions withSince(@Nullable Instant instant) {
    return new LogOptions(follow, instant, tail, timestamps, stdout, stderr, bufferLines, overflow);
  }

  /** These options with timestamps on the lines, or not. */
  public LogOptions withTimestamps(boolean on) {
    return new LogOptions(follow, since, tail, on, stdout, stderr, bufferLines, overflow);
  }

  /** These options reading standard output and standard error as given. */
  public LogOptions withStreams(boolean out, boolean err) {
    return new LogOptions(follow, since, tail, timestamps, out, err, bufferLines, overflow);
  }

  /** These options with at most {@code lines} lines waiting for the reader, and {@code policy} past that. */
  public LogOptions withBuffer(int lines, Overflow policy) {
    return new LogOptions(follow, since, tail, timestamps, stdout, stderr, lines, policy);
  }

  /** Whether lines of {@code source} are read. */
  public boolean reads(LogLine.Source source) {
    return source == LogLine.Source.STDOUT ? stdout : stderr;
  }
}
