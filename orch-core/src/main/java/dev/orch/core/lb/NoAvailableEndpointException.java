package dev.orch.core.lb;

import java.util.Objects;

/** Thrown by a pick when a service has no endpoint that may take traffic. */
public final class NoAvailableEndpointException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final String service;

  /** An exception for {@code service}, with a message that says why. */
  public NoAvailableEndpointException(String service, String message) {
    super(Objects.requireNonNull(service, "service") + ": no endpoint available: "
        + Objects.requireNonNull(message, "message"));
    this.service = service;
  }

  /** The service that had no endpoint. */
  public String service() {
    return service;
  }
}
