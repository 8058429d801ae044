package dev.orch.api.runtime;

import java.util.Objects;

/**
 * The outcome of one probe. Immutable and thread-safe.
 *
 * @param success whether the probe passed
 * @param message what was observed, in words ({@code "HTTP 503"}, {@code "connection refused"})
 */
public record ProbeResult(boolean success, String message) {
  private static final ProbeResult OK = new ProbeResult(true, "ok");

  /** Creates a result. */
  public ProbeResult {
    Objects.requireNonNull(message, "message");
  }

  /** A passing result. */
  public static ProbeResult passed() {
    return OK;
  }

  /** A failing result, saying why. */
  public static ProbeResult failed(String message) {
    return new ProbeResult(false, message);
  }
}
