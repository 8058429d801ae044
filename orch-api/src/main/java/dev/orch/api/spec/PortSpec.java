package dev.orch.api.spec;

import java.util.Objects;

/**
 * A named port a container listens on, optionally published on a host port of its node.
 * Immutable and thread-safe.
 *
 * @param name          a DNS-1123 label, unique within the container; probes and services refer to it
 * @param containerPort 1 to 65535
 * @param hostPort      0 for none, otherwise 1 to 65535; the scheduler keeps host ports free of clashes
 * @param protocol      TCP or UDP
 */
public record PortSpec(String name, int containerPort, int hostPort, Protocol protocol) {
  /** Creates a port; name and protocol are required (range rules are checked by validation). */
  public PortSpec {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(protocol, "protocol");
  }

  /** A TCP port with no host port. */
  public static PortSpec tcp(String name, int containerPort) {
    return new PortSpec(name, containerPort, 0, Protocol.TCP);
  }

  /** This port, published on {@code hostPort} of its node. */
  public PortSpec withHostPort(int hostPort) {
    return new PortSpec(name, containerPort, hostPort, protocol);
  }

  void validate(String path, Violations v) {
    v.dnsLabel(path + ".name", name);
    v.between(path + ".containerPort", containerPort, 1, 65535);
    if (hostPort != 0) {
      v.between(path + ".hostPort", hostPort, 1, 65535);
    }
  }
}
