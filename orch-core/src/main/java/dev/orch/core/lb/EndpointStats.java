package dev.orch.core.lb;

import dev.orch.api.time.ScheduledTask;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import org.jspecify.annotations.Nullable;

/** Padding before the hot counter, so that neighbouring endpoints' counters do not share a cache line. */
abstract class EndpointStatsPad0 {
  long p00, p01, p02, p03, p04, p05, p06, p07;
}

/**
 * The fields a pick reads, on one cache line: the in-flight counter (written on every pick and report)
 * and the latency EWMA with its stamp (written on reports).
 */
abstract class EndpointStatsHot extends EndpointStatsPad0 {
  volatile long inFlight;
  volatile double ewmaNanos;
  volatile long ewmaStamp;
}

/** Padding after the hot counter. */
abstract class EndpointStatsPad1 extends EndpointStatsHot {
  long p10, p11, p12, p13, p14, p15, p16, p17;
}

/**
 * The mutable statistics of one endpoint, kept by id across snapshots: in-flight requests, consecutive
 * failures, the peak-EWMA latency and the ejection state.
 *
 * <p>Thread-safety: the in-flight count and failure count are atomic; the EWMA is updated under this
 * object's monitor and read racily by picks; the ejection and membership fields are guarded by the
 * owning load balancer's lock.
 */
final class EndpointStats extends EndpointStatsPad1 {
  private static final VarHandle IN_FLIGHT;
  private static final VarHandle FAILURES;
  private static final VarHandle REPORTED;

  static {
    try {
      MethodHandles.Lookup l = MethodHandles.lookup();
      IN_FLIGHT = l.findVarHandle(EndpointStatsHot.class, "inFlight", long.class);
      FAILURES = l.findVarHandle(EndpointStats.class, "consecutiveFailures", int.class);
      REPORTED = l.findVarHandle(EndpointStats.class, "reported", long.class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  /** Finagle's penalty for an endpoint with requests in flight but no latency observed yet. */
  static final double PENALTY = (double) (Long.MAX_VALUE >> 16);

  final String id;
  volatile int consecutiveFailures;
  /** Requests reported done on this endpoint, ever (what a requests-per-second rate is taken from). */
  volatile long reported;

  // Guarded by the load balancer's lock.
  boolean member;
  boolean lastReady;
  boolean ejected;
  int ejections;
  long returnedAt = Long.MIN_VALUE;
  long slowStartSince = Long.MIN_VALUE;
  @Nullable ScheduledTask unejectTask;

  EndpointStats(String id) {
    this.id = id;
  }

  /**
   * Counts a request reported done: a plain (opaque) increment, not an atomic one, so that the report path
   * pays no locked instruction; two threads reporting on one endpoint at once may lose a count, which a rate for
   * autoscaling can bear.
   */
  void reported() {
    REPORTED.setOpaque(this, (long) REPORTED.getOpaque(this) + 1);
  }

  void acquire() {
    IN_FLIGHT.getAndAdd(this, 1L);
  }

  void release() {
    long before = (long) IN_FLIGHT.getAndAdd(this, -1L);
    if (before <= 0) {
      // A report without a pick; never let the count go negative.
      IN_FLIGHT.getAndAdd(this, 1L);
    }
  }

  long inFlight() {
    return inFlight;
  }

  int failed() {
    return (int) FAILURES.getAndAdd(this, 1) + 1;
  }

  void succeeded() {
    if (consecutiveFailures != 0) {
      consecutiveFailures = 0;
    }
  }

  /** Peak-sensitive EWMA (Finagle): a slower sample takes over at once, a faster one decays in. */
  synchronized void observe(long nowNanos, long rttNanos, double tauNanos) {
    double ewma = ewmaNanos;
    long td = Math.max(0, nowNanos - ewmaStamp);
    double rtt = rttNanos;
    if (rtt > ewma) {
      ewmaNanos = rtt;
    } else {
      double w = Math.exp(-td / tauNanos);
      ewmaNanos = ewma * w + rtt * (1.0 - w);
    }
    ewmaStamp = nowNanos;
  }

  /**
   * Whether sending one more request to {@code b} costs less than to {@code a}, by Finagle's peak-EWMA
   * cost: latency EWMA decayed to now, times (in flight + 1). Both decay to the same "now", so only the
   * difference of their stamps matters, and no clock is read; when the stamps are close (the usual case
   * under load) a short series replaces the exponential.
   */
  static boolean cheaper(EndpointStats b, EndpointStats a, double inverseTauNanos) {
    double ea = a.ewmaNanos;
    double eb = b.ewmaNanos;
    long pa = a.inFlight;
    long pb = b.inFlight;
    if (ea == 0.0 || eb == 0.0) {
      return coldCost(eb, pb) < coldCost(ea, pa);
    }
    double x = (b.ewmaStamp - a.ewmaStamp) * inverseTauNanos;
    double f = Math.abs(x) < 0.01 ? 1.0 + x + 0.5 * x * x : Math.exp(x);
    return eb * (pb + 1) * f < ea * (pa + 1);
  }

  /** The cost before decay; an endpoint with requests in flight but no latency yet gets a penalty. */
  private static double coldCost(double ewma, long pending) {
    if (ewma == 0.0) {
      return pending == 0 ? 0.0 : PENALTY + pending;
    }
    return ewma * (pending + 1);
  }
}
