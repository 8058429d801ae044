package dev.orch.docker;

import java.io.Closeable;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.SocketTimeoutException;
import java.net.StandardProtocolFamily;
import java.net.URI;
import java.net.UnknownHostException;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.AsynchronousCloseException;
import java.nio.channels.CancelledKeyException;
import java.nio.channels.ClosedSelectorException;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * A connection to an engine's API socket, {@code unix://} or plain {@code tcp://}, whose every connect, read and
 * write waits no later than a deadline ({@link System#nanoTime()} based, movable between steps of an exchange): a
 * blocking {@link SocketChannel} knows no time-outs, so the channel is non-blocking and waits on its own selector.
 * A deadline passed throws {@link SocketTimeoutException}; {@link #close()} from another thread ends a wait with
 * an {@link IOException}. One thread at a time reads or writes; {@code close} may come from any thread.
 */
final class EngineChannel implements Closeable {
  private final SocketChannel channel;
  private final Selector selector;
  private final SelectionKey key;
  private final String endpoint;
  private volatile long deadline;

  private EngineChannel(SocketChannel channel, Selector selector, String endpoint, long deadline)
      throws IOException {
    this.channel = channel;
    this.selector = selector;
    this.endpoint = endpoint;
    this.deadline = deadline;
    channel.configureBlocking(false);
    this.key = channel.register(selector, 0);
  }

  /** Whether {@code endpoint} is one this channel reaches: {@code unix:///path} or {@code tcp://host:port}. */
  static boolean reaches(URI endpoint) {
    return "unix".equals(endpoint.getScheme()) || "tcp".equals(endpoint.getScheme()) && endpoint.getHost() != null;
  }

  /**
   * Connects to {@code endpoint} by {@code deadline}.
   *
   * @throws IllegalArgumentException when {@link #reaches} says no
   * @throws IOException              when the connection fails, or does not complete in time
   */
  static EngineChannel connect(URI endpoint, long deadline) throws IOException {
    SocketChannel channel;
    SocketAddress address;
    if ("unix".equals(endpoint.getScheme())) {
      address = UnixDomainSocketAddress.of(Path.of(endpoint.getPath()));
      channel = SocketChannel.open(StandardProtocolFamily.UNIX);
    } else if (reaches(endpoint)) {
      InetSocketAddress inet = new InetSocketAddress(endpoint.getHost(), endpoint.getPort() < 0 ? 2375
          : endpoint.getPort());
      if (inet.isUnresolved()) {
        throw new UnknownHostException(endpoint + ": unknown host " + endpoint.getHost());
      }
      address = inet;
      channel = SocketChannel.open();
    } else {
      throw new IllegalArgumentException("endpoint \"" + endpoint + "\": must be unix:///path or tcp://host:port");
    }
    Selector selector = null;
    try {
      selector = Selector.open();
      EngineChannel c = new EngineChannel(channel, selector, endpoint.toString(), deadline);
      if (!channel.connect(address)) {
        while (!channel.finishConnect()) {
          c.await(SelectionKey.OP_CONNECT, "connecting");
        }
      }
      return c;
    } catch (IOException | RuntimeException e) {
      channel.close();
      if (selector != null) {
        selector.close();
      }
      throw e;
    }
  }

  /** Moves the deadline of every later wait. */
  void deadline(long deadline) {
    this.deadline = deadline;
  }

  /** Reads at least one byte into {@code dst} (which has room), or returns -1 at the end of the stream. */
  int read(ByteBuffer dst) throws IOException {
    for (;;) {
      int n = channel.read(dst);
      if (n != 0) {
        return n;
      }
      await(SelectionKey.OP_READ, "reading");
    }
  }

  /** Writes every remaining byte of {@code srcs}, in order. */
  void write(ByteBuffer... srcs) throws IOException {
    while (remaining(srcs) > 0) {
      if (channel.write(srcs) == 0) {
        await(SelectionKey.OP_WRITE, "writing");
      }
    }
  }

  /**
   * Waits until a read would find bytes or the end of the stream, or until {@code until} passes; returns which.
   *
   * @throws SocketTimeoutException when the deadline passes first
   */
  boolean readable(long until) throws IOException {
    long d = deadline;
    boolean deadlineFirst = d - until <= 0;
    if (select(SelectionKey.OP_READ, deadlineFirst ? d : until)) {
      return true;
    }
    if (deadlineFirst) {
      throw timedOut("waiting for an answer");
    }
    return false;
  }

  private void await(int op, String doing) throws IOException {
    if (!select(op, deadline)) {
      throw timedOut(doing);
    }
  }

  /** Waits until the channel is ready for {@code op}, or {@code until} passes; returns which. */
  private boolean select(int op, long until) throws IOException {
    try {
      key.interestOps(op);
      for (;;) {
        long left = until - System.nanoTime();
        if (left <= 0) {
          return false;
        }
        selector.selectedKeys().clear();
        if (selector.select(Math.max(1, TimeUnit.NANOSECONDS.toMillis(left))) > 0) {
          return true;
        }
        if (!channel.isOpen()) {
          throw new AsynchronousCloseException();
        }
        if (Thread.currentThread().isInterrupted()) { // a select returns at once while the flag is set
          throw new InterruptedIOException(endpoint + ": interrupted while waiting on the engine");
        }
      }
    } catch (ClosedSelectorException | CancelledKeyException closed) {
      throw new AsynchronousCloseException(); // closed by another thread
    }
  }

  private SocketTimeoutException timedOut(String doing) {
    return new SocketTimeoutException(endpoint + ": the deadline passed while " + doing);
  }

  private static long remaining(ByteBuffer[] bs) {
    long n = 0;
    for (ByteBuffer b : bs) {
      n += b.remaining();
    }
    return n;
  }

  /** Closes the connection; a wait in another thread ends. */
  @Override
  public void close() throws IOException {
    try {
      channel.close();
    } finally {
      selector.close(); // wakes a select in progress
    }
  }
}
