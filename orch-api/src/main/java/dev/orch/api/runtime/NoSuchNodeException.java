package dev.orch.api.runtime;

import org.jspecify.annotations.Nullable;

/** No node has the given id. */
public class NoSuchNodeException extends ContainerRuntimeException {
  private static final long serialVersionUID = 1L;

  /** Creates the exception with a message. */
  public NoSuchNodeException(String message) {
    super(message);
  }

  /** Creates the exception with a message and a cause. */
  public NoSuchNodeException(String message, @Nullable Throwable cause) {
    super(message, cause);
  }
}
