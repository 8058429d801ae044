package dev.orch.api.spec;

import java.util.Objects;

/**
 * A mark on a node that repels replicas which do not tolerate it. Immutable and thread-safe.
 *
 * @param key    the taint's key
 * @param value  its value, possibly empty
 * @param effect what it does to replicas that do not tolerate it
 */
public record Taint(String key, String value, TaintEffect effect) {
  /** Creates a taint; every component is required. */
  public Taint {
    Objects.requireNonNull(key, "key");
    Objects.requireNonNull(value, "value");
    Objects.requireNonNull(effect, "effect");
  }

  /** A {@link TaintEffect#NO_SCHEDULE} taint. */
  public static Taint noSchedule(String key, String value) {
    return new Taint(key, value, TaintEffect.NO_SCHEDULE);
  }

  @Override
  public String toString() {
    return key + (value.isEmpty() ? "" : "=" + value) + ":" + effect;
  }
}
