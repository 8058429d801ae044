package dev.orch.api.runtime;

import org.jspecify.annotations.Nullable;

/**
 * The base of the errors a {@link ContainerRuntime} reports. Messages say what was asked, of which node,
 * and what came back: {@code node-3: create orders-2 failed: engine did not answer in 5s}.
 */
public class ContainerRuntimeException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /** Creates the exception with a message. */
  public ContainerRuntimeException(String message) {
    super(message);
  }

  /** Creates the exception with a message and a cause. */
  public ContainerRuntimeException(String message, @Nullable Throwable cause) {
    super(message, cause);
  }
}
