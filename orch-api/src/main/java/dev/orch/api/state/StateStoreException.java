package dev.orch.api.state;

import org.jspecify.annotations.Nullable;

/**
 * A {@link StateStore} call failed: the store cannot be read or written (a disk error, an unreachable
 * cluster). Nothing is known to have changed; a caller retries. The subclasses name refusals that a retry
 * does not cure.
 */
public class StateStoreException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /** Creates one with a message. */
  public StateStoreException(String message) {
    super(message);
  }

  /** Creates one with a message and a cause. */
  public StateStoreException(String message, @Nullable Throwable cause) {
    super(message, cause);
  }
}
