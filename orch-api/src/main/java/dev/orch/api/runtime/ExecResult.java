package dev.orch.api.runtime;

import java.util.Objects;

/**
 * The outcome of a command run in a container. Immutable and thread-safe.
 *
 * @param exitCode the command's exit code; 0 is success
 * @param stdout   what it printed on standard output
 * @param stderr   what it printed on standard error
 */
public record ExecResult(int exitCode, String stdout, String stderr) {
  /** Creates a result. */
  public ExecResult {
    Objects.requireNonNull(stdout, "stdout");
    Objects.requireNonNull(stderr, "stderr");
  }
}
