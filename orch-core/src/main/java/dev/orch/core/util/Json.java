package dev.orch.core.util;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * A small JSON reader and writer (RFC 8259) for what Orch stores: objects are {@code Map<String, Object>} in
 * member order, arrays {@code List<Object>}, strings {@code String}, numbers {@code Long} when integral and
 * in range, else {@code Double}, {@code true}/{@code false} {@code Boolean}, and {@code null} null. Not API.
 * Stateless and thread-safe.
 */
public final class Json {
  private static final int MAX_DEPTH = 64;

  private final String text;
  private int at;

  private Json(String text) {
    this.text = text;
  }

  /**
   * Parses {@code text}: one JSON value, with nothing but whitespace around it.
   *
   * @throws IllegalArgumentException saying what is wrong and where (line and column)
   */
  public static @Nullable Object parse(String text) {
    Json p = new Json(text);
    p.space();
    Object v = p.value(0);
    p.space();
    if (p.at < text.length()) {
      throw p.error("unexpected '" + text.charAt(p.at) + "' after the value");
    }
    return v;
  }

  /** Parses {@code text}, which must hold a JSON object. */
  @SuppressWarnings("unchecked")
  public static Map<String, @Nullable Object> parseObject(String text) {
    Object v = parse(text);
    if (!(v instanceof Map)) {
      throw new IllegalArgumentException("not a JSON object: " + abbreviate(text));
    }
    return (Map<String, @Nullable Object>) v;
  }

  /** {@code value} as compact JSON. */
  public static String write(@Nullable Object value) {
    StringBuilder b = new StringBuilder();
    write(b, value, -1, 0);
    return b.toString();
  }

  /** {@code value} as JSON indented by two spaces per level, members and elements one per line. */
  public static String pretty(@Nullable Object value) {
    StringBuilder b = new StringBuilder();
    write(b, value, 2, 0);
    return b.toString();
  }

  /** {@code text}, cut to 80 characters, for messages. */
  public static String abbreviate(String text) {
    return text.length() <= 80 ? text : text.substring(0, 77) + "...";
  }

  // ------------------------------------------------------------------------------------------ writing

  private static void write(StringBuilder b, @Nullable Object v, int indent, int depth) {
    if (v == null) {
      b.append("null");
    } else if (v instanceof String) {
      quote(b, (String) v);
    } else if (v instanceof Boolean || v instanceof Long || v instanceof Integer || v instanceof Short
        || v instanceof Byte) {
      b.append(v);
    } else if (v instanceof Number) {
      double d = ((Number) v).doubleValue();
      if (Double.isNaN(d) || Double.isInfinite(d)) {
        throw new IllegalArgumentException("JSON has no " + d);
      }
      b.append(d == Math.rint(d) && Math.abs(d) < 1e15 ? Long.toString((long) d) : Double.toString(d));
    } else if (v instanceof Map) {
      writeMembers(b, (Map<?, ?>) v, indent, depth);
    } else if (v instanceof Iterable) {
      Iterator<?> it = ((Iterable<?>) v).iterator();
      if (!it.hasNext()) {
        b.append("[]");
        return;
      }
      b.append('[');
      while (it.hasNext()) {
        newline(b, indent, depth + 1);
        write(b, it.next(), indent, depth + 1);
        if (it.hasNext()) {
          b.append(',');
        }
      }
      newline(b, indent, depth);
      b.append(']');
    } else {
      throw new IllegalArgumentException("cannot write a " + v.getClass().getName() + " as JSON");
    }
  }

  private static void writeMembers(StringBuilder b, Map<?, ?> m, int indent, int depth) {
    if (m.isEmpty()) {
      b.append("{}");
      return;
    }
    b.append('{');
    Iterator<? extends Map.Entry<?, ?>> it = m.entrySet().iterator();
    while (it.hasNext()) {
      Map.Entry<?, ?> e = it.next();
      newline(b, indent, depth + 1);
      quote(b, String.valueOf(e.getKey()));
      b.append(indent < 0 ? ":" : ": ");
      write(b, e.getValue(), indent, depth + 1);
      if (it.hasNext()) {
        b.append(',');
      }
    }
    newline(b, indent, depth);
    b.append('}');
  }

  private static void newline(StringBuilder b, int indent, int depth) {
    if (indent >= 0) {
      b.append('\n').append(" ".repeat(indent * depth));
    }
  }

