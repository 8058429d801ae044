package dev.orch.api.runtime;

import org.jspecify.annotations.Nullable;

/** The runtime lacks the capability the call needs; see {@link ContainerRuntime#capabilities()}. */
public class UnsupportedCapabilityException extends ContainerRuntimeException {
  private static final long serialVersionUID = 1L;

  /** Creates the exception with a message. */
  public UnsupportedCapabilityException(String message) {
    super(message);
  }

  /** Creates the exception with a message and a cause. */
  public UnsupportedCapabilityException(String message, @Nullable Throwable cause) {
    super(message, cause);
  }
}
