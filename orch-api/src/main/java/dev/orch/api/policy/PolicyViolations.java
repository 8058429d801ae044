package dev.orch.api.policy;

import dev.orch.api.runtime.LabelSelector;
import dev.orch.api.spec.InvalidSpecException;
import dev.orch.api.spec.Violation;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * Collects violations while a policy is checked, with the same rules and words as the spec package's checks
 * (which are not visible here). Not thread-safe.
 */
final class PolicyViolations {
  private static final Pattern DNS_1123_LABEL = Pattern.compile("[a-z0-9]([-a-z0-9]*[a-z0-9])?");
  private static final Pattern LABEL_KEY =
      Pattern.compile("([a-z0-9]([-a-z0-9.]*[a-z0-9])?/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?");
  private static final Pattern LABEL_VALUE = Pattern.compile("([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?");

  private final List<Violation> found = new ArrayList<>();

  void add(String path, @Nullable Object value, String rule) {
    found.add(new Violation(path, String.valueOf(value), rule));
  }

  boolean notNull(String path, @Nullable Object value) {
    if (value == null) {
      add(path, null, "is required");
      return false;
    }
    return true;
  }

  void between(String path, long value, long min, long max) {
    if (value < min || value > max) {
      add(path, value, "must be between " + min + " and " + max);
    }
  }

  void dnsLabel(String path, @Nullable String name) {
    if (!notNull(path, name)) {
      return;
    }
    if (name.isEmpty() || name.length() > 63 || !DNS_1123_LABEL.matcher(name).matches()) {
      add(path, quoted(name), "must be a DNS-1123 label: 1 to 63 lowercase alphanumerics or '-', "
          + "starting and ending with an alphanumeric");
    }
  }

  /** Checks a selector's keys and values, in key order (a selector's map has no order of its own). */
  void labelSelector(String path, LabelSelector selector) {
    for (Map.Entry<String, String> e : new TreeMap<>(selector.matchLabels()).entrySet()) {
      String key = e.getKey();
      if (key.length() > 253 || !LABEL_KEY.matcher(key).matches()) {
        add(path + "[" + key + "]", quoted(key), "must be a label key: alphanumerics, '-', '_', '.', "
            + "optionally prefixed by a DNS subdomain and '/'");
      }
      if (e.getValue().length() > 63 || !LABEL_VALUE.matcher(e.getValue()).matches()) {
        add(path + "[" + key + "]", quoted(e.getValue()), "must be a label value: at most 63 "
            + "alphanumerics, '-', '_' or '.', starting and ending with an alphanumeric");
      }
    }
  }

  List<Violation> list() {
    return List.copyOf(found);
  }

  void throwIfAny() {
    if (!found.isEmpty()) {
      throw new InvalidSpecException(found);
    }
  }

  static String quoted(@Nullable String s) {
    return s == null ? "null" : "\"" + s + "\"";
  }

  /** Copies {@code list}, refusing a null element with a message that names it ({@code from[1]}). */
  static <T> List<T> copyOf(List<T> list, String name) {
    java.util.Objects.requireNonNull(list, name);
    for (int i = 0; i < list.size(); i++) {
      java.util.Objects.requireNonNull(list.get(i), name + "[" + i + "]");
    }
    return List.copyOf(list);
  }
}
