package dev.orch.core.reconcile;

import java.time.Duration;
import java.util.Objects;

/**
 * What a {@link KeyHandler} asks of the queue after handling a key: nothing more, or another pass after a
 * delay. (A handler that throws asks for a retry with per-key exponential backoff.) Immutable.
 *
 * @param requeueAfter when to handle the key again; {@link Duration#ZERO} means not at all
 */
public record ReconcileResult(Duration requeueAfter) {
  private static final ReconcileResult DONE = new ReconcileResult(Duration.ZERO);

  /** Creates a result. */
  public ReconcileResult {
    Objects.requireNonNull(requeueAfter, "requeueAfter");
  }

  /** The key is handled; the queue forgets its failures. */
  public static ReconcileResult done() {
    return DONE;
  }

  /** Handle the key again after {@code delay} (a poll for something slow); its failures are forgotten. */
  public static ReconcileResult requeueAfter(Duration delay) {
    Objects.requireNonNull(delay, "delay");
    return new ReconcileResult(delay);
  }
}
