package dev.orch.core.lb;

import dev.orch.api.runtime.OrchLabels;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * One replica of a service as traffic sees it: where it listens, its zone, its weight, its labels
 * (such as {@link OrchLabels#REVISION}) and whether it is ready. Immutable and thread-safe.
 *
 * <p>The {@code id} identifies the endpoint across snapshots: the load balancer keys its per-endpoint
 * statistics (in-flight requests, latency, ejection) by it. A weight of 0 means "no traffic".
 *
 * @param id unique within a service, not blank
 * @param address host name or IP address, not blank
 * @param port 1..65535
 * @param zone the failure zone, empty if unknown
 * @param weight relative share of traffic, {@code >= 0}
 * @param ready whether the replica passes its readiness probe
 * @param labels metadata, such as the revision the replica runs
 */
public record Endpoint(String id, String address, int port, String zone, int weight, boolean ready,
    Map<String, String> labels) {

  /** The weight of an endpoint made with {@link #of(String, String, int)}. */
  public static final int DEFAULT_WEIGHT = 1;

  /**
   * Validates and copies the fields.
   *
   * @throws IllegalArgumentException naming the field, the value and the rule it breaks
   * @throws NullPointerException if a field is null
   */
  public Endpoint {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(address, "address");
    Objects.requireNonNull(zone, "zone");
    Objects.requireNonNull(labels, "labels");
    if (id.isBlank()) {
      throw new IllegalArgumentException("endpoint.id: '" + id + "': must not be blank");
    }
    if (address.isBlank()) {
      throw new IllegalArgumentException("endpoint " + id + ": address: '" + address + "': must not be blank");
    }
    if (port < 1 || port > 65535) {
      throw new IllegalArgumentException("endpoint " + id + ": port: " + port + ": must be in 1..65535");
    }
    if (weight < 0) {
      throw new IllegalArgumentException("endpoint " + id + ": weight: " + weight + ": must be >= 0");
    }
    labels = Map.copyOf(labels);
  }

  /** A ready endpoint of weight 1 in no zone and with no labels. */
  public static Endpoint of(String id, String address, int port) {
    return new Endpoint(id, address, port, "", DEFAULT_WEIGHT, true, Map.of());
  }

  /** This endpoint with its readiness set to {@code ready}. */
  public Endpoint withReady(boolean ready) {
    return ready == this.ready ? this : new Endpoint(id, address, port, zone, weight, ready, labels);
  }

  /** This endpoint with its weight set to {@code weight}. */
  public Endpoint withWeight(int weight) {
    return new Endpoint(id, address, port, zone, weight, ready, labels);
  }

  /** This endpoint in zone {@code zone}. */
  public Endpoint withZone(String zone) {
    return new Endpoint(id, address, port, zone, weight, ready, labels);
  }

  /** This endpoint with its labels replaced by {@code labels}. */
  public Endpoint withLabels(Map<String, String> labels) {
    return new Endpoint(id, address, port, zone, weight, ready, labels);
  }

  /** The revision the replica runs, from its {@link OrchLabels#REVISION} label. */
  public Optional<String> revision() {
    return Optional.ofNullable(labels.get(OrchLabels.REVISION));
  }

  /** {@code address:port}, e.g. {@code 127.0.0.1:8080}. */
  public String hostPort() {
    return address + ":" + port;
  }
}
