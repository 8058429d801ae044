package dev.orch.api.runtime;

import java.util.Objects;

/**
 * Where a container port can be reached from outside the container. Immutable and thread-safe.
 *
 * @param name          the port's name in the container spec
 * @param containerPort the port inside the container
 * @param hostAddress   the address to connect to, for example {@code 127.0.0.1}
 * @param hostPort      the port to connect to on {@code hostAddress}
 */
public record PortBinding(String name, int containerPort, String hostAddress, int hostPort) {
  /** Creates a binding. */
  public PortBinding {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(hostAddress, "hostAddress");
  }
}
