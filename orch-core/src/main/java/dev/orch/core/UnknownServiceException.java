package dev.orch.core;

import java.util.Objects;

/** Thrown when an operation names a service that was never applied (or was deleted). */
public final class UnknownServiceException extends IllegalArgumentException {
  private static final long serialVersionUID = 1L;

  /** Creates the exception for {@code service}, asked for by {@code operation}. */
  public UnknownServiceException(String operation, String service) {
    super(Objects.requireNonNull(operation, "operation") + " " + Objects.requireNonNull(service, "service")
        + ": no such service; apply it first");
  }
}
