package dev.orch.inmemory;

import java.time.Duration;
import java.util.Objects;

/**
 * A simulated container's answer to a {@link SimRequest}. Immutable and thread-safe.
 *
 * @param status  the HTTP status
 * @param body    the body
 * @param latency how long the answer takes, on the runtime's time source
 */
public record SimResponse(int status, String body, Duration latency) {
  /** Creates a response. */
  public SimResponse {
    Objects.requireNonNull(body, "body");
    Objects.requireNonNull(latency, "latency");
    if (latency.isNegative()) {
      throw new IllegalArgumentException("latency: " + latency + ": must be >= 0");
    }
  }

  /** 200 with {@code body}, at once. */
  public static SimResponse ok(String body) {
    return new SimResponse(200, body, Duration.ZERO);
  }

  /** This response, taking {@code latency}. */
  public SimResponse after(Duration latency) {
    return new SimResponse(status, body, latency);
  }

  /** Whether the status is 2xx or 3xx. */
  public boolean isSuccess() {
    return status >= 200 && status < 400;
  }
}
