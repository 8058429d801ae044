package dev.orch.api.runtime;

import java.time.Instant;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * One line a container printed. Immutable and thread-safe.
 *
 * @param containerId the container that printed it
 * @param source      whether it went to standard output or standard error
 * @param timestamp   when it was printed, as the runtime recorded it; null unless asked for
 *                    ({@link LogOptions#timestamps()}) or unknown
 * @param text        the line, without its line break
 */
public record LogLine(String containerId, Source source, @Nullable Instant timestamp, String text) {
  /** Where a line went. */
  public enum Source {
    /** Standard output. */
    STDOUT,
    /** Standard error. */
    STDERR
  }

  /** Creates a line. */
  public LogLine {
    Objects.requireNonNull(containerId, "containerId");
    Objects.requireNonNull(source, "source");
    Objects.requireNonNull(text, "text");
  }
}
