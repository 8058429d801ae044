package dev.orch.core.lb;

import dev.orch.api.time.ScheduledTask;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/** Padding before the hot counter, so that neighbouring endpoints' counters do not share a cache line. */
abstract class EndpointStatsPad0 {
  long p00, p01, p02, p03, p04, p05, p06, p07;
}

/** The in-flight counter, written on every pick and every report. */
abstract class EndpointStatsHot extends EndpointStatsPad0 {
  volatile long inFlight;
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

  static {
    try {
      MethodHandles.Lookup l = MethodHandles.lookup();
      IN_FLIGHT = l.findVarHandle(EndpointStatsHot.class, "inFlight", long.class);
      FAILURES = l.findVarHandle(EndpointStats.class, "consecutiveFailures", int.class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  /** Finagle's penalty for an endpoint with requests in flight but no latency observed yet. */
  static final double PENALTY = (double) (Long.MAX_VALUE >> 16);

  final String id;
  volatile int consecutiveFailures;
  volatile double ewmaNanos;
  volatile long ewmaStamp;

  // Guarded by the load balancer's lock.
  boolean member;
  boolean lastReady;
  boolean ejected;
  int ejections;
  long returnedAt = Long.MIN_VALUE;
  long slowStartSince = Long.MIN_VALUE;
  ScheduledTask unejectTask;

  EndpointStats(String id) {
    this.id = id;
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

  /** The peak-EWMA cost of sending one more request here: decayed latency times (in-flight + 1). */
  double cost(long nowNanos, double tauNanos) {
    double ewma = ewmaNanos;
    long pending = inFlight;
    if (ewma == 0.0) {
      return pending == 0 ? 0.0 : PENALTY + pending;
    }
    long age = nowNanos - ewmaStamp;
    if (age > 0) {
      ewma *= Math.exp(-age / tauNanos);
    }
    return ewma * (pending + 1);
  }
}
