package dev.orch.core.rollout;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.orch.api.spec.Analysis;
import java.util.ArrayList;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.LongRange;

/**
 * Invariants of the latency histogram. The exact quantile {@code q} of {@code n} latencies is the one at
 * rank {@code ceil(q * n)} (1-based, at least 1) of the latencies sorted in ascending order; the reported
 * quantile must lie within {@link RevisionTraffic#RELATIVE_ERROR} of it.
 */
class RevisionTrafficProperties {
  private static final double[] QUANTILES = {0.5, 0.9, 0.99, 1.0};

  /** Latencies between 1 µs and 10 s, both spread evenly and spread evenly over orders of magnitude. */
  @Provide
  Arbitrary<List<Long>> latencies() {
    Arbitrary<Long> even = Arbitraries.longs().between(1_000L, 10_000_000_000L);
    double low = Math.log(1_000);
    double high = Math.log(10_000_000_000L);
    Arbitrary<Long> logEven = Arbitraries.doubles().between(0, 1).ofScale(9)
        .map(u -> Math.min(10_000_000_000L, Math.max(1_000L, Math.round(Math.exp(low + u * (high - low))))));
    return Arbitraries.oneOf(even, logEven).list().ofMinSize(1).ofMaxSize(2000);
  }

  @Property(tries = 200)
  void quantilesAreWithinTheDocumentedErrorOfTheExactOnes(@ForAll("latencies") List<Long> latencies) {
    RevisionTraffic traffic = new RevisionTraffic();
    for (long l : latencies) {
      traffic.record("s", "v1", true, l);
    }
    assertWithinError(latencies, traffic.snapshot("s", "v1"));
  }

  @Property(tries = 200)
  void anIntervalHoldsOnlyWhatWasRecordedInIt(@ForAll("latencies") List<Long> latencies,
      @ForAll @LongRange(min = 0, max = 2000) long splitAt) {
    int split = (int) Math.min(splitAt, latencies.size() - 1);
    RevisionTraffic traffic = new RevisionTraffic();
    for (int i = 0; i < split; i++) {
      traffic.record("s", "v1", i % 3 != 0, latencies.get(i));
    }
    RevisionTraffic.Snapshot start = traffic.snapshot("s", "v1");
    long failuresAfter = 0;
    for (int i = split; i < latencies.size(); i++) {
      traffic.record("s", "v1", i % 3 != 0, latencies.get(i));
      failuresAfter += i % 3 == 0 ? 1 : 0;
    }
    Analysis.Traffic interval = traffic.snapshot("s", "v1").since(start);
    List<Long> after = latencies.subList(split, latencies.size());
    assertEquals(after.size(), interval.requests());
    assertEquals(failuresAfter, interval.failures());
    assertWithinError(after, interval);
  }

  @Property(tries = 1000)
  void everyLatencyInRangeMapsToABucketWhoseMiddleIsWithinTheError(
      @ForAll @LongRange(min = RevisionTraffic.MIN_LATENCY_NANOS, max = RevisionTraffic.MAX_LATENCY_NANOS)
      long latency) {
    long middle = RevisionTraffic.bucketMiddle(RevisionTraffic.bucket(latency));
    assertTrue(Math.abs(middle - latency) <= latency * RevisionTraffic.RELATIVE_ERROR,
        () -> latency + " reported as " + middle);
    assertTrue(RevisionTraffic.bucket(latency) <= RevisionTraffic.bucket(latency + 1), "buckets grow with latency");
  }

  private static void assertWithinError(List<Long> latencies, Analysis.Traffic traffic) {
    List<Long> sorted = new ArrayList<>(latencies);
    sorted.sort(null);
    for (double q : QUANTILES) {
      int rank = (int) Math.max(1, Math.ceil(q * sorted.size()));
      long exact = sorted.get(rank - 1);
      long reported = traffic.latency(q).toNanos();
      assertTrue(Math.abs(reported - exact) <= exact * RevisionTraffic.RELATIVE_ERROR,
          () -> "q=" + q + ": exact " + exact + " ns, reported " + reported + " ns, of " + sorted.size());
    }
  }
}
