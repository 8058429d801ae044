package dev.orch.core.autoscale;

import dev.orch.api.time.TimeSource;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.FunctionTimer;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.LongTaskTimer;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.TimeGauge;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;

/**
 * Reads a metric from the Micrometer meters of a registry: the meters named as the metric, per replica where a
 * meter carries the tag {@value #REPLICA_TAG} with the replica's name, and otherwise for the whole service (a
 * meter tagged {@value #SERVICE_TAG} with the service's name, or one with neither tag), spread evenly over the
 * replicas, as Kubernetes spreads an external metric with an average-value target. What a meter gives:
 *
 * <ul>
 *   <li>a gauge its value (a time gauge in seconds), a long task timer its active tasks;</li>
 *   <li>a counter (or function counter) its increase per second since the last read;</li>
 *   <li>a timer (or function timer) its mean time in seconds over the events since the last read, and a
 *       distribution summary its mean amount; with no event in between, no value.</li>
 * </ul>
 *
 * <p>A rate or mean needs two reads: the first read of a meter gives nothing for it (missing). A metric with no
 * meter of that name is a failed read. Rates and means are kept per service, so that two policies reading one
 * meter do not share an interval. Thread-safe.
 */
public final class MeterSource implements MetricSource {
  /** The tag that names the replica a meter is about. */
  public static final String REPLICA_TAG = "replica";
  /** The tag that names the service a meter is about. */
  public static final String SERVICE_TAG = "service";

  private final MeterRegistry registry;
  private final TimeSource time;
  /** The cumulative counts of each (service, meter) at its last read, for rates and means. */
  private final ConcurrentHashMap<String, Totals> last = new ConcurrentHashMap<>();

  private record Totals(double count, double total, Instant at) {
  }

  /** A source over the meters of {@code registry}, stamping samples with {@code time}. */
  public MeterSource(MeterRegistry registry, TimeSource time) {
    this.registry = Objects.requireNonNull(registry, "registry");
    this.time = Objects.requireNonNull(time, "time");
  }

  @Override
  public CompletionStage<MetricReading> read(String service, String metric, List<String> replicas) {
    java.util.Collection<Meter> meters = registry.find(metric).meters();
    if (meters.isEmpty()) {
      return CompletableFuture.completedFuture(MetricReading.failed("no meter named " + metric
          + " in the orchestrator's registry"));
    }
    Instant now = time.now();
    Map<String, Double> perReplica = new HashMap<>();
    double whole = 0;
    boolean anyWhole = false;
    java.util.Set<String> seen = new java.util.HashSet<>();
    for (Meter m : meters) {
      String replica = m.getId().getTag(REPLICA_TAG);
      String about = m.getId().getTag(SERVICE_TAG);
      boolean mine = replica != null ? replicas.contains(replica) : about == null || about.equals(service);
      if (!mine) {
        continue;
      }
      seen.add(key(service, m));
      Double v = value(service, m, now);
      if (v == null || v.isNaN()) {
        continue;
      }
      if (replica != null) {
        perReplica.merge(replica, v, Double::sum);
      } else {
        whole += v;
        anyWhole = true;
      }
    }
    String mine = service + '\u0000' + metric + '\u0000';
    last.keySet().removeIf(k -> k.startsWith(mine) && !seen.contains(k)); // meters gone, replicas gone
    Map<String, Sample> samples = new HashMap<>();
    for (String r : replicas) {
      Double own = perReplica.get(r);
      if (own != null || anyWhole) {
        samples.put(r, Sample.of((own == null ? 0 : own) + (anyWhole ? whole / replicas.size() : 0), now));
      }
    }
    return CompletableFuture.completedFuture(MetricReading.of(samples));
  }

  /** What meter {@code m} gives now, or null when it gives nothing yet (a first read of a rate or mean). */
  private @Nullable Double value(String service, Meter m, Instant now) {
    if (m instanceof TimeGauge g) {
      return g.value(TimeUnit.SECONDS);
    }
    if (m instanceof Gauge g) {
      return g.value();
    }
    if (m instanceof LongTaskTimer t) {
      return (double) t.activeTasks();
    }
    if (m instanceof Counter c) {
      return rate(service, m, c.count(), now);
    }
    if (m instanceof FunctionCounter c) {
      return rate(service, m, c.count(), now);
    }
    if (m instanceof Timer t) {
      return mean(service, m, t.count(), t.totalTime(TimeUnit.SECONDS), now);
    }
    if (m instanceof FunctionTimer t) {
      return mean(service, m, t.count(), t.totalTime(TimeUnit.SECONDS), now);
    }
    if (m instanceof DistributionSummary s) {
      return mean(service, m, s.count(), s.totalAmount(), now);
    }
    return null; // a custom meter: no single value
  }

  private @Nullable Double rate(String service, Meter m, double count, Instant now) {
    Totals was = last.put(key(service, m), new Totals(count, 0, now));
    if (was == null || !now.isAfter(was.at()) || count < was.count()) {
      return null;
    }
    return (count - was.count()) / (Duration.between(was.at(), now).toNanos() / 1e9);
  }

  private @Nullable Double mean(String service, Meter m, double count, double total, Instant now) {
    Totals was = last.put(key(service, m), new Totals(count, total, now));
    if (was == null || count <= was.count()) {
      return null;
    }
    return (total - was.total()) / (count - was.count());
  }

  private static String key(String service, Meter m) {
    return service + '\u0000' + m.getId().getName() + '\u0000' + m.getId();
  }
}
