package dev.orch.jmh;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.Iterator;

/**
 * A tiny HTTP/1.1 server for benchmarks: one NIO thread on 127.0.0.1, keeps connections alive and answers
 * every request (anything up to a blank line) with a fixed {@code 200 ok}. Lean on purpose, so that the
 * client under test, not the server, is what a benchmark measures.
 */
final class LoopbackHttpServer implements AutoCloseable {
  private static final byte[] ANSWER =
      "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\nok".getBytes(StandardCharsets.ISO_8859_1);

  private final Selector selector;
  private final ServerSocketChannel server;
  private final Thread thread;
  private volatile boolean closed;

  LoopbackHttpServer() throws IOException {
    selector = Selector.open();
    server = ServerSocketChannel.open();
    server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 4096);
    server.configureBlocking(false);
    server.register(selector, SelectionKey.OP_ACCEPT);
    thread = new Thread(this::loop, "orch-bench-http");
    thread.setDaemon(true);
    thread.start();
  }

  int port() {
    return server.socket().getLocalPort();
  }

  String threadName() {
    return thread.getName();
  }

  /** Per connection: how far into "\r\n\r\n" the last read ended, and answers not yet written. */
  private static final class Conn {
    int matched;
    int owed;
    ByteBuffer out;
  }

  private void loop() {
    ByteBuffer in = ByteBuffer.allocateDirect(64 * 1024);
    try {
      while (!closed) {
        selector.select(500);
        Iterator<SelectionKey> it = selector.selectedKeys().iterator();
        while (it.hasNext()) {
          SelectionKey k = it.next();
          it.remove();
          try {
            if (!k.isValid()) {
              continue;
            }
            if (k.isAcceptable()) {
              SocketChannel c;
              while ((c = server.accept()) != null) {
                c.configureBlocking(false);
                c.setOption(java.net.StandardSocketOptions.TCP_NODELAY, true);
                c.register(selector, SelectionKey.OP_READ, new Conn());
              }
              continue;
            }
            SocketChannel ch = (SocketChannel) k.channel();
            Conn c = (Conn) k.attachment();
            if (k.isReadable()) {
              in.clear();
              int n = ch.read(in);
              if (n < 0) {
                k.cancel();
                ch.close();
                continue;
              }
              for (int i = 0; i < n; i++) {
                byte b = in.get(i);
                c.matched = (b == '\r' && (c.matched == 0 || c.matched == 2)) || (b == '\n' && (c.matched == 1 || c.matched == 3))
                    ? c.matched + 1 : (b == '\r' ? 1 : 0);
                if (c.matched == 4) {
                  c.owed++;
                  c.matched = 0;
                }
              }
            }
            write(k, ch, c);
          } catch (IOException e) {
            k.cancel();
            k.channel().close();
          }
        }
      }
    } catch (IOException e) {
      // closing
    } finally {
      for (SelectionKey k : selector.keys()) {
        try {
          k.channel().close();
        } catch (IOException e) {
          // closing anyway
        }
      }
      try {
        selector.close();
      } catch (IOException e) {
        // closing anyway
      }
    }
  }

  private static void write(SelectionKey k, SocketChannel ch, Conn c) throws IOException {
    while (true) {
      if (c.out == null || !c.out.hasRemaining()) {
        if (c.owed == 0) {
          k.interestOps(SelectionKey.OP_READ);
          return;
        }
        if (c.owed == 1) {
          c.owed = 0;
          c.out = ByteBuffer.wrap(ANSWER);
          ch.write(c.out);
          if (c.out.hasRemaining()) {
            k.interestOps(SelectionKey.OP_READ | SelectionKey.OP_WRITE);
            return;
          }
          continue;
        }
        byte[] batch = new byte[ANSWER.length * c.owed];
        for (int i = 0; i < c.owed; i++) {
          System.arraycopy(ANSWER, 0, batch, i * ANSWER.length, ANSWER.length);
        }
        c.owed = 0;
        c.out = ByteBuffer.wrap(batch);
      }
      ch.write(c.out);
      if (c.out.hasRemaining()) {
        k.interestOps(SelectionKey.OP_READ | SelectionKey.OP_WRITE);
        return;
      }
    }
  }

  @Override
  public void close() throws IOException {
    closed = true;
    selector.wakeup();
    try {
      thread.join(2000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    server.close();
  }
}
