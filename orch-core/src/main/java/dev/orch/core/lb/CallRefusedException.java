package dev.orch.core.lb;

import org.jspecify.annotations.Nullable;

/**
 * A pick refused because the caller that named itself to the balancer may not call the service: the network
 * policies deny it ({@link CallerGate#refuse}). The message names the caller, the service and the rule.
 */
public final class CallRefusedException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final @Nullable String caller;
  private final String service;
  private final String reason;

  /** Creates the exception for {@code caller} (null: unnamed) calling {@code service}, refused for {@code reason}. */
  public CallRefusedException(@Nullable String caller, String service, String reason) {
    super((caller == null ? "a caller" : caller) + " may not call " + service + ": " + reason);
    this.caller = caller;
    this.service = service;
    this.reason = reason;
  }

  /** The caller that named itself, or null. */
  public @Nullable String caller() {
    return caller;
  }

  /** The service it called. */
  public String service() {
    return service;
  }

  /** Why it was refused: the verdict in words. */
  public String reason() {
    return reason;
  }
}
