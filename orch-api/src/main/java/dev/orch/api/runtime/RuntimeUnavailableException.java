package dev.orch.api.runtime;

import org.jspecify.annotations.Nullable;

/** The runtime, or one of its nodes, did not answer or refused the call; retrying later may succeed. */
public class RuntimeUnavailableException extends ContainerRuntimeException {
  private static final long serialVersionUID = 1L;

  /** Creates the exception with a message. */
  public RuntimeUnavailableException(String message) {
    super(message);
  }

  /** Creates the exception with a message and a cause. */
  public RuntimeUnavailableException(String message, @Nullable Throwable cause) {
    super(message, cause);
  }
}
