package dev.orch.core.engine;

import static dev.orch.core.engine.AutoscaleOperations.LATENCY_P50;
import static dev.orch.core.engine.AutoscaleOperations.LATENCY_P90;
import static dev.orch.core.engine.AutoscaleOperations.LATENCY_P99;
import static dev.orch.core.engine.AutoscaleOperations.REQUESTS_IN_FLIGHT;
import static dev.orch.core.engine.AutoscaleOperations.REQUESTS_PER_SECOND;

import dev.orch.api.runtime.ContainerInfo;
import dev.orch.api.spec.AutoscalePolicy;
import dev.orch.api.spec.ServiceSpec;
import dev.orch.core.autoscale.MeterSource;
import dev.orch.core.autoscale.MetricReading;
import dev.orch.core.autoscale.MetricSource;
import dev.orch.core.autoscale.Sample;
import dev.orch.core.autoscale.UsageRates;
import dev.orch.core.rollout.RevisionTraffic;
import dev.orch.core.util.Failures;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Reads the metrics of an autoscaled service's replicas for one sync: the runtime's usage stats
 * ({@link UsageRates}: {@code cpu}, {@code memory}), the traffic through the orchestrator's balancers (requests in
 * flight, requests per second between two syncs, latency quantiles over the requests since the last sync), the
 * sources registered by name, and any other metric from the meters of the orchestrator's registry
 * ({@link MeterSource}). Keeps what a rate or a quantile needs between syncs, and forgets it for replicas gone.
 * Thread-safe.
 */
final class AutoscaleMetrics {
  private static final Map<String, Double> LATENCIES = Map.of(LATENCY_P50, 0.5, LATENCY_P90, 0.9, LATENCY_P99,
      0.99);
  /** The metrics read without a source registered: the runtime's usage and the balancers' traffic. */
  private static final Set<String> BUILT_IN = Set.of(UsageRates.CPU, UsageRates.MEMORY, REQUESTS_PER_SECOND,
      REQUESTS_IN_FLIGHT, LATENCY_P50, LATENCY_P90, LATENCY_P99);

  private final EngineSettings settings;
  private final EndpointPublisher endpoints;
  /** Per service: each one's readings are forgotten for its own replicas gone, never for another's. */
  private final ConcurrentHashMap<String, UsageRates> usage = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<String, MetricSource> sources = new ConcurrentHashMap<>();
  /** Any other metric: the meters of the orchestrator's registry. */
  private final MeterSource meters;
  /**
   * Per service, the last count of requests reported on each replica (by container id), with when: a rate is
   * taken between two.
   */
  private final ConcurrentHashMap<String, ConcurrentHashMap<String, Counted>> counted = new ConcurrentHashMap<>();
  /** Each replica's latencies at the last sync, by service and replica name: a quantile is of the requests since. */
  private final ConcurrentHashMap<String, Map<String, RevisionTraffic.Snapshot>> latencySeen =
      new ConcurrentHashMap<>();

  private record Counted(long requests, Instant at) {
  }

  AutoscaleMetrics(EngineSettings settings, EndpointPublisher endpoints) {
    this.settings = settings;
    this.endpoints = endpoints;
    this.meters = new MeterSource(settings.meterRegistry(), settings.time());
  }

  /**
   * Reads {@code metric} from {@code source} from now on.
   *
   * @throws IllegalArgumentException if {@code metric} is built in
   */
  void register(String metric, MetricSource source) {
    Objects.requireNonNull(metric, "metric");
    Objects.requireNonNull(source, "source");
    if (BUILT_IN.contains(metric)) {
      throw new IllegalArgumentException("metric: \"" + metric + "\": is built in (the runtime's usage stats, or"
          + " the traffic through the orchestrator's balancers)");
    }
    sources.put(metric, source);
  }

  /** Records each replica's latencies for {@code policy}'s service when the policy asks for a quantile. */
  void track(AutoscalePolicy policy) {
    endpoints.recordReplicaLatency(policy.service(), usesLatency(policy));
  }

  /** Forgets what was kept for {@code service}, no longer autoscaled. */
  void forget(String service) {
    endpoints.recordReplicaLatency(service, false);
    latencySeen.remove(service);
    usage.remove(service);
    counted.remove(service);
  }

  private static boolean usesLatency(AutoscalePolicy policy) {
    return policy.metrics().stream().anyMatch(m -> LATENCIES.containsKey(m.metric()));
  }

