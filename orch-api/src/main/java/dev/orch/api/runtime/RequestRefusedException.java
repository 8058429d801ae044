package dev.orch.api.runtime;

import org.jspecify.annotations.Nullable;

/**
 * The runtime answered and refused the request for a reason that belongs to the request, not to the node:
 * a name or host port in use, a bad parameter, no such image, a memory limit below the engine's minimum.
 * The node is healthy: a refusal never counts against it (no circuit breaker opens, the node stays ready),
 * and Orch reports it as that replica's failure, in the runtime's own words, and retries it with backoff.
 * Transport errors, timeouts and a node that does not answer are {@link RuntimeUnavailableException} or
 * {@link NodeNotReadyException} instead.
 */
public class RequestRefusedException extends ContainerRuntimeException {
  private static final long serialVersionUID = 1L;

  /** Creates the exception with a message. */
  public RequestRefusedException(String message) {
    super(message);
  }

  /** Creates the exception with a message and a cause. */
  public RequestRefusedException(String message, @Nullable Throwable cause) {
    super(message, cause);
  }
}
