package dev.orch.core.util;

import java.util.Objects;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;

/** What a failure of an asynchronous call comes down to, and how to say it in one line. */
public final class Failures {
  private Failures() {
  }

  /** {@code t} without the {@link CompletionException} and {@link ExecutionException} wrappers around it. */
  public static Throwable rootCause(Throwable t) {
    Objects.requireNonNull(t, "t");
    while ((t instanceof CompletionException || t instanceof ExecutionException) && t.getCause() != null) {
      t = t.getCause();
    }
    return t;
  }

  /** The root cause's message, or its name when it has none. */
  public static String describe(Throwable t) {
    Objects.requireNonNull(t, "t");
    Throwable root = rootCause(t);
    return root.getMessage() != null ? root.getMessage() : root.toString();
  }
}
