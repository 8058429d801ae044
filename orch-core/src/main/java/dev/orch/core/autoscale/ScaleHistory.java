package dev.orch.core.autoscale;

import java.time.Instant;
import java.util.List;
import java.util.Objects;

/**
 * What an autoscaler remembers between decisions, as Kubernetes' HPA controller does per target: the recent
 * recommendations (for the stabilization windows) and the recent scale-ups and scale-downs (for the rate
 * policies' periods). Kept whole so that it can be stored and restored: a restart does not reset stabilization.
 * Immutable and thread-safe.
 *
 * @param recommendations the proposals before stabilization, each with when it was made
 * @param scaleUps        the replicas added by each scale-up, with when
 * @param scaleDowns      the replicas removed by each scale-down, with when
 */
public record ScaleHistory(List<Stamped> recommendations, List<Stamped> scaleUps, List<Stamped> scaleDowns) {
  /** No history. */
  public static final ScaleHistory EMPTY = new ScaleHistory(List.of(), List.of(), List.of());

  /** Creates a history, copying the lists. */
  public ScaleHistory {
    recommendations = List.copyOf(recommendations);
    scaleUps = List.copyOf(scaleUps);
    scaleDowns = List.copyOf(scaleDowns);
  }

  /**
   * A number with when it was recorded.
   *
   * @param replicas a recommendation, or a change's size
   * @param at       when
   */
  public record Stamped(int replicas, Instant at) {
    /** Creates one. */
    public Stamped {
      Objects.requireNonNull(at, "at");
    }
  }
}
