package dev.orch.core.probe.internal;

import java.net.InetSocketAddress;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;

/**
 * The kept-alive HTTP connections of {@link NioProbeEngine} that carry no probe now, pooled per address:
 * at most {@code maxPerAddress} each, the most recently used first, closed once idle longer than
 * {@code maxIdleNanos} or closed by the server. Owned by the engine's thread.
 */
final class IdleConnections {
  private final Map<InetSocketAddress, ArrayDeque<ProbeConnection>> byAddress = new HashMap<>();
  private final int maxPerAddress;
  private final long maxIdleNanos;

  IdleConnections(int maxPerAddress, long maxIdleNanos) {
    this.maxPerAddress = maxPerAddress;
    this.maxIdleNanos = maxIdleNanos;
  }

  /** The most recently parked open connection to {@code address}, taken out of the pool; null if none. */
  ProbeConnection take(InetSocketAddress address) {
    ArrayDeque<ProbeConnection> q = byAddress.get(address);
    ProbeConnection c;
    while (q != null && (c = q.pollLast()) != null) {
      if (c.channel.isOpen()) {
        return c;
      }
    }
    return null;
  }

  /** Whether one more connection to {@code address} may be parked. */
  boolean hasRoom(InetSocketAddress address) {
    ArrayDeque<ProbeConnection> q = byAddress.get(address);
    return q == null || q.size() < maxPerAddress;
  }

  /** Parks {@code c}, idle since {@code now} (after {@link #hasRoom}). */
  void add(ProbeConnection c, long now) {
    c.idleSince = now;
    byAddress.computeIfAbsent(c.address, a -> new ArrayDeque<>()).addLast(c);
  }

  /** Forgets {@code c} (the server closed it). */
  void remove(ProbeConnection c) {
    ArrayDeque<ProbeConnection> q = byAddress.get(c.address);
    if (q != null) {
      q.remove(c);
    }
  }

  /** Closes and forgets every connection idle too long at {@code now}, or already closed. */
  void sweep(long now) {
    Iterator<ArrayDeque<ProbeConnection>> qs = byAddress.values().iterator();
    while (qs.hasNext()) {
      ArrayDeque<ProbeConnection> q = qs.next();
      q.removeIf(c -> {
        if (now - c.idleSince > maxIdleNanos || !c.channel.isOpen()) {
          ProbeConnection.closeQuietly(c.channel);
          return true;
        }
        return false;
      });
      if (q.isEmpty()) {
        qs.remove();
      }
    }
  }

  /** Closes and forgets every connection. */
  void closeAll() {
    for (ArrayDeque<ProbeConnection> q : byAddress.values()) {
      for (ProbeConnection c : q) {
        ProbeConnection.closeQuietly(c.channel);
      }
    }
    byAddress.clear();
  }
}
