package dev.orch.inmemory;

import dev.orch.api.runtime.Subscription;
import dev.orch.api.time.TimeSource;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import org.jspecify.annotations.Nullable;

/** The active {@link CallFault}s and the decision, per call, of how late it answers and whether it fails. */
final class FaultInjector {
  /** What a call suffers: a delay, and the fault that fails it (or null). */
  record Decision(Duration latency, @Nullable CallFault failure) {
  }

  private static final Decision NONE = new Decision(Duration.ZERO, null);

  private final TimeSource time;
  private final Duration baseLatency;
  private final List<Active> active = new ArrayList<>();

  FaultInjector(TimeSource time, Duration baseLatency) {
    this.time = time;
    this.baseLatency = baseLatency;
  }

  synchronized Subscription inject(CallFault fault) {
    long end = fault.lasting().map(d -> time.nanoTime() + d.toNanos()).orElse(Long.MAX_VALUE);
    Active a = new Active(fault, end, fault.times());
    active.add(a);
    return () -> {
      synchronized (FaultInjector.this) {
        active.remove(a);
      }
    };
  }

  synchronized void clear() {
    active.clear();
  }

  /** Decides the fate of one call of {@code op} concerning {@code nodeId} (null: no node), consuming counts. */
  synchronized Decision decide(RuntimeOperation op, @Nullable String nodeId) {
    if (active.isEmpty()) {
      return baseLatency.isZero() ? NONE : new Decision(baseLatency, null);
    }
    long now = time.nanoTime();
    Duration latency = baseLatency;
    CallFault failure = null;
    for (Iterator<Active> it = active.iterator(); it.hasNext(); ) {
      Active a = it.next();
      if (now >= a.endNanos) {
        it.remove();
        continue;
      }
      if (!a.fault.matches(op, nodeId)) {
        continue;
      }
      boolean used = false;
      if (a.fault.isFailing() && failure == null) {
        failure = a.fault;
        used = true;
      }
      if (!a.fault.latency().isZero()) {
        latency = a.fault.latency().compareTo(latency) > 0 ? a.fault.latency() : latency;
        used = true;
      }
      if (used && a.remaining > 0 && --a.remaining == 0) {
        it.remove();
      }
    }
    return new Decision(latency, failure);
  }

  private static final class Active {
    final CallFault fault;
    final long endNanos;
    int remaining;

    Active(CallFault fault, long endNanos, int remaining) {
      this.fault = fault;
      this.endNanos = endNanos;
      this.remaining = remaining;
    }
  }
}
