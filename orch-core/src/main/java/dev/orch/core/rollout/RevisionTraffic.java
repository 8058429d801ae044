package dev.orch.core.rollout;

import dev.orch.api.runtime.OrchLabels;
import dev.orch.api.spec.Analysis;
import dev.orch.core.lb.OutcomeListener;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.LongAdder;

/**
 * Counts the requests, failures and latencies that clients report, per service and revision, for a
 * rollout's canary analysis: take a {@link #snapshot} at the start of an interval and another at its end;
 * {@link Snapshot#since} gives the {@link Analysis.Traffic} of the interval.
 *
 * <pre>{@code
 * RevisionTraffic traffic = new RevisionTraffic();
 * LoadBalancer lb = LoadBalancer.builder(source).outcomeListener(traffic.listener("orders")).build();
 * RevisionTraffic.Snapshot start = traffic.snapshot("orders", "v2");
 * // ... one analysis interval later:
 * Analysis.Traffic canary = traffic.snapshot("orders", "v2").since(start);
 * }</pre>
 *
 * <p>Latencies go into a log-linear histogram (as HdrHistogram's): {@value #SUB_BUCKETS} buckets of equal
 * width per power of two, from 1 µs to 1 hour in nanoseconds; a latency below 1 µs counts as 1 µs, one
 * above an hour as an hour. A quantile is reported as the middle of its bucket, so for latencies within
 * that range it is off from the exact quantile by at most {@link #RELATIVE_ERROR} (1/64, about 1.6%) of
 * the exact value. The exact quantile {@code q} of {@code n} latencies is the one at rank
 * {@code ceil(q * n)} (at least 1) in ascending order.
 *
 * <p>Thread-safe. {@link #record} takes no lock and, after the first record of a service and revision,
 * allocates nothing. A snapshot taken while records run may count a concurrent record in part (its latency
 * before its request); counts never decrease, so such a record lands whole in the next interval.
 */
public final class RevisionTraffic {
  /** Buckets per power of two of the latency histogram. */
  public static final int SUB_BUCKETS = 32;

  /**
   * The largest relative error of a reported latency quantile for latencies in 1 µs..1 h: half a bucket's
   * width over its lower bound, {@code 1 / (2 * SUB_BUCKETS)}.
   */
  public static final double RELATIVE_ERROR = 1.0 / (2 * SUB_BUCKETS);

  /** The smallest latency told apart, in nanoseconds (1 µs). */
  public static final long MIN_LATENCY_NANOS = 1_000L;

  /** The largest latency told apart, in nanoseconds (1 h). */
  public static final long MAX_LATENCY_NANOS = 3_600_000_000_000L;

  private static final int SUB_BITS = Integer.numberOfTrailingZeros(SUB_BUCKETS);
  private static final int MIN_EXPONENT = 63 - Long.numberOfLeadingZeros(MIN_LATENCY_NANOS);
  private static final int MAX_EXPONENT = 63 - Long.numberOfLeadingZeros(MAX_LATENCY_NANOS);
  private static final int BUCKETS = (MAX_EXPONENT - MIN_EXPONENT + 1) * SUB_BUCKETS;
  /** Never written: the histogram of a snapshot of a key never seen. */
  private static final long[] NO_LATENCIES = new long[BUCKETS];

  private final ConcurrentHashMap<String, ConcurrentHashMap<String, Series>> byService =
      new ConcurrentHashMap<>();
  /** Tells apart the series of one key before and after {@link #forget}. */
  private final AtomicLong seriesIds = new AtomicLong();

  /** Creates an empty counter. */
  public RevisionTraffic() {
  }

  /**
   * Counts one request to {@code revision} of {@code service}. Lock-free; allocates only on the first
   * record of a service and revision.
   *
   * @param service      the service, not null
   * @param revision     the revision of the service that served the request, not null
   * @param success      whether the request succeeded
   * @param latencyNanos the request's latency in nanoseconds; negative if unknown, in which case the
   *                     request counts but its latency does not
   */
  public void record(String service, String revision, boolean success, long latencyNanos) {
    Series s = series(Objects.requireNonNull(service, "service"), Objects.requireNonNull(revision, "revision"));
    // Latency, then request, then failure: a snapshot reads them in the opposite order, so it never sees
    // a failure without its request.
    if (latencyNanos >= 0) {
      s.latencies.getAndIncrement(bucket(latencyNanos));
    }
    s.requests.increment();
    if (!success) {
      s.failures.increment();
    }
  }

