package dev.orch.api.state;

import java.util.Objects;

/**
 * One record of a {@link StateStore}: a key, its value, and the version the store gave the write that made
 * it. Immutable and thread-safe.
 *
 * @param key     the key, as {@link StateStore} defines keys
 * @param value   the value: a JSON document
 * @param version the store's revision of the write that made this value (at least 1); every write to any key
 *                of a store gets a revision higher than all before it, so a version names one write
 */
public record StateRecord(String key, String value, long version) {
  /** Creates a record. */
  public StateRecord {
    Objects.requireNonNull(key, "key");
    Objects.requireNonNull(value, "value");
    if (version < 1) {
      throw new IllegalArgumentException("version: " + version + ": must be >= 1");
    }
  }

  /** The key and version, and the value's length (values can be large). */
  @Override
  public String toString() {
    return key + "@" + version + " (" + value.length() + " chars)";
  }
}
