package dev.orch.api.runtime;

import java.util.Map;
import java.util.Objects;

/**
 * Selects objects whose labels include every one of {@code matchLabels} with an equal value. An empty
 * selector matches everything. Immutable and thread-safe.
 *
 * @param matchLabels labels an object must carry
 */
public record LabelSelector(Map<String, String> matchLabels) {
  /** Matches everything. */
  public static final LabelSelector ALL = new LabelSelector(Map.of());

  /** Creates a selector, copying the labels. */
  public LabelSelector {
    Objects.requireNonNull(matchLabels, "matchLabels");
    matchLabels = Map.copyOf(matchLabels);
  }

  /** Selects objects labelled {@code key=value}. */
  public static LabelSelector of(String key, String value) {
    Objects.requireNonNull(key, "key");
    Objects.requireNonNull(value, "value");
    return new LabelSelector(Map.of(key, value));
  }

  /** Selects objects carrying all of {@code labels}. */
  public static LabelSelector of(Map<String, String> labels) {
    return new LabelSelector(labels);
  }

  /** This selector, also requiring {@code key=value}. */
  public LabelSelector and(String key, String value) {
    Objects.requireNonNull(key, "key");
    Objects.requireNonNull(value, "value");
    var m = new java.util.HashMap<>(matchLabels);
    m.put(key, value);
    return new LabelSelector(m);
  }

  /** Whether {@code labels} satisfy this selector. */
  public boolean matches(Map<String, String> labels) {
    Objects.requireNonNull(labels, "labels");
    for (Map.Entry<String, String> e : matchLabels.entrySet()) {
      if (!e.getValue().equals(labels.get(e.getKey()))) {
        return false;
      }
    }
    return true;
  }
}