  /**
   * A listener for a {@link dev.orch.core.lb.LoadBalancer} of {@code service} that records each outcome
   * under the endpoint's {@link OrchLabels#REVISION} label; an endpoint without that label is not counted.
   */
  public OutcomeListener listener(String service) {
    Objects.requireNonNull(service, "service");
    return (endpoint, success, latencyNanos) -> {
      String revision = endpoint.labels().get(OrchLabels.REVISION);
      if (revision != null) {
        record(service, revision, success, latencyNanos);
      }
    };
  }

  /**
   * The counts of {@code revision} of {@code service} since it was first recorded (or last forgotten);
   * all zero if nothing was recorded.
   */
  public Snapshot snapshot(String service, String revision) {
    Objects.requireNonNull(service, "service");
    Objects.requireNonNull(revision, "revision");
    ConcurrentHashMap<String, Series> revisions = byService.get(service);
    Series s = revisions == null ? null : revisions.get(revision);
    if (s == null) {
      return new Snapshot(service, revision, 0, 0, 0, NO_LATENCIES, 0);
    }
    long failures = s.failures.sum();
    long requests = s.requests.sum();
    long[] latencies = new long[BUCKETS];
    long latencyCount = 0;
    for (int i = 0; i < BUCKETS; i++) {
      latencies[i] = s.latencies.get(i);
      latencyCount += latencies[i];
    }
    return new Snapshot(service, revision, s.id, requests, failures, latencies, latencyCount);
  }

  /**
   * Drops the counts of every revision of {@code service}; a later record starts from zero. A record that
   * runs at the same time may be lost.
   */
  public void forget(String service) {
    byService.remove(Objects.requireNonNull(service, "service"));
  }

  /**
   * Drops the counts of {@code revision} of {@code service} alone; a later record of it starts from zero. A
   * record that runs at the same time may be lost.
   */
  public void forget(String service, String revision) {
    Objects.requireNonNull(revision, "revision");
    ConcurrentHashMap<String, Series> revisions = byService.get(Objects.requireNonNull(service, "service"));
    if (revisions != null) {
      revisions.remove(revision);
    }
  }

  /** The revisions of {@code service} with counts, in no order. */
  public java.util.Set<String> revisions(String service) {
    ConcurrentHashMap<String, Series> revisions = byService.get(Objects.requireNonNull(service, "service"));
    return revisions == null ? java.util.Set.of() : java.util.Set.copyOf(revisions.keySet());
  }

  @Override
  public String toString() {
    return "RevisionTraffic[" + byService.keySet() + "]";
  }

  private Series series(String service, String revision) {
    ConcurrentHashMap<String, Series> revisions = byService.get(service);
    if (revisions == null) {
      revisions = byService.computeIfAbsent(service, k -> new ConcurrentHashMap<>());
    }
    Series s = revisions.get(revision);
    if (s == null) {
      s = revisions.computeIfAbsent(revision, k -> new Series(seriesIds.incrementAndGet()));
    }
    return s;
  }

  /** The histogram bucket of a latency: its power of two, then its equal-width slice of that. */
  static int bucket(long latencyNanos) {
    long v = Math.min(Math.max(latencyNanos, MIN_LATENCY_NANOS), MAX_LATENCY_NANOS);
    int exponent = 63 - Long.numberOfLeadingZeros(v);
    int sub = (int) (v >>> (exponent - SUB_BITS)) - SUB_BUCKETS;
    return (exponent - MIN_EXPONENT) * SUB_BUCKETS + sub;
  }

  /** The middle of bucket {@code index}, in nanoseconds. */
  static long bucketMiddle(int index) {
    int shift = index / SUB_BUCKETS + MIN_EXPONENT - SUB_BITS;
    long lower = (long) (SUB_BUCKETS + index % SUB_BUCKETS) << shift;
    return lower + (1L << shift) / 2;
  }

  private static Duration quantile(long[] latencies, long count, double quantile) {
    if (!(quantile >= 0 && quantile <= 1)) {
      throw new IllegalArgumentException("quantile: " + quantile + ": must be in 0..1");
    }
    if (count == 0) {
      return Duration.ZERO;
    }
    long rank = Math.max(1, (long) Math.ceil(quantile * count));
    long seen = 0;
    for (int i = 0; i < latencies.length; i++) {
      seen += latencies[i];
      if (seen >= rank) {
        return Duration.ofNanos(bucketMiddle(i));
      }
    }
    throw new IllegalStateException("rank " + rank + " beyond " + seen + " latencies"); // counts are consistent
  }

