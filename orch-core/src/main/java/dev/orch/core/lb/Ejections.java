package dev.orch.core.lb;

import dev.orch.api.time.TimeSource;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Passive outlier ejection for one balancer, by its {@link OutlierDetection}: decides whether an
 * endpoint that keeps failing is ejected, for how long (the base time times its ejections, less those
 * forgiven for time back in service), and returns it to service when that time is over. Not thread-safe:
 * every method must be called under the owning {@link PickStateWriter}'s lock, which also guards the
 * ejection fields of {@link EndpointStats}.
 */
final class Ejections {
  // The balancer's logger, so that the names users configure for its logs still apply.
  private static final Logger LOG = LoggerFactory.getLogger(LoadBalancer.class);

  private final String service;
  private final OutlierDetection outliers;
  private final TimeSource time;
  private final Map<String, EndpointStats> stats;
  private final Consumer<EndpointStats> expired;

  /**
   * Ejections among {@code stats}, the balancer's statistics by endpoint id; when an ejection's time is
   * over, {@code expired} runs on the time source with the endpoint and should take the lock and call
   * {@link #end}.
   */
  Ejections(String service, OutlierDetection outliers, TimeSource time, Map<String, EndpointStats> stats,
      Consumer<EndpointStats> expired) {
    this.service = service;
    this.outliers = outliers;
    this.time = time;
    this.stats = stats;
    this.expired = expired;
  }

  /**
   * Ejects member {@code st} if it has failed enough times in a row and fewer than the most that may be
   * ejected of {@code members} are, and schedules its return.
   *
   * @return whether it was ejected, so the pick state must be rebuilt
   */
  boolean tryEject(EndpointStats st, int members) {
    if (st.ejected || !st.member || st.consecutiveFailures < outliers.consecutiveFailures()) {
      return false;
    }
    int ejectedNow = 0;
    for (EndpointStats other : stats.values()) {
      if (other.ejected) {
        ejectedNow++;
      }
    }
    int max = outliers.maxEjected(members);
    if (ejectedNow >= max || outliers.maxEjectionPercent() == 0) {
      LOG.debug("{}: {} not ejected: {} of at most {} already ejected", service, st.id, ejectedNow, max);
      return false;
    }
    long now = time.nanoTime();
    if (st.returnedAt != Long.MIN_VALUE && st.ejections > 0) {
      long forgiven = (now - st.returnedAt) / outliers.interval().toNanos();
      st.ejections = (int) Math.max(0, st.ejections - forgiven);
    }
    st.ejections++;
    Duration base = outliers.baseEjectionTime();
    Duration duration = base.multipliedBy(st.ejections);
    if (duration.compareTo(outliers.maxEjectionTime()) > 0) {
      duration = outliers.maxEjectionTime();
    }
    st.ejected = true;
    st.consecutiveFailures = 0;
    st.unejectTask = time.schedule(duration, () -> expired.accept(st));
    LOG.info("{}: ejected {} for {} (ejection {})", service, st.id, duration, st.ejections);
    return true;
  }

  /**
   * Returns ejected endpoint {@code st} to service, its failure streak cleared.
   *
   * @return whether it was ejected, so the pick state must be rebuilt
   */
  boolean end(EndpointStats st) {
    if (!st.ejected) {
      return false;
    }
    st.ejected = false;
    st.unejectTask = null;
    st.returnedAt = time.nanoTime();
    st.consecutiveFailures = 0;
    LOG.info("{}: {} back in service after ejection", service, st.id);
    return true;
  }

  /** Ends {@code st}'s ejection without a return to service, because it left the service. */
  void forget(EndpointStats st) {
    if (st.unejectTask != null) {
      st.unejectTask.cancel();
      st.unejectTask = null;
    }
    st.ejected = false;
  }

  /** Cancels every pending return; the balancer is closing. */
  void cancelAll() {
    for (EndpointStats st : stats.values()) {
      if (st.unejectTask != null) {
        st.unejectTask.cancel();
      }
    }
  }

  /** The ids of the endpoints ejected now, sorted. */
  Set<String> ejectedIds() {
    Set<String> out = new TreeSet<>();
    for (EndpointStats st : stats.values()) {
      if (st.ejected) {
        out.add(st.id);
      }
    }
    return out;
  }

  /** Whether endpoint {@code endpointId} is ejected now. */
  boolean isEjected(String endpointId) {
    EndpointStats st = stats.get(endpointId);
    return st != null && st.ejected;
  }
}
