package dev.orch.core.policy;

import dev.orch.api.spec.PortSpec;
import dev.orch.api.spec.ServiceSpec;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * What policy evaluation knows of a service: its name, its labels (which label selectors match) and its named
 * container ports (to which named policy ports resolve). Immutable and thread-safe.
 *
 * @param name   the service's name
 * @param labels the service's labels
 * @param ports  the container ports of its replicas; names unique
 */
public record PolicySubject(String name, Map<String, String> labels, List<PortSpec> ports) {

  /**
   * Creates a subject, copying the collections.
   *
   * @throws IllegalArgumentException if two ports share a name (a named policy port would be ambiguous)
   */
  public PolicySubject {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(labels, "labels");
    Objects.requireNonNull(ports, "ports");
    labels = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(labels));
    ports = List.copyOf(ports);
    Set<String> names = new HashSet<>();
    for (PortSpec p : ports) {
      if (!names.add(p.name())) {
        throw new IllegalArgumentException(name + ": port name " + p.name() + " is used twice");
      }
    }
  }

  /** The subject of a service spec: its name, labels and container ports. */
  public static PolicySubject of(ServiceSpec spec) {
    Objects.requireNonNull(spec, "spec");
    return new PolicySubject(spec.name(), spec.labels(), spec.container().ports());
  }

  /** A subject named {@code name} with {@code labels} and {@code ports}. */
  public static PolicySubject of(String name, Map<String, String> labels, PortSpec... ports) {
    Objects.requireNonNull(ports, "ports");
    return new PolicySubject(name, labels, List.of(ports));
  }
}
