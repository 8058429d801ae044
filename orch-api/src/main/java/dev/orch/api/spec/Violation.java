package dev.orch.api.spec;

import java.util.Objects;

/**
 * One broken rule in a spec: where ({@code path}), what was found ({@code value}) and the rule it breaks.
 *
 * <p>Its {@link #toString()} reads {@code orders.replicas: -1: must be >= 0}. Immutable and thread-safe.
 *
 * @param path  the field path from the spec's root, for example {@code orders.container.ports[1].name}
 * @param value the offending value as text ({@code "null"} for a missing one)
 * @param rule  the rule, phrased as what the value must be
 */
public record Violation(String path, String value, String rule) {
  /** Creates a violation; every component is required. */
  public Violation {
    Objects.requireNonNull(path, "path");
    Objects.requireNonNull(value, "value");
    Objects.requireNonNull(rule, "rule");
  }

  @Override
  public String toString() {
    return path + ": " + value + ": " + rule;
  }
}
