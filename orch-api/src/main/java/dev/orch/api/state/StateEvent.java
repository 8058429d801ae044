package dev.orch.api.state;

import java.util.Objects;
import java.util.Optional;

/**
 * A change to a {@link StateStore}, as a watch delivers it. Immutable and thread-safe.
 *
 * @param type    a put or a delete
 * @param key     the key that changed
 * @param value   the new value of a put; empty for a delete
 * @param version the store's revision of the change
 */
public record StateEvent(Type type, String key, Optional<String> value, long version) {
  /** What happened to the key. */
  public enum Type {
    /** The key was created or given a new value. */
    PUT,
    /** The key was deleted. */
    DELETE
  }

  /** Creates an event. */
  public StateEvent {
    Objects.requireNonNull(type, "type");
    Objects.requireNonNull(key, "key");
    Objects.requireNonNull(value, "value");
    if (type == Type.PUT && value.isEmpty()) {
      throw new IllegalArgumentException("value: a PUT event carries the new value");
    }
  }

  /** The put that made {@code record}. */
  public static StateEvent put(StateRecord record) {
    return new StateEvent(Type.PUT, record.key(), Optional.of(record.value()), record.version());
  }

  /** The delete of {@code key} at revision {@code version}. */
  public static StateEvent delete(String key, long version) {
    return new StateEvent(Type.DELETE, key, Optional.empty(), version);
  }

  /** The record a put made; empty for a delete. */
  public Optional<StateRecord> record() {
    return value.map(v -> new StateRecord(key, v, version));
  }

  @Override
  public String toString() {
    return type + " " + key + "@" + version;
  }
}
