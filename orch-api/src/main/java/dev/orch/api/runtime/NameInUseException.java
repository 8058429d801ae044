package dev.orch.api.runtime;

import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * A create was refused because a container of that name exists already (on any node of the runtime, or on
 * the node the request names where names are per node).
 */
public class NameInUseException extends ContainerConflictException {
  private static final long serialVersionUID = 1L;

  /** The name that is in use. */
  private final String name;

  /** Creates the exception for {@code name}, with a message. */
  public NameInUseException(String name, String message) {
    super(message);
    this.name = Objects.requireNonNull(name, "name");
  }

  /** Creates the exception for {@code name}, with a message and a cause. */
  public NameInUseException(String name, String message, @Nullable Throwable cause) {
    super(message, cause);
    this.name = Objects.requireNonNull(name, "name");
  }

  /** The container name the create asked for, which is in use. */
  public String name() {
    return name;
  }
}
