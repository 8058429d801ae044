package dev.orch.api.spec;

import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * A reference to a container port, by name ({@code "http"}) or by number ({@code 8080}).
 * Immutable and thread-safe.
 *
 * @param name   the port's name, or empty when referred to by number
 * @param number the port number, or 0 when referred to by name
 */
public record PortRef(String name, int number) {
  /** Creates a reference; exactly one of name and number is set. */
  public PortRef {
    Objects.requireNonNull(name, "name");
  }

  /** Refers to the container port named {@code name}. */
  public static PortRef named(String name) {
    return new PortRef(name, 0);
  }

  /** Refers to container port {@code number}. */
  public static PortRef number(int number) {
    return new PortRef("", number);
  }

  /** Whether this refers to a port by name. */
  public boolean isNamed() {
    return !name.isEmpty();
  }

  /**
   * Resolves this reference against a container's ports.
   *
   * @return the port number, or -1 when the name is not among {@code container}'s ports
   */
  public int resolve(ContainerSpec container) {
    Objects.requireNonNull(container, "container");
    if (!isNamed()) {
      return number;
    }
    for (PortSpec p : container.ports()) {
      if (p.name().equals(name)) {
        return p.containerPort();
      }
    }
    return -1;
  }

  void validate(String path, Violations v, @Nullable ContainerSpec container) {
    if (isNamed()) {
      if (container != null && resolve(container) < 0) {
        v.add(path, Violations.quoted(name), "must name a port of the container");
      }
    } else {
      v.between(path, number, 1, 65535);
    }
  }

  @Override
  public String toString() {
    return isNamed() ? name : Integer.toString(number);
  }
}
