package dev.orch.core.autoscale;

import java.util.Map;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * What reading one metric gave: a sample per replica (by replica name; a replica without one is missing), or
 * the reason the read failed. Immutable and thread-safe.
 *
 * @param samples the samples by replica name (empty when the read failed)
 * @param failure why the read failed, or null
 */
public record MetricReading(Map<String, Sample> samples, @Nullable String failure) {
  /** Creates a reading, copying the samples. */
  public MetricReading {
    samples = Map.copyOf(Objects.requireNonNull(samples, "samples"));
  }

  /** The samples read. */
  public static MetricReading of(Map<String, Sample> samples) {
    return new MetricReading(samples, null);
  }

  /** A read that failed for {@code why}. */
  public static MetricReading failed(String why) {
    return new MetricReading(Map.of(), Objects.requireNonNull(why, "why"));
  }
}
