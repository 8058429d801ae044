package dev.orch.api.runtime;

import org.jspecify.annotations.Nullable;

/** No container has the given id (it was removed, or never existed). */
public class NoSuchContainerException extends ContainerRuntimeException {
  private static final long serialVersionUID = 1L;

  /** Creates the exception with a message. */
  public NoSuchContainerException(String message) {
    super(message);
  }

  /** Creates the exception with a message and a cause. */
  public NoSuchContainerException(String message, @Nullable Throwable cause) {
    super(message, cause);
  }
}
