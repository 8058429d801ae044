package dev.orch.api.spec;

import java.util.Objects;

/**
 * A count, or a percentage of a total (Kubernetes' IntOrString), as used by rollout settings.
 * Immutable and thread-safe.
 *
 * @param value   the count, or the percentage
 * @param percent whether {@code value} is a percentage
 */
public record IntOrPercent(int value, boolean percent) {
  /** A plain count. */
  public static IntOrPercent of(int count) {
    return new IntOrPercent(count, false);
  }

  /** A percentage of the total. */
  public static IntOrPercent percent(int percent) {
    return new IntOrPercent(percent, true);
  }

  /**
   * Parses {@code "25%"} or {@code "3"}.
   *
   * @throws IllegalArgumentException naming the text when it is neither form
   */
  public static IntOrPercent parse(String text) {
    Objects.requireNonNull(text, "text");
    try {
      if (text.endsWith("%")) {
        return percent(Integer.parseInt(text.substring(0, text.length() - 1)));
      }
      return of(Integer.parseInt(text));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("\"" + text + "\": must be a count like \"3\" or a percentage like "
          + "\"25%\"", e);
    }
  }

  /**
   * Resolves against {@code total}: a count is itself; a percentage is rounded up or down as asked.
   */
  public int resolve(int total, boolean roundUp) {
    if (!percent) {
      return value;
    }
    long scaled = (long) value * total;
    return (int) (roundUp ? (scaled + 99) / 100 : scaled / 100);
  }

  @Override
  public String toString() {
    return percent ? value + "%" : Integer.toString(value);
  }
}
