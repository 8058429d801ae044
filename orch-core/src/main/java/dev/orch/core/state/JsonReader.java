package dev.orch.core.state;

import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.BiFunction;
import org.jspecify.annotations.Nullable;

/**
 * Reads one parsed JSON object strictly, naming the path of whatever is missing, of the wrong type or unknown
 * ({@code orders.container.ports[0].containerPort: "x": must be a whole number}). Not thread-safe.
 */
final class JsonReader {
  private final String path;
  private final Map<String, @Nullable Object> members;

  JsonReader(String path, @Nullable Object value) {
    this.path = path;
    if (!(value instanceof Map)) {
      throw bad(path, value, "must be an object");
    }
    @SuppressWarnings("unchecked")
    Map<String, @Nullable Object> m = (Map<String, @Nullable Object>) value;
    this.members = m;
  }

  /** Refuses members other than {@code known}: a newer writer's field must not be dropped in silence. */
  JsonReader only(String... known) {
    Set<String> allowed = Set.of(known);
    for (String k : members.keySet()) {
      if (!allowed.contains(k)) {
        throw bad(path + "." + k, members.get(k), "is not a field this version reads (it reads " + List.of(known)
            + ")");
      }
    }
    return this;
  }

  boolean has(String name) {
    return members.get(name) != null;
  }

  String string(String name) {
    Object v = required(name);
    if (!(v instanceof String)) {
      throw bad(path + "." + name, v, "must be a string");
    }
    return (String) v;
  }

  long whole(String name) {
    Object v = required(name);
    if (!(v instanceof Long)) {
      throw bad(path + "." + name, v, "must be a whole number");
    }
    return (Long) v;
  }

  int integer(String name) {
    long v = whole(name);
    if (v < Integer.MIN_VALUE || v > Integer.MAX_VALUE) {
      throw bad(path + "." + name, v, "must fit in 32 bits");
    }
    return (int) v;
  }

  double number(String name) {
    Object v = required(name);
    if (!(v instanceof Number)) {
      throw bad(path + "." + name, v, "must be a number");
    }
    return ((Number) v).doubleValue();
  }

  boolean bool(String name) {
    Object v = required(name);
    if (!(v instanceof Boolean)) {
      throw bad(path + "." + name, v, "must be true or false");
    }
    return (Boolean) v;
  }

  Duration duration(String name) {
    String text = string(name);
    try {
      return Duration.parse(text);
    } catch (DateTimeParseException e) {
      throw bad(path + "." + name, text, "must be an ISO-8601 duration such as PT30S");
    }
  }

  <E extends Enum<E>> E enumeration(String name, Class<E> type) {
    String text = string(name);
    try {
      return Enum.valueOf(type, text);
    } catch (IllegalArgumentException e) {
      throw bad(path + "." + name, text, "must be one of " + List.of(type.getEnumConstants()));
    }
  }

  JsonReader object(String name) {
    return new JsonReader(path + "." + name, required(name));
  }

  @Nullable Object raw(String name) {
    return members.get(name);
  }

  List<String> strings(String name) {
    return list(name, (at, v) -> {
      if (!(v instanceof String)) {
        throw bad(at, v, "must be a string");
      }
      return (String) v;
    });
  }

  Map<String, String> stringMap(String name) {
    JsonReader m = object(name);
    Map<String, String> out = new LinkedHashMap<>();
    for (String k : m.members.keySet()) {
      out.put(k, m.string(k));
    }
    return out;
  }

  /** The array {@code name}, each element read by {@code read(pathOfElement, element)}. */
  <T> List<T> list(String name, BiFunction<String, @Nullable Object, T> read) {
    Object v = required(name);
    if (!(v instanceof List)) {
      throw bad(path + "." + name, v, "must be an array");
    }
    List<?> l = (List<?>) v;
    List<T> out = new ArrayList<>(l.size());
    for (int i = 0; i < l.size(); i++) {
      out.add(read.apply(path + "." + name + "[" + i + "]", l.get(i)));
    }
    return out;
  }

  String path() {
    return path;
  }

  private Object required(String name) {
    Object v = members.get(name);
    if (v == null) {
      throw bad(path + "." + name, null, "is required");
    }
    return v;
  }

  static IllegalArgumentException bad(String path, @Nullable Object value, String rule) {
    String shown = value instanceof String ? "\"" + value + "\"" : value instanceof Map || value instanceof List
        ? dev.orch.core.util.Json.abbreviate(dev.orch.core.util.Json.write(value)) : String.valueOf(value);
    return new IllegalArgumentException(path + ": " + shown + ": " + rule);
  }
}