  private static void quote(StringBuilder b, String s) {
    b.append('"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"' -> b.append("\\\"");
        case '\\' -> b.append("\\\\");
        case '\n' -> b.append("\\n");
        case '\r' -> b.append("\\r");
        case '\t' -> b.append("\\t");
        case '\b' -> b.append("\\b");
        case '\f' -> b.append("\\f");
        default -> {
          if (c < 0x20) {
            b.append(String.format("\\u%04x", (int) c));
          } else {
            b.append(c);
          }
        }
      }
    }
    b.append('"');
  }

  // ------------------------------------------------------------------------------------------ reading

  private @Nullable Object value(int depth) {
    if (depth > MAX_DEPTH) {
      throw error("nested deeper than " + MAX_DEPTH + " levels");
    }
    if (at >= text.length()) {
      throw error("unexpected end: a value was expected");
    }
    char c = text.charAt(at);
    switch (c) {
      case '{':
        return object(depth);
      case '[':
        return array(depth);
      case '"':
        return string();
      case 't':
        return literal("true", Boolean.TRUE);
      case 'f':
        return literal("false", Boolean.FALSE);
      case 'n':
        return literal("null", null);
      default:
        if (c == '-' || (c >= '0' && c <= '9')) {
          return number();
        }
        throw error("unexpected '" + c + "': a value was expected");
    }
  }

  private Map<String, @Nullable Object> object(int depth) {
    Map<String, @Nullable Object> m = new LinkedHashMap<>();
    at++;
    space();
    if (peek('}')) {
      at++;
      return m;
    }
    while (true) {
      space();
      if (!peek('"')) {
        throw error("a member name in double quotes was expected");
      }
      String name = string();
      space();
      expect(':');
      space();
      if (m.containsKey(name)) {
        throw error("member \"" + name + "\" appears twice");
      }
      m.put(name, value(depth + 1));
      space();
      if (peek(',')) {
        at++;
      } else {
        expect('}');
        return m;
      }
    }
  }

  private List<@Nullable Object> array(int depth) {
    List<@Nullable Object> l = new ArrayList<>();
    at++;
    space();
    if (peek(']')) {
      at++;
      return l;
    }
    while (true) {
      space();
      l.add(value(depth + 1));
      space();
      if (peek(',')) {
        at++;
      } else {
        expect(']');
        return l;
      }
    }
  }

  private String string() {
    at++;
    StringBuilder b = new StringBuilder();
    while (true) {
      if (at >= text.length()) {
        throw error("unterminated string");
      }
      char c = text.charAt(at++);
      if (c == '"') {
        return b.toString();
      }
      if (c < 0x20) {
        throw error("a control character in a string must be escaped");
      }
      if (c != '\\') {
        b.append(c);
        continue;
      }
      if (at >= text.length()) {
        throw error("unterminated escape");
      }
      char e = text.charAt(at++);
      switch (e) {
        case '"', '\\', '/' -> b.append(e);
        case 'n' -> b.append('\n');
        case 'r' -> b.append('\r');
        case 't' -> b.append('\t');
        case 'b' -> b.append('\b');
        case 'f' -> b.append('\f');
        case 'u' -> {
          if (at + 4 > text.length()) {
            throw error("a \\u escape needs four hex digits");
          }
          String hex = text.substring(at, at + 4);
          if (!hex.chars().allMatch(ch -> Character.digit(ch, 16) >= 0)) {
            throw error("a \\u escape needs four hex digits");
          }
          b.append((char) Integer.parseInt(hex, 16));
          at += 4;
        }
        default -> throw error("unknown escape \\" + e);
      }
    }
  }

  private Object number() {
    int start = at;
    if (peek('-')) {
      at++;
    }
    if (peek('0') && at + 1 < text.length() && Character.isDigit(text.charAt(at + 1))) {
      throw error("a number must not start with 0 followed by digits");
    }
    digits();
    boolean integral = true;
    if (peek('.')) {
      integral = false;
      at++;
      digits();
    }
    if (peek('e') || peek('E')) {
      integral = false;
      at++;
      if (peek('+') || peek('-')) {
        at++;
      }
      digits();
    }
    String n = text.substring(start, at);
    if (integral) {
      try {
        return Long.parseLong(n);
      } catch (NumberFormatException e) {
        // too large for a long: a double, as JSON readers commonly do
      }
    }
    return Double.parseDouble(n);
  }

  private void digits() {
    int start = at;
    while (at < text.length() && text.charAt(at) >= '0' && text.charAt(at) <= '9') {
      at++;
    }
    if (at == start) {
      throw error("a digit was expected");
    }
  }

  private @Nullable Object literal(String word, @Nullable Object v) {
    if (!text.startsWith(word, at)) {
      throw error("unexpected word: " + word + " was expected");
    }
    at += word.length();
    return v;
  }

  private boolean peek(char c) {
    return at < text.length() && text.charAt(at) == c;
  }

  private void expect(char c) {
    if (!peek(c)) {
      throw error(at < text.length() ? "'" + c + "' was expected, not '" + text.charAt(at) + "'"
          : "unexpected end: '" + c + "' was expected");
    }
    at++;
  }

  private void space() {
    while (at < text.length()) {
      char c = text.charAt(at);
      if (c != ' ' && c != '\n' && c != '\r' && c != '\t') {
        return;
      }
      at++;
    }
  }

  private IllegalArgumentException error(String what) {
    int line = 1;
    int column = 1;
    for (int i = 0; i < Math.min(at, text.length()); i++) {
      if (text.charAt(i) == '\n') {
        line++;
        column = 1;
      } else {
        column++;
      }
    }
    return new IllegalArgumentException("not JSON: " + what + " (line " + line + ", column " + column + ")");
  }
}
