package dev.orch.api.spec;

import java.util.Objects;
import java.util.Optional;

/**
 * Lets a replica be placed on nodes with a matching taint, as in Kubernetes. Immutable and thread-safe.
 *
 * @param key    the taint key to match; empty with {@code exists} matches every taint
 * @param value  the taint value to match; ignored when {@code exists}
 * @param exists match any value of the key (Kubernetes' {@code Exists}) rather than an equal one
 * @param effect the effect to match, or empty for any
 */
public record Toleration(String key, String value, boolean exists, Optional<TaintEffect> effect) {
  /** Creates a toleration; every component is required. */
  public Toleration {
    Objects.requireNonNull(key, "key");
    Objects.requireNonNull(value, "value");
    Objects.requireNonNull(effect, "effect");
  }

  /** Tolerates taints with this key and value, of any effect. */
  public static Toleration equal(String key, String value) {
    return new Toleration(key, value, false, Optional.empty());
  }

  /** Tolerates taints with this key, whatever their value or effect. */
  public static Toleration exists(String key) {
    return new Toleration(key, "", true, Optional.empty());
  }

  /** Whether this tolerates {@code taint}. */
  public boolean tolerates(Taint taint) {
    Objects.requireNonNull(taint, "taint");
    if (effect.isPresent() && effect.get() != taint.effect()) {
      return false;
    }
    if (exists) {
      return key.isEmpty() || key.equals(taint.key());
    }
    return key.equals(taint.key()) && value.equals(taint.value());
  }
}
