package dev.orch.api.spec;

import java.time.Duration;
import java.util.Objects;

/** How a service moves from one revision to the next. */
public sealed interface RolloutStrategy {

  /** The default: a rolling update with Kubernetes' defaults (25% surge, 25% unavailable). */
  static RollingUpdate rollingUpdate() {
    return RollingUpdate.DEFAULT;
  }

  /**
   * Replaces replicas a few at a time, as a Kubernetes Deployment does: at most {@code maxSurge} above
   * the desired count and at most {@code maxUnavailable} below it at any moment. Immutable and
   * thread-safe.
   *
   * @param maxSurge         extra replicas allowed; a percentage rounds up
   * @param maxUnavailable   replicas that may be unavailable; a percentage rounds down
   * @param minReady         how long a replica must be ready to count as available
   * @param progressDeadline how long a rollout may go without progress before it is deemed failed
   */
  record RollingUpdate(IntOrPercent maxSurge, IntOrPercent maxUnavailable, Duration minReady,
                       Duration progressDeadline) implements RolloutStrategy {
    /** 25% surge, 25% unavailable, no minimum ready time, 600 s progress deadline. */
    public static final RollingUpdate DEFAULT = new RollingUpdate(IntOrPercent.percent(25),
        IntOrPercent.percent(25), Duration.ZERO, Duration.ofSeconds(600));

    /** Creates a rolling update; every component is required. */
    public RollingUpdate {
      Objects.requireNonNull(maxSurge, "maxSurge");
      Objects.requireNonNull(maxUnavailable, "maxUnavailable");
      Objects.requireNonNull(minReady, "minReady");
      Objects.requireNonNull(progressDeadline, "progressDeadline");
    }

    /** A rolling update with these bounds and the default timing. */
    public static RollingUpdate of(IntOrPercent maxSurge, IntOrPercent maxUnavailable) {
      return new RollingUpdate(maxSurge, maxUnavailable, DEFAULT.minReady, DEFAULT.progressDeadline);
    }
  }
}
