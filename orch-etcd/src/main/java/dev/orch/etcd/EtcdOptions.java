package dev.orch.etcd;

import io.etcd.jetcd.Client;
import java.util.List;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/** The checks the builders of this package share: endpoints and owners, each refused naming the rule. Stateless. */
final class EtcdOptions {
  private EtcdOptions() {
  }

  /**
   * Adds {@code urls} to {@code endpoints}, stripped.
   *
   * @throws IllegalArgumentException when none is given or one is blank
   */
  static void addEndpoints(List<String> endpoints, String... urls) {
    if (urls.length == 0) {
      throw new IllegalArgumentException("endpoints: []: name at least one etcd member");
    }
    for (String u : urls) {
      if (u == null || u.isBlank()) {
        throw new IllegalArgumentException("endpoints: \"" + u + "\": must be a client URL such as"
            + " http://127.0.0.1:2379");
      }
      endpoints.add(u.strip());
    }
  }

  /**
   * {@code owner}, checked: a key segment.
   *
   * @throws IllegalArgumentException when it is not letters, digits, {@code . _ -}, or starts with {@code .}
   */
  static String owner(String owner) {
    Objects.requireNonNull(owner, "owner");
    if (!owner.matches("[A-Za-z0-9_-][A-Za-z0-9._-]*")) {
      throw new IllegalArgumentException("owner: \"" + owner + "\": must be letters, digits, '.', '_' and '-',"
          + " not starting with '.'");
    }
    return owner;
  }

  /**
   * Refuses a builder given neither a client nor endpoints.
   *
   * @throws IllegalStateException naming what is missing
   */
  static void requireMembers(@Nullable Client client, List<String> endpoints) {
    if (client == null && endpoints.isEmpty()) {
      throw new IllegalStateException("endpoints: not set: name the etcd members, or give a client");
    }
  }

  /** The client to call through: {@code client} if given, else a new one over {@code endpoints} (the caller's). */
  static Client connect(@Nullable Client client, List<String> endpoints) {
    return client != null ? client : Client.builder().endpoints(endpoints.toArray(String[]::new)).build();
  }
}