  /** Every metric {@code policy} names (and the built-in ones), read for {@code replicas} of {@code spec}. */
  CompletableFuture<Map<String, MetricReading>> read(AutoscalePolicy policy, ServiceSpec spec,
                                                     List<ContainerInfo> replicas) {
    Set<String> alive = new HashSet<>(replicas.stream().map(ContainerInfo::id).toList());
    UsageRates rates = usage.computeIfAbsent(spec.name(), k -> new UsageRates(settings.runtime()));
    rates.retainOnly(alive);
    Map<String, MetricReading> traffic = traffic(counted.computeIfAbsent(spec.name(), k -> new ConcurrentHashMap<>()),
        replicas, alive);
    if (usesLatency(policy)) {
      traffic.putAll(latencies(spec.name(), replicas));
    }
    CompletableFuture<Map<String, MetricReading>> reads = rates.read(replicas,
        spec.container().resources().requests()).toCompletableFuture().thenApply(u -> {
          Map<String, MetricReading> all = new HashMap<>(u);
          all.putAll(traffic);
          return all;
        });
    List<String> names = replicas.stream().map(ContainerInfo::name).toList();
    for (var m : policy.metrics()) {
      if (BUILT_IN.contains(m.metric())) {
        continue;
      }
      MetricSource source = sources.getOrDefault(m.metric(), meters);
      reads = reads.thenCombine(source.read(spec.name(), m.metric(), names).toCompletableFuture()
          .exceptionally(x -> MetricReading.failed(Failures.describe(x))), (all, one) -> {
            Map<String, MetricReading> more = new HashMap<>(all);
            more.put(m.metric(), one);
            return more;
          });
    }
    return reads;
  }

  /**
   * The traffic through the orchestrator's balancers per replica: requests in flight now, and requests reported
   * per second since the last reading (a replica's first reading, or one whose count went back when a balancer
   * closed, gives no rate).
   */
  private Map<String, MetricReading> traffic(Map<String, Counted> counted, List<ContainerInfo> replicas,
                                             Set<String> alive) {
    Instant now = settings.time().now();
    Map<String, Sample> inFlight = new HashMap<>();
    Map<String, Sample> rate = new HashMap<>();
    for (ContainerInfo c : replicas) {
      inFlight.put(c.name(), Sample.of(endpoints.inFlight(c.name()), now));
      Counted is = new Counted(endpoints.reported(c.name()), now);
      Counted was = counted.put(c.id(), is);
      if (was != null && is.at().isAfter(was.at()) && is.requests() >= was.requests()) {
        double seconds = Duration.between(was.at(), is.at()).toNanos() / 1e9;
        rate.put(c.name(), Sample.of((is.requests() - was.requests()) / seconds, now));
      }
    }
    counted.keySet().retainAll(alive);
    return new HashMap<>(Map.of(REQUESTS_IN_FLIGHT, MetricReading.of(inFlight), REQUESTS_PER_SECOND,
        MetricReading.of(rate)));
  }

  /**
   * Each replica's latency quantiles over its requests through the balancers since the last sync (a replica
   * with no request since has no sample); the latencies of replicas gone are forgotten.
   */
  private Map<String, MetricReading> latencies(String service, List<ContainerInfo> replicas) {
    Instant now = settings.time().now();
    Set<String> names = new HashSet<>();
    Map<String, Map<String, Sample>> samples = new HashMap<>();
    LATENCIES.keySet().forEach(m -> samples.put(m, new HashMap<>()));
    Map<String, RevisionTraffic.Snapshot> seen = latencySeen.computeIfAbsent(service, k -> new HashMap<>());
    synchronized (seen) {
      for (ContainerInfo c : replicas) {
        names.add(c.name());
        RevisionTraffic.Snapshot snapshot = endpoints.replicaTraffic.snapshot(service, c.name());
        RevisionTraffic.Snapshot was = seen.put(c.name(), snapshot);
        var since = was == null ? snapshot : snapshot.since(was);
        if (since.requests() > 0) {
          LATENCIES.forEach((m, q) -> samples.get(m).put(c.name(), Sample.of(since.latency(q).toNanos() / 1e9,
              now)));
        }
      }
      seen.keySet().retainAll(names);
    }
    for (String gone : endpoints.replicaTraffic.revisions(service)) {
      if (!names.contains(gone)) {
        endpoints.replicaTraffic.forget(service, gone);
      }
    }
    Map<String, MetricReading> out = new HashMap<>();
    samples.forEach((m, byReplica) -> out.put(m, MetricReading.of(byReplica)));
    return out;
  }
}
