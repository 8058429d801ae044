package dev.orch.docker;

import dev.orch.api.spec.Resources;
import java.net.URI;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * One Docker Engine that a {@link DockerRuntime} uses as a node: its node id, where it listens, the node's
 * labels, and optionally its capacity (otherwise read from the engine's info) and a TLS certificate
 * directory (for {@code tcp://} engines). Immutable and thread-safe.
 *
 * <pre>{@code
 * DockerEngine a = DockerEngine.of("node-a", "unix:///var/run/docker.sock").withLabel("zone", "a");
 * DockerEngine b = DockerEngine.of("node-b", "tcp://10.0.0.2:2376").withTls(Path.of("/etc/orch/certs"));
 * }</pre>
 *
 * @param id       the node id; lowercase letters, digits, {@code -} and {@code .}, at most 63 characters
 * @param host     {@code unix:///path/to/socket} or {@code tcp://host:port}
 * @param labels   the node's labels, for node selectors and topology spread
 * @param capacity the CPU and memory replicas may reserve; empty to use what the engine reports
 * @param tlsCerts a directory holding {@code ca.pem}, {@code cert.pem} and {@code key.pem}; empty for no TLS
 */
public record DockerEngine(String id, URI host, Map<String, String> labels, Optional<Resources> capacity,
                           Optional<Path> tlsCerts) {
  private static final Pattern ID = Pattern.compile("[a-z0-9]([a-z0-9.-]{0,61}[a-z0-9])?");

  /**
   * Creates an engine, checking every field.
   *
   * @throws IllegalArgumentException naming the field, the value and the rule when one is wrong
   */
  public DockerEngine {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(host, "host");
    Objects.requireNonNull(labels, "labels");
    labels = Map.copyOf(labels);
    Objects.requireNonNull(capacity, "capacity");
    Objects.requireNonNull(tlsCerts, "tlsCerts");
    if (!ID.matcher(id).matches()) {
      throw new IllegalArgumentException("engine.id: \"" + id
          + "\": must be 1-63 lowercase letters, digits, '-' or '.', starting and ending with a letter or digit");
    }
    String scheme = host.getScheme();
    if (!"unix".equals(scheme) && !"tcp".equals(scheme)) {
      throw new IllegalArgumentException("engine " + id + ".host: \"" + host
          + "\": must be unix:///path/to/socket or tcp://host:port");
    }
    if ("unix".equals(scheme) && (host.getPath() == null || host.getPath().isEmpty())) {
      throw new IllegalArgumentException("engine " + id + ".host: \"" + host + "\": a unix socket needs a path");
    }
    if (tlsCerts.isPresent() && !"tcp".equals(scheme)) {
      throw new IllegalArgumentException("engine " + id + ".tlsCerts: \"" + tlsCerts.get()
          + "\": TLS applies to tcp:// engines only, not " + host);
    }
  }

  /**
   * An engine with no labels, its capacity read from the engine, and no TLS.
   *
   * @throws IllegalArgumentException when the id or the host is malformed
   */
  public static DockerEngine of(String id, String host) {
    URI uri;
    try {
      uri = URI.create(Objects.requireNonNull(host, "host"));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("engine " + id + ".host: \"" + host + "\": not a URI: " + e.getMessage(), e);
    }
    return new DockerEngine(id, uri, Map.of(), Optional.empty(), Optional.empty());
  }

  /** This engine with node label {@code key=value} added. */
  public DockerEngine withLabel(String key, String value) {
    Map<String, String> m = new HashMap<>(labels);
    m.put(Objects.requireNonNull(key, "key"), Objects.requireNonNull(value, "value"));
    return new DockerEngine(id, host, m, capacity, tlsCerts);
  }

  /** This engine, offering {@code capacity} to replicas instead of what the engine reports. */
  public DockerEngine withCapacity(Resources capacity) {
    Objects.requireNonNull(capacity, "capacity");
    return new DockerEngine(id, host, labels, Optional.of(capacity), tlsCerts);
  }

  /**
   * This engine, reached over TLS with the certificates in {@code certDirectory}, which must hold
   * {@code ca.pem}, {@code cert.pem} and {@code key.pem} (checked when the runtime is built).
   */
  public DockerEngine withTls(Path certDirectory) {
    Objects.requireNonNull(certDirectory, "certDirectory");
    return new DockerEngine(id, host, labels, capacity, Optional.of(certDirectory));
  }
}
