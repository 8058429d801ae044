package dev.orch.core.state;

import java.io.IOException;

/**
 * A write whose outcome is unknown: it reached the disk's directory but could not be made durable, so a crash
 * may or may not keep it. The store stops taking writes after one (see {@link LocalStateStore}).
 */
final class UncertainWriteException extends IOException {
  private static final long serialVersionUID = 1L;

  UncertainWriteException(String message, Throwable cause) {
    super(message, cause);
  }
}
