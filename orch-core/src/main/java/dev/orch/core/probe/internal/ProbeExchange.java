package dev.orch.core.probe.internal;

import dev.orch.api.runtime.ProbeResult;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.nio.channels.UnresolvedAddressException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * One probe of {@link NioProbeEngine}: an HTTP request and its answer, or a TCP connect. Owned by the
 * engine's thread once submitted.
 */
final class ProbeExchange {
  final InetSocketAddress address;
  /** The HTTP request's bytes; null for a TCP probe. */
  final byte[] request;
  final long timeoutNanos;
  final CompletableFuture<ProbeResult> future = new CompletableFuture<>();
  long deadline;
  ProbeConnection conn;
  boolean reused;
  boolean retried;
  boolean done;

  ProbeExchange(InetSocketAddress address, byte[] request, long timeoutNanos) {
    this.address = address;
    this.request = request;
    this.timeoutNanos = timeoutNanos;
  }

  /** The address as {@code host:port}. */
  String address() {
    return address.getHostString() + ":" + address.getPort();
  }

  /** Why the probe failed with {@code e}, after its address, in lower case. */
  String describe(Exception e) {
    if (e instanceof ConnectException) {
      return address() + ": connection refused";
    }
    if (e instanceof UnresolvedAddressException) {
      return address() + ": unknown host";
    }
    String m = e.getMessage();
    if (m == null || m.isEmpty()) {
      return address() + ": " + e.getClass().getSimpleName();
    }
    // "Connection reset by peer" reads as "connection reset by peer" after the address.
    return address() + ": " + Character.toLowerCase(m.charAt(0)) + m.substring(1);
  }

  /** The failure of a probe that ran out of time. */
  String timedOut() {
    long ms = TimeUnit.NANOSECONDS.toMillis(timeoutNanos);
    return address() + ": timed out after " + (ms >= 1000 && ms % 1000 == 0 ? ms / 1000 + "s" : ms + "ms");
  }
}
