package dev.orch.api.policy;

import dev.orch.api.spec.PortRef;
import dev.orch.api.spec.Protocol;
import java.util.Objects;

/**
 * A port a rule allows: by number (1 to 65535) or by name, with a protocol.
 *
 * <p>A named port is resolved on the destination of each connection, as Kubernetes does: it matches a connection to
 * port {@code p} when the destination service declares a container port of that name, number {@code p} and
 * protocol. A destination that declares no such name matches nothing. Immutable and thread-safe.
 *
 * @param port     the port, by number or by name
 * @param protocol TCP or UDP
 */
public record PolicyPort(PortRef port, Protocol protocol) {

  /** Creates a port; both components are required (range rules are checked by validation). */
  public PolicyPort {
    Objects.requireNonNull(port, "port");
    Objects.requireNonNull(protocol, "protocol");
  }

  /** TCP port {@code number}. */
  public static PolicyPort tcp(int number) {
    return new PolicyPort(PortRef.number(number), Protocol.TCP);
  }

  /** The destination's TCP port named {@code name}. */
  public static PolicyPort tcp(String name) {
    return new PolicyPort(PortRef.named(name), Protocol.TCP);
  }

  /** UDP port {@code number}. */
  public static PolicyPort udp(int number) {
    return new PolicyPort(PortRef.number(number), Protocol.UDP);
  }

  /** The destination's UDP port named {@code name}. */
  public static PolicyPort udp(String name) {
    return new PolicyPort(PortRef.named(name), Protocol.UDP);
  }

  /** Whether this names a port rather than numbering it. */
  public boolean isNamed() {
    return port.isNamed();
  }

  void validate(String path, PolicyViolations v) {
    if (port.isNamed()) {
      v.dnsLabel(path + ".port", port.name());
      if (port.number() != 0) {
        v.add(path + ".port", port.name() + " and " + port.number(), "must be a name or a number, not both");
      }
    } else {
      v.between(path + ".port", port.number(), 1, 65535);
    }
  }

  /** Reads {@code 8080/TCP} or {@code http/TCP}. */
  @Override
  public String toString() {
    return port + "/" + protocol;
  }
}
