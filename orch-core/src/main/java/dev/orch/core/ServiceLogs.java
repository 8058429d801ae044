package dev.orch.core;

import dev.orch.api.runtime.LogLine;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * The merged log of every replica of a service ({@code orch.logs(service, options)}), each line with the replica
 * that printed it, as {@code kubectl logs -l app=x --prefix -f} or stern give it. Following, it follows the
 * service: a replica that appears joins (from its first line), one that stops or is removed ends once its lines
 * are read. The reader pulls; each replica's lines wait in that replica's bounded stream, so memory is bounded by
 * the replicas followed times {@code bufferLines}, and a slow reader makes each stream pause or drop as its
 * options say ({@link #dropped()} counts). Safe for one reader thread; {@link #close()} from any thread.
 */
public interface ServiceLogs extends AutoCloseable {
  /**
   * One line of the merged log.
   *
   * @param replica the replica (its container's name) that printed it
   * @param line    the line
   */
  record Line(String replica, LogLine line) {
    /** Creates a line. */
    public Line {
      Objects.requireNonNull(replica, "replica");
      Objects.requireNonNull(line, "line");
    }

    /** {@code replica | text}, as a prefixed log reads. */
    @Override
    public String toString() {
      return replica + " | " + line.text();
    }
  }

  /**
   * The next line of any replica, waiting up to {@code timeout}; null if none came in that time or the merged log
   * has ended. Replicas take turns, so a chatty one does not starve the others.
   *
   * @throws InterruptedException if interrupted while waiting
   */
  @Nullable Line poll(Duration timeout) throws InterruptedException;

  /** The replicas whose streams are open now. */
  Set<String> following();

  /** Lines lost to a slow reader so far, by replica (only replicas that lost some). */
  Map<String, Long> dropped();

  /**
   * Why replicas' streams failed (the runtime could not read on), by replica: such a replica is followed again
   * once its container runs again.
   */
  Map<String, String> failures();

  /** Whether no line will come any more: not following and every replica's log read, or closed. */
  boolean isEnded();

  /** Closes every replica's stream. Idempotent. */
  @Override
  void close();
}
