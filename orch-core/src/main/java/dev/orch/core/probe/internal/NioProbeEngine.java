package dev.orch.core.probe.internal;

import dev.orch.api.runtime.ProbeResult;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.Iterator;
import java.util.PriorityQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.jctools.queues.MpscUnboundedArrayQueue;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * HTTP/1.1 GET and TCP-connect probes on one selector thread, with no thread per probe or per target.
 *
 * <p>HTTP probes reuse kept-alive connections, pooled per address (at most {@code maxIdlePerAddress} idle
 * ones each, closed after {@value #IDLE_SECONDS} s unused or as soon as the server closes them), so
 * a steady prober opens no new connection per probe and spends no ephemeral port per probe. A request
 * that fails on a reused connection before any byte of the answer arrived (the server had closed it) is
 * sent once more on a fresh connection before the probe counts as failed. TCP probes connect, then close
 * with a reset (linger 0), so that no TIME_WAIT is left behind. The selector loop enforces each probe's
 * timeout on the monotonic clock.
 *
 * <p>Thread-safe: any thread may submit; futures complete on the engine's thread, so what depends on
 * them must be quick. {@link #close()} stops the thread, closes every connection and fails what is
 * still in flight.
 */
public final class NioProbeEngine implements AutoCloseable {
  static final int IDLE_SECONDS = 30;
  private static final Logger LOG = LoggerFactory.getLogger(NioProbeEngine.class);
  private static final long IDLE_NANOS = TimeUnit.SECONDS.toNanos(IDLE_SECONDS);
  private static final long SWEEP_NANOS = TimeUnit.SECONDS.toNanos(1);

  private final Selector selector;
  private final Thread thread;
  private final MpscUnboundedArrayQueue<ProbeExchange> submissions = new MpscUnboundedArrayQueue<>(1024);
  private final AtomicBoolean sleeping = new AtomicBoolean();
  private final IdleConnections idle;
  private final PriorityQueue<ProbeExchange> deadlines =
      new PriorityQueue<>((a, b) -> Long.compare(a.deadline, b.deadline));
  private final AtomicLong opened = new AtomicLong();
  private final AtomicLong retries = new AtomicLong();
  private final AtomicInteger inFlight = new AtomicInteger();
  private volatile boolean closed;

  /**
   * Starts an engine whose selector thread (a daemon) is named {@code threadName}, keeping at most
   * {@code maxIdlePerAddress} idle connections per address (as many as probes of one address may run at
   * once, so that a burst does not turn into new connections).
   *
   * @throws IllegalArgumentException if {@code maxIdlePerAddress} is below 1
   * @throws java.io.UncheckedIOException if the selector cannot be opened
   */
  public NioProbeEngine(String threadName, int maxIdlePerAddress) {
    if (maxIdlePerAddress < 1) {
      throw new IllegalArgumentException("maxIdlePerAddress: " + maxIdlePerAddress + ": must be >= 1");
    }
    this.idle = new IdleConnections(maxIdlePerAddress, IDLE_NANOS);
    try {
      selector = Selector.open();
    } catch (IOException e) {
      throw new java.io.UncheckedIOException("probe engine: cannot open a selector", e);
    }
    thread = new Thread(this::loop, threadName);
    thread.setDaemon(true);
    thread.start();
  }

  /**
   * The request bytes of an HTTP/1.1 GET of {@code path} on {@code host:port}, asking to keep the
   * connection alive; build them once per target and pass them to {@link #http}.
   */
  public static byte[] httpRequest(String host, int port, String path) {
    String hostHeader = host.indexOf(':') >= 0 && !host.startsWith("[") ? "[" + host + "]" : host;
    return ("GET " + path + " HTTP/1.1\r\nHost: " + hostHeader + ":" + port
        + "\r\nUser-Agent: orch-probe\r\nAccept: */*\r\nConnection: keep-alive\r\n\r\n")
        .getBytes(StandardCharsets.ISO_8859_1);
  }

  /**
   * Sends {@code request} (from {@link #httpRequest}) to {@code address}; a 2xx or 3xx status passes,
   * any other status, a refused or reset connection or no whole answer within {@code timeoutNanos} fails.
   *
   * @return completes, never exceptionally, on the engine's thread
   */
  public CompletableFuture<ProbeResult> http(InetSocketAddress address, byte[] request, long timeoutNanos) {
    return submit(new ProbeExchange(address, request, timeoutNanos));
  }

  /**
   * Connects to {@code address}; an accepted connection passes, a refusal or no answer within
   * {@code timeoutNanos} fails.
   *
   * @return completes, never exceptionally, on the engine's thread
   */
  public CompletableFuture<ProbeResult> tcp(InetSocketAddress address, long timeoutNanos) {
    return submit(new ProbeExchange(address, null, timeoutNanos));
  }

  /** Connections opened since the engine started (a steady HTTP prober opens few). */
  public long connectionsOpened() {
    return opened.get();
  }

  /** Requests sent again on a fresh connection because a reused one was stale. */
  public long staleRetries() {
    return retries.get();
  }

  /** Probes submitted and not yet complete. */
  public int inFlight() {
    return inFlight.get();
  }

  /** Stops the selector thread, closes every connection and fails every probe in flight. Idempotent. */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    selector.wakeup();
    if (Thread.currentThread() != thread) {
      try {
        thread.join(TimeUnit.SECONDS.toMillis(5));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  private CompletableFuture<ProbeResult> submit(ProbeExchange x) {
    if (x.timeoutNanos <= 0) {
      throw new IllegalArgumentException("timeout: " + x.timeoutNanos + "ns: must be > 0");
    }
    inFlight.incrementAndGet();
    x.deadline = System.nanoTime() + x.timeoutNanos;
    if (closed) {
      fail(x, "prober closed");
      return x.future;
    }
    submissions.offer(x);
    if (sleeping.compareAndSet(true, false)) {
      selector.wakeup();
    }
    if (closed && !thread.isAlive()) {
      drainClosed();
    }
    return x.future;
  }

  private void loop() {
    long nextSweep = System.nanoTime() + SWEEP_NANOS;
    try {
      while (!closed) {
        long waitMs = 1000;
        ProbeExchange first = deadlines.peek();
        if (first != null) {
          long left = first.deadline - System.nanoTime();
          waitMs = Math.max(1, Math.min(waitMs, TimeUnit.NANOSECONDS.toMillis(left) + 1));
        }
        sleeping.set(true);
        if (submissions.isEmpty()) {
          selector.select(waitMs);
        } else {
          selector.selectNow();
        }
        sleeping.set(false);
        Iterator<SelectionKey> it = selector.selectedKeys().iterator();
        while (it.hasNext()) {
          SelectionKey key = it.next();
          it.remove();
          handle(key);
        }
        ProbeExchange x;
        while ((x = submissions.poll()) != null) {
          start(x);
        }
        long now = System.nanoTime();
        expire(now);
        if (now - nextSweep >= 0) {
          idle.sweep(now);
          nextSweep = now + SWEEP_NANOS;
        }
      }
    } catch (IOException | RuntimeException e) {
      LOG.error("probe engine {} stopped: {}", thread.getName(), e.toString(), e);
      closed = true;
    } finally {
      for (SelectionKey key : selector.keys()) {
        ProbeConnection.closeQuietly(((ProbeConnection) key.attachment()).channel);
      }
      idle.closeAll();
      for (ProbeExchange x : deadlines) {
        if (!x.done) {
          if (x.conn != null) {
            ProbeConnection.closeQuietly(x.conn.channel);
          }
          fail(x, "prober closed");
        }
      }
      deadlines.clear();
      drainClosed();
      try {
        selector.close();
      } catch (IOException e) {
        LOG.debug("closing the selector: {}", e.toString());
      }
    }
  }

  private synchronized void drainClosed() {
    ProbeExchange x;
    while ((x = submissions.poll()) != null) {
      fail(x, "prober closed");
    }
  }

  private void start(ProbeExchange x) {
    deadlines.add(x);
    if (x.request != null) {
      ProbeConnection c = idle.take(x.address);
      if (c != null) {
        x.reused = true;
        attach(c, x);
        try {
          c.out = ByteBuffer.wrap(x.request);
          flush(c);
        } catch (IOException e) {
          onError(c, e);
        }
        return;
      }
    }
    openNew(x);
  }

  private void openNew(ProbeExchange x) {
    SocketChannel ch = null;
    try {
      ch = SocketChannel.open();
      ch.configureBlocking(false);
      ch.setOption(StandardSocketOptions.TCP_NODELAY, true);
      opened.incrementAndGet();
      ProbeConnection c = new ProbeConnection(ch, x.address, x.request != null);
      attach(c, x);
      if (ch.connect(x.address)) {
        onConnected(c);
      } else {
        c.key = ch.register(selector, SelectionKey.OP_CONNECT, c);
      }
    } catch (IOException | RuntimeException e) {
      if (ch != null) {
        ProbeConnection.closeQuietly(ch);
      }
      fail(x, x.describe(e));
    }
  }

  private static void attach(ProbeConnection c, ProbeExchange x) {
    c.exchange = x;
    x.conn = c;
  }

  private void handle(SelectionKey key) {
    ProbeConnection c = (ProbeConnection) key.attachment();
    if (!key.isValid()) {
      return;
    }
    try {
      int ready = key.readyOps();
      if ((ready & SelectionKey.OP_CONNECT) != 0) {
        c.channel.finishConnect();
        onConnected(c);
        return;
      }
      if ((ready & SelectionKey.OP_WRITE) != 0) {
        flush(c);
      }
      if ((ready & SelectionKey.OP_READ) != 0 && key.isValid()) {
        onReadable(c);
      }
    } catch (IOException | RuntimeException e) {
      onError(c, e);
    }
  }

  private void onConnected(ProbeConnection c) throws IOException {
    ProbeExchange x = c.exchange;
    if (x.request == null) {
      // A TCP probe: accepted is enough. Reset instead of FIN so this side keeps no TIME_WAIT.
      c.channel.setOption(StandardSocketOptions.SO_LINGER, 0);
      ProbeConnection.closeQuietly(c.channel);
      complete(x, ProbeResult.passed());
      return;
    }
    c.out = ByteBuffer.wrap(x.request);
    flush(c);
  }

  private void flush(ProbeConnection c) throws IOException {
    c.channel.write(c.out);
    if (c.out.hasRemaining()) {
      interest(c, SelectionKey.OP_WRITE);
    } else {
      c.out = null;
      interest(c, SelectionKey.OP_READ);
    }
  }

  private void interest(ProbeConnection c, int ops) throws IOException {
    if (c.key == null) {
      c.key = c.channel.register(selector, ops, c);
    } else if (c.key.interestOps() != ops) {
      c.key.interestOps(ops);
    }
  }

  private void onReadable(ProbeConnection c) throws IOException {
    ProbeExchange x = c.exchange;
    if (x == null) {
      // An idle connection became readable: the server closed it (or sent something unasked). Drop it.
      idle.remove(c);
      ProbeConnection.closeQuietly(c.channel);
      return;
    }
    HttpResponseParser p = c.parser;
    int n = p.readFrom(c.channel);
    if (n < 0) {
      ProbeConnection.closeQuietly(c.channel);
      if (p.endsAtClose()) {
        complete(x, verdict(p.status()));
      } else if (!p.receivedAny() && x.reused && !x.retried) {
        retryFresh(x);
      } else {
        complete(x, ProbeResult.failed(x.address() + ": connection closed before the response was complete"));
      }
      return;
    }
    if (n > 0 && p.advance()) {
      int status = p.status();
      if (p.keepAlive() && !closed) {
        park(c);
      } else {
        ProbeConnection.closeQuietly(c.channel);
      }
      complete(x, verdict(status));
    }
  }

  private void park(ProbeConnection c) throws IOException {
    c.exchange = null;
    c.parser.reset();
    if (!idle.hasRoom(c.address)) {
      ProbeConnection.closeQuietly(c.channel);
      return;
    }
    interest(c, SelectionKey.OP_READ);
    idle.add(c, System.nanoTime());
  }

  private void onError(ProbeConnection c, Exception e) {
    ProbeConnection.closeQuietly(c.channel);
    ProbeExchange x = c.exchange;
    if (x == null) {
      idle.remove(c);
      return;
    }
    if (x.done) {
      return;
    }
    if (x.reused && !x.retried && (c.parser == null || !c.parser.receivedAny())) {
      retryFresh(x);
    } else {
      complete(x, ProbeResult.failed(x.describe(e)));
    }
  }

  private void retryFresh(ProbeExchange x) {
    // kubelet once killed healthy containers by failing probes on connections the server had closed.
    retries.incrementAndGet();
    x.retried = true;
    x.reused = false;
    x.conn = null;
    openNew(x);
  }

  private void expire(long now) {
    ProbeExchange x;
    while ((x = deadlines.peek()) != null && x.deadline - now <= 0) {
      deadlines.poll();
      if (!x.done) {
        if (x.conn != null) {
          ProbeConnection.closeQuietly(x.conn.channel);
          x.conn.exchange = null;
        }
        complete(x, ProbeResult.failed(x.timedOut()));
      }
    }
  }

  private static ProbeResult verdict(int status) {
    return status >= 200 && status < 400 ? ProbeResult.passed() : ProbeResult.failed("HTTP " + status);
  }

  private void complete(ProbeExchange x, ProbeResult r) {
    if (x.done) {
      return;
    }
    x.done = true;
    x.conn = null;
    inFlight.decrementAndGet();
    x.future.complete(r);
  }

  private void fail(ProbeExchange x, String message) {
    complete(x, ProbeResult.failed(message));
  }
}