  private static String describe(Analysis.Traffic t) {
    return "requests=" + t.requests() + ", failures=" + t.failures() + ", p50=" + t.latency(0.5)
        + ", p99=" + t.latency(0.99);
  }

  /** The live counters of one service and revision. */
  private static final class Series {
    final long id;
    final LongAdder requests = new LongAdder();
    final LongAdder failures = new LongAdder();
    final AtomicLongArray latencies = new AtomicLongArray(BUCKETS);

    Series(long id) {
      this.id = id;
    }
  }

  /**
   * The counts of one service and revision at one moment, cumulative since it was first recorded; as a
   * {@link Analysis.Traffic} it describes all of that. Immutable and thread-safe.
   */
  public static final class Snapshot implements Analysis.Traffic {
    private final String service;
    private final String revision;
    private final long seriesId;
    private final long requests;
    private final long failures;
    private final long[] latencies;
    private final long latencyCount;

    private Snapshot(String service, String revision, long seriesId, long requests, long failures,
        long[] latencies, long latencyCount) {
      this.service = service;
      this.revision = revision;
      this.seriesId = seriesId;
      this.requests = requests;
      this.failures = failures;
      this.latencies = latencies;
      this.latencyCount = latencyCount;
    }

    /** The service counted. */
    public String service() {
      return service;
    }

    /** The revision counted. */
    public String revision() {
      return revision;
    }

    /** Requests recorded. */
    @Override
    public long requests() {
      return requests;
    }

    /** Requests recorded as failed. */
    @Override
    public long failures() {
      return failures;
    }

    /** Requests recorded with a latency. */
    public long latencyCount() {
      return latencyCount;
    }

    /**
     * The latency at {@code quantile} of the requests recorded with one, within {@link RevisionTraffic#RELATIVE_ERROR};
     * {@link Duration#ZERO} if there was none.
     *
     * @throws IllegalArgumentException if {@code quantile} is not in 0..1
     */
    @Override
    public Duration latency(double quantile) {
      return quantile(latencies, latencyCount, quantile);
    }

    /**
     * The traffic between {@code earlier} and this snapshot, both of this service and revision and taken
     * from the same {@link RevisionTraffic}. If the counts were {@linkplain RevisionTraffic#forget
     * forgotten} in between, or {@code earlier} was taken before the first record, the interval holds
     * everything counted since. A record that ran while a snapshot was taken may show in part; an
     * interval never reports more failures than requests.
     *
     * @throws IllegalArgumentException if {@code earlier} is of another service or revision, or was taken
     *                                  after this snapshot
     */
    public Analysis.Traffic since(Snapshot earlier) {
      Objects.requireNonNull(earlier, "earlier");
      if (!service.equals(earlier.service) || !revision.equals(earlier.revision)) {
        throw new IllegalArgumentException("earlier: snapshot of " + earlier.service + "/" + earlier.revision
            + ": must be of " + service + "/" + revision);
      }
      if (earlier.seriesId != seriesId) {
        // Series ids grow: a smaller one was forgotten before this series began (0: never recorded).
        if (seriesId != 0 && earlier.seriesId > seriesId) {
          throw new IllegalArgumentException("earlier: snapshot of " + service + "/" + revision
              + " taken after its counts were forgotten: must be taken before this one");
        }
        return new Interval(requests, failures, latencies, latencyCount);
      }
      if (earlier.requests > requests || earlier.latencyCount > latencyCount) {
        throw new IllegalArgumentException("earlier: snapshot of " + service + "/" + revision + " with "
            + earlier.requests + " requests: must be taken before this one, with " + requests);
      }
      long[] diff = new long[latencies.length];
      for (int i = 0; i < diff.length; i++) {
        diff[i] = latencies[i] - earlier.latencies[i];
      }
      long n = requests - earlier.requests;
      return new Interval(n, Math.min(n, failures - earlier.failures), diff,
          latencyCount - earlier.latencyCount);
    }

    @Override
    public String toString() {
      return "Snapshot[" + service + "/" + revision + ": " + describe(this) + "]";
    }
  }

  /** The traffic between two snapshots ({@code latencies} is its own copy, never shared). */
  private record Interval(long requests, long failures, long[] latencies, long latencyCount)
      implements Analysis.Traffic {
    @Override
    public Duration latency(double quantile) {
      return quantile(latencies, latencyCount, quantile);
    }

    @Override
    public String toString() {
      return "Traffic[" + describe(this) + "]";
    }
  }
}
