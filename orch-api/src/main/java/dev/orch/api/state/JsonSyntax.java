package dev.orch.api.state;

/**
 * Whether a text is one JSON document (RFC 8259), for stores that keep values as they are given and must refuse
 * what is not JSON. Checks the syntax only; builds nothing. Stateless.
 */
final class JsonSyntax {
  /** How deep arrays and objects may nest. */
  private static final int MAX_DEPTH = 512;

  private final String text;
  private int at;

  private JsonSyntax(String text) {
    this.text = text;
  }

  /** Why {@code text} is not one JSON document, or null when it is. */
  static String problem(String text) {
    JsonSyntax p = new JsonSyntax(text);
    try {
      p.space();
      p.value(0);
      p.space();
      if (p.at < text.length()) {
        return "unexpected '" + text.charAt(p.at) + "' at " + p.at + " after the value";
      }
      return null;
    } catch (IllegalStateException e) {
      return e.getMessage();
    }
  }

  private IllegalStateException error(String what) {
    return new IllegalStateException(at >= text.length() ? what + " at the end" : what + " at " + at + " ('"
        + text.charAt(at) + "')");
  }

  private void space() {
    while (at < text.length()) {
      char c = text.charAt(at);
      if (c != ' ' && c != '\t' && c != '\n' && c != '\r') {
        return;
      }
      at++;
    }
  }

  private void value(int depth) {
    if (depth > MAX_DEPTH) {
      throw error("nested deeper than " + MAX_DEPTH);
    }
    if (at >= text.length()) {
      throw error("a value expected");
    }
    char c = text.charAt(at);
    switch (c) {
      case '{' -> object(depth);
      case '[' -> array(depth);
      case '"' -> string();
      case 't' -> word("true");
      case 'f' -> word("false");
      case 'n' -> word("null");
      default -> number();
    }
  }

  private void object(int depth) {
    at++;
    space();
    if (at < text.length() && text.charAt(at) == '}') {
      at++;
      return;
    }
    while (true) {
      space();
      if (at >= text.length() || text.charAt(at) != '"') {
        throw error("a member name expected");
      }
      string();
      space();
      expect(':');
      space();
      value(depth + 1);
      space();
      if (at < text.length() && text.charAt(at) == ',') {
        at++;
        continue;
      }
      expect('}');
      return;
    }
  }

  private void array(int depth) {
    at++;
    space();
    if (at < text.length() && text.charAt(at) == ']') {
      at++;
      return;
    }
    while (true) {
      space();
      value(depth + 1);
      space();
      if (at < text.length() && text.charAt(at) == ',') {
        at++;
        continue;
      }
      expect(']');
      return;
    }
  }

  private void string() {
    at++; // the opening quote
    while (at < text.length()) {
      char c = text.charAt(at++);
      if (c == '"') {
        return;
      }
      if (c < 0x20) {
        at--;
        throw error("a control character in a string");
      }
      if (c == '\\') {
        if (at >= text.length()) {
          throw error("an escape expected");
        }
        char e = text.charAt(at++);
        if (e == 'u') {
          for (int i = 0; i < 4; i++) {
            if (at >= text.length() || Character.digit(text.charAt(at), 16) < 0) {
              throw error("four hex digits expected");
            }
            at++;
          }
        } else if ("\"\\/bfnrt".indexOf(e) < 0) {
          at--;
          throw error("an unknown escape");
        }
      }
    }
    throw error("an unterminated string");
  }

  private void word(String w) {
    if (!text.startsWith(w, at)) {
      throw error("'" + w + "' expected");
    }
    at += w.length();
  }

  private void number() {
    int start = at;
    if (at < text.length() && text.charAt(at) == '-') {
      at++;
    }
    if (at < text.length() && text.charAt(at) == '0') {
      at++;
    } else if (!digits()) {
      at = start;
      throw error("a value expected");
    }
    if (at < text.length() && text.charAt(at) == '.') {
      at++;
      if (!digits()) {
        throw error("digits expected after '.'");
      }
    }
    if (at < text.length() && (text.charAt(at) == 'e' || text.charAt(at) == 'E')) {
      at++;
      if (at < text.length() && (text.charAt(at) == '+' || text.charAt(at) == '-')) {
        at++;
      }
      if (!digits()) {
        throw error("digits expected in the exponent");
      }
    }
  }

  private boolean digits() {
    int start = at;
    while (at < text.length() && text.charAt(at) >= '0' && text.charAt(at) <= '9') {
      at++;
    }
    return at > start;
  }

  private void expect(char c) {
    if (at >= text.length() || text.charAt(at) != c) {
      throw error("'" + c + "' expected");
    }
    at++;
  }
}
