package dev.orch.api.runtime;

import org.jspecify.annotations.Nullable;

/** The node exists but is not ready: it cannot create or start containers now. */
public class NodeNotReadyException extends ContainerRuntimeException {
  private static final long serialVersionUID = 1L;

  /** Creates the exception with a message. */
  public NodeNotReadyException(String message) {
    super(message);
  }

  /** Creates the exception with a message and a cause. */
  public NodeNotReadyException(String message, @Nullable Throwable cause) {
    super(message, cause);
  }
}
