package dev.orch.core.probe.internal;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.SocketChannel;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** A connection of {@link NioProbeEngine} and the exchange it carries, if any. Owned by the engine's thread. */
final class ProbeConnection {
  private static final Logger LOG = LoggerFactory.getLogger(ProbeConnection.class);

  final SocketChannel channel;
  final InetSocketAddress address;
  /** The response parser of an HTTP connection; null for a TCP probe's. */
  final HttpResponseParser parser;
  SelectionKey key;
  ProbeExchange exchange;
  ByteBuffer out;
  long idleSince;

  ProbeConnection(SocketChannel channel, InetSocketAddress address, boolean http) {
    this.channel = channel;
    this.address = address;
    this.parser = http ? new HttpResponseParser() : null;
  }

  /** Closes {@code ch}, logging (at debug) rather than throwing what closing it throws. */
  static void closeQuietly(SocketChannel ch) {
    try {
      ch.close();
    } catch (IOException e) {
      LOG.debug("closing {}: {}", ch, e.toString());
    }
  }
}
