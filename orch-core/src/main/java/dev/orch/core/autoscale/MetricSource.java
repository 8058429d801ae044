package dev.orch.core.autoscale;

import java.util.List;
import java.util.concurrent.CompletionStage;

/**
 * A metric of the caller's own for autoscaling: reads one metric of a service's replicas. Called once per sync
 * period per metric, off the caller's threads; a failed stage counts as a failed read (no scale-down then).
 */
@FunctionalInterface
public interface MetricSource {
  /**
   * The samples of {@code metric} for {@code service}'s replicas (by the replica names given; one left out is
   * missing).
   */
  CompletionStage<MetricReading> read(String service, String metric, List<String> replicas);
}
