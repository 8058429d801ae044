package dev.orch.api.runtime;

/** The call conflicts with the container's state or another object: a name already in use, starting a removed container. */
public class ContainerConflictException extends ContainerRuntimeException {
  private static final long serialVersionUID = 1L;

  /** Creates the exception with a message. */
  public ContainerConflictException(String message) {
    super(message);
  }

  /** Creates the exception with a message and a cause. */
  public ContainerConflictException(String message, Throwable cause) {
    super(message, cause);
  }
}
