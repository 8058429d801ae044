package dev.orch.core.autoscale;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.orch.api.time.VirtualTimeSource;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * Metrics read from Micrometer meters: per replica by the {@code replica} tag, for the whole service spread
 * evenly otherwise; gauges as they are, counters as rates and timers as means between two reads; a meter of
 * another service or replica left out; a name with no meter a failed read.
 */
class MeterSourceTest {
  private final VirtualTimeSource time = new VirtualTimeSource();
  private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
  private final MeterSource source = new MeterSource(registry, time);
  private static final List<String> REPLICAS = List.of("web-a", "web-b");

  private MetricReading read(String metric) {
    return source.read("web", metric, REPLICAS).toCompletableFuture().join();
  }

  @Test
  void aGaugePerReplicaIsThatReplicasValue() {
    AtomicInteger a = registry.gauge("queue.depth", io.micrometer.core.instrument.Tags.of("replica", "web-a"),
        new AtomicInteger(7));
    registry.gauge("queue.depth", io.micrometer.core.instrument.Tags.of("replica", "other-x"), new AtomicInteger(99));
    MetricReading r = read("queue.depth");
    assertEquals(7, r.samples().get("web-a").value());
    assertTrue(!r.samples().containsKey("web-b"), () -> "no meter for web-b: missing, " + r);
    assertEquals(1, r.samples().size(), () -> "another replica's meter is left out: " + r);
    a.set(3);
    assertEquals(3, read("queue.depth").samples().get("web-a").value());
  }

  @Test
  void aServiceMeterIsSpreadEvenlyOverTheReplicasAndAnotherServicesIsLeftOut() {
    Gauge.builder("backlog", () -> 30).tag("service", "web").register(registry);
    Gauge.builder("backlog", () -> 1000).tag("service", "billing").register(registry);
    MetricReading r = read("backlog");
    assertEquals(15, r.samples().get("web-a").value());
    assertEquals(15, r.samples().get("web-b").value());
  }

  @Test
  void aCounterGivesItsRateAndATimerItsMeanBetweenTwoReads() {
    Counter jobs = Counter.builder("jobs").tag("service", "web").register(registry);
    Timer work = Timer.builder("work").tag("replica", "web-a").register(registry);
    DistributionSummary size = DistributionSummary.builder("size").tag("replica", "web-b").register(registry);
    jobs.increment(5);
    work.record(Duration.ofSeconds(9));
    size.record(100);
    assertTrue(read("jobs").samples().isEmpty(), "a rate needs two reads");
    assertTrue(read("work").samples().isEmpty(), "so does a mean");
    assertTrue(read("size").samples().isEmpty());

    time.advance(Duration.ofSeconds(10));
    jobs.increment(40); // 4 a second, over two replicas: 2 each
    work.record(Duration.ofMillis(100));
    work.record(Duration.ofMillis(300));
    size.record(10);
    size.record(30);
    MetricReading rate = read("jobs");
    assertEquals(2.0, rate.samples().get("web-a").value(), 1e-9, rate::toString);
    assertEquals(0.2, read("work").samples().get("web-a").value(), 1e-9, "the mean of the interval's two");
    assertEquals(20, read("size").samples().get("web-b").value(), 1e-9);

    time.advance(Duration.ofSeconds(10));
    assertTrue(read("work").samples().isEmpty(), "no event in the interval: no mean");
  }

  @Test
  void aNameWithNoMeterIsAFailedRead() {
    MetricReading r = read("no.such.meter");
    assertNotNull(r.failure());
    assertTrue(r.failure().contains("no meter named no.such.meter"), r::failure);
  }
}
