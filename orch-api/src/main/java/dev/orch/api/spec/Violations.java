package dev.orch.api.spec;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/** Collects violations while a spec is checked; the spec package's builders share it. Not thread-safe. */
final class Violations {
  private static final Pattern DNS_1123_LABEL = Pattern.compile("[a-z0-9]([-a-z0-9]*[a-z0-9])?");
  private static final Pattern LABEL_KEY = Pattern.compile("([a-z0-9]([-a-z0-9.]*[a-z0-9])?/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?");
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

  void atLeast(String path, long value, long min) {
    if (value < min) {
      add(path, value, "must be >= " + min);
    }
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

  void notBlank(String path, @Nullable String value) {
    if (notNull(path, value) && value.isBlank()) {
      add(path, quoted(value), "must not be blank");
    }
  }

  void labels(String path, Map<String, String> labels) {
    for (Map.Entry<String, String> e : labels.entrySet()) {
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

  void addAll(Collection<Violation> more) {
    found.addAll(more);
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
}
