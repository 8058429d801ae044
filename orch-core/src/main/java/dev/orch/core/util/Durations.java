package dev.orch.core.util;

import java.time.Duration;
import java.util.List;
import org.jspecify.annotations.Nullable;

/** Checks of durations that builders share, in the house wording ({@code name: value: rule}). */
public final class Durations {
  private Durations() {
  }

  /** Whether {@code d} is set and above zero. */
  public static boolean isPositive(@Nullable Duration d) {
    return d != null && !d.isNegative() && !d.isZero();
  }

  /** Adds {@code "name: d: must be > 0"} to {@code problems} unless {@code d} is positive; returns whether it is. */
  public static boolean requirePositive(List<String> problems, String name, @Nullable Duration d) {
    if (isPositive(d)) {
      return true;
    }
    problems.add(name + ": " + d + ": must be > 0");
    return false;
  }

  /**
   * Throws unless {@code d} is positive.
   *
   * @throws IllegalArgumentException {@code "name: d: must be > 0"}
   */
  public static void requirePositive(String name, @Nullable Duration d) {
    if (!isPositive(d)) {
      throw new IllegalArgumentException(name + ": " + d + ": must be > 0");
    }
  }

  /** The shorter of two delays, either of which may be null (none). */
  public static @Nullable Duration min(@Nullable Duration a, @Nullable Duration b) {
    if (a == null) {
      return b;
    }
    if (b == null) {
      return a;
    }
    return a.compareTo(b) <= 0 ? a : b;
  }
}
