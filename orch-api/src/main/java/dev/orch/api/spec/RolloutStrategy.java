package dev.orch.api.spec;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * How a service moves from one revision to the next: a {@link RollingUpdate} (the default), a
 * {@link BlueGreen} switch, or a {@link Canary} in steps. Immutable and thread-safe.
 */
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

  /** A blue/green switch with its defaults: automatic promotion, no analysis, 30 s scale-down delay. */
  static BlueGreen blueGreen() {
    return BlueGreen.DEFAULT;
  }

  /** Starts a canary: add its steps, then {@link Canary.Builder#build()}. */
  static Canary.Builder canary() {
    return new Canary.Builder();
  }

  /** How long a rollout may go without progress before it is deemed failed. */
  Duration progressDeadline();

  /**
   * Starts the new revision's full set of replicas beside the old one, reachable only on the service's
   * preview endpoints; optionally analyses it there; then promotes it, switching the service's traffic to
   * it in one step (one endpoint snapshot). The old set stays for {@code scaleDownDelay}, unserved, so that
   * a rollback is instant; then it is removed. Immutable and thread-safe.
   *
   * @param autoPromote          promote as soon as the new set is available (and the analysis passed);
   *                             when false, the rollout pauses until {@code promote}
   * @param prePromotionAnalysis run on the preview before promotion, if present
   * @param scaleDownDelay       how long the old set outlives a promotion
   * @param progressDeadline     how long the new set may go without progress before the rollout fails
   */
  record BlueGreen(boolean autoPromote, Optional<Analysis> prePromotionAnalysis, Duration scaleDownDelay,
                   Duration progressDeadline) implements RolloutStrategy {
    /** Automatic promotion, no analysis, 30 s scale-down delay, 600 s progress deadline. */
    public static final BlueGreen DEFAULT =
        new BlueGreen(true, Optional.empty(), Duration.ofSeconds(30), Duration.ofSeconds(600));

    /** Creates a blue/green strategy; every component is required. */
    public BlueGreen {
      Objects.requireNonNull(prePromotionAnalysis, "prePromotionAnalysis");
      Objects.requireNonNull(scaleDownDelay, "scaleDownDelay");
      Objects.requireNonNull(progressDeadline, "progressDeadline");
    }

    /** This strategy with automatic promotion on or off. */
    public BlueGreen withAutoPromote(boolean auto) {
      return new BlueGreen(auto, prePromotionAnalysis, scaleDownDelay, progressDeadline);
    }

    /** This strategy with an analysis of the preview before promotion. */
    public BlueGreen withPrePromotionAnalysis(Analysis analysis) {
      Objects.requireNonNull(analysis, "analysis");
      return new BlueGreen(autoPromote, Optional.of(analysis), scaleDownDelay, progressDeadline);
    }

    /** This strategy with another scale-down delay. */
    public BlueGreen withScaleDownDelay(Duration delay) {
      return new BlueGreen(autoPromote, prePromotionAnalysis, delay, progressDeadline);
    }

    /** This strategy with another progress deadline. */
    public BlueGreen withProgressDeadline(Duration deadline) {
      return new BlueGreen(autoPromote, prePromotionAnalysis, scaleDownDelay, deadline);
    }
  }

  /**
   * Moves traffic to the new revision in steps: set a weight (down to 0.1%, through the load balancers'
   * weights, while the stable set keeps all its replicas), pause for a time or until resumed, run an
   * analysis. After the last step the new revision is promoted: scaled to the full count, then given all
   * the traffic, and the stable set is removed. Aborting sends all traffic back to the stable revision and
   * removes the canary. Immutable and thread-safe.
   *
   * @param steps            the steps, in order; a weight of 100 is full promotion and must be last
   * @param progressDeadline how long a step may wait for replicas without progress before the rollout fails
   */
  record Canary(List<CanaryStep> steps, Duration progressDeadline) implements RolloutStrategy {
    /**
     * Creates a canary strategy, copying the steps.
     *
     * @throws NullPointerException naming {@code steps[i]} when a step is null
     */
    public Canary {
      Objects.requireNonNull(steps, "steps");
      for (int i = 0; i < steps.size(); i++) {
        Objects.requireNonNull(steps.get(i), "steps[" + i + "]");
      }
      steps = List.copyOf(steps);
      Objects.requireNonNull(progressDeadline, "progressDeadline");
    }

    /** Builds a {@link Canary}; not thread-safe. */
    public static final class Builder {
      private final List<CanaryStep> steps = new ArrayList<>();
      private Duration progressDeadline = RollingUpdate.DEFAULT.progressDeadline();

      Builder() {
      }

      /** Sends {@code percent} (0..100, in steps of 0.1) of the traffic to the canary. */
      public Builder setWeight(double percent) {
        steps.add(new CanaryStep.SetWeight(percent));
        return this;
      }

      /** Pauses for {@code duration}. */
      public Builder pause(Duration duration) {
        steps.add(new CanaryStep.Pause(Optional.of(Objects.requireNonNull(duration, "pause duration"))));
        return this;
      }

      /** Pauses until {@code resume} (or {@code promote}). */
      public Builder pause() {
        steps.add(new CanaryStep.Pause(Optional.empty()));
        return this;
      }

      /** Runs {@code analysis} on the canary; a failure aborts the rollout. */
      public Builder analyze(Analysis analysis) {
        steps.add(new CanaryStep.Analyze(Objects.requireNonNull(analysis, "analysis")));
        return this;
      }

      /** Sets the progress deadline (default 600 s). */
      public Builder progressDeadline(Duration deadline) {
        this.progressDeadline = Objects.requireNonNull(deadline, "progressDeadline");
        return this;
      }

      /** The canary strategy (checked when its service spec is built). */
      public Canary build() {
        return new Canary(steps, progressDeadline);
      }
    }
  }

  /** One step of a {@link Canary}. */
  sealed interface CanaryStep {
    /**
     * Sends {@code percent} of the service's traffic to the canary.
     *
     * @param percent 0..100, a multiple of 0.1
     */
    record SetWeight(double percent) implements CanaryStep {
    }

    /**
     * Waits before the next step.
     *
     * @param duration how long; empty: until resumed
     */
    record Pause(Optional<Duration> duration) implements CanaryStep {
      /** Creates a pause. */
      public Pause {
        Objects.requireNonNull(duration, "duration");
      }
    }

    /**
     * Runs an analysis on the canary; the next step comes when it passes, an abort when it fails.
     *
     * @param analysis the analysis
     */
    record Analyze(Analysis analysis) implements CanaryStep {
      /** Creates an analysis step. */
      public Analyze {
        Objects.requireNonNull(analysis, "analysis");
      }
    }
  }
}
