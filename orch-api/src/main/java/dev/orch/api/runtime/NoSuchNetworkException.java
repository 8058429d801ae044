package dev.orch.api.runtime;

import org.jspecify.annotations.Nullable;

/** The network a call names does not exist on the node it concerns. */
public class NoSuchNetworkException extends RequestRefusedException {
  private static final long serialVersionUID = 1L;

  /** Creates the exception with a message. */
  public NoSuchNetworkException(String message) {
    super(message);
  }

  /** Creates the exception with a message and a cause. */
  public NoSuchNetworkException(String message, @Nullable Throwable cause) {
    super(message, cause);
  }
}
