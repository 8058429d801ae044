package dev.orch.api.state;

import org.jspecify.annotations.Nullable;

/** The key rules of {@link StateStore}. Stateless. */
final class StateKeys {
  private StateKeys() {
  }

  /** What is wrong with {@code key}, or null when it is valid. */
  static @Nullable String problem(@Nullable String key) {
    if (key == null) {
      return "must not be null";
    }
    if (key.isEmpty()) {
      return "must not be empty";
    }
    if (key.length() > StateStore.MAX_KEY_LENGTH) {
      return "must have at most " + StateStore.MAX_KEY_LENGTH + " characters (it has " + key.length() + ")";
    }
    for (String segment : key.split("/", -1)) {
      if (segment.isEmpty()) {
        return "must be segments separated by single '/', with none empty";
      }
      if (segment.charAt(0) == '.') {
        return "segment \"" + segment + "\" must not start with '.'";
      }
      for (int i = 0; i < segment.length(); i++) {
        char c = segment.charAt(i);
        boolean ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.'
            || c == '_' || c == '-';
        if (!ok) {
          return "segment \"" + segment + "\" may hold only letters, digits, '.', '_' and '-' (not '" + c + "')";
        }
      }
    }
    return null;
  }
}
