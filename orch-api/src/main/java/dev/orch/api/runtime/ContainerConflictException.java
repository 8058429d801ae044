package dev.orch.api.runtime;

import org.jspecify.annotations.Nullable;

/**
 * The call conflicts with the container's state or another object: a name or host port already in use,
 * starting a removed container. A refusal of the request ({@link RequestRefusedException}), never a fault of
 * the node; a name in use is a {@link NameInUseException}.
 */
public class ContainerConflictException extends RequestRefusedException {
  private static final long serialVersionUID = 1L;

  /** Creates the exception with a message. */
  public ContainerConflictException(String message) {
    super(message);
  }

  /** Creates the exception with a message and a cause. */
  public ContainerConflictException(String message, @Nullable Throwable cause) {
    super(message, cause);
  }
}
