package dev.orch.etcd;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A TCP forwarder on 127.0.0.1 in front of one etcd member, that a test can cut: {@link #cut()} drops every
 * connection through it and refuses new ones until {@link #mend()}, as a network partition of the one client
 * that goes through it. Thread-safe.
 */
final class TcpCut implements AutoCloseable {
  private final ServerSocket server;
  private final InetSocketAddress target;
  private final List<Socket> open = new CopyOnWriteArrayList<>();
  private volatile boolean cut;
  private volatile boolean closed;

  /** Forwards a port of its own to the member at {@code url} ({@code http://127.0.0.1:20379}). */
  TcpCut(String url) throws IOException {
    java.net.URI u = java.net.URI.create(url);
    this.target = new InetSocketAddress(u.getHost(), u.getPort());
    this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    Thread t = new Thread(this::accept, "tcp-cut-" + server.getLocalPort());
    t.setDaemon(true);
    t.start();
  }

  /** The URL a client connects to instead of the member's. */
  String url() {
    return "http://127.0.0.1:" + server.getLocalPort();
  }

  /** Drops every connection and refuses new ones. */
  void cut() {
    cut = true;
    for (Socket s : open) {
      close(s);
    }
  }

  /** Lets connections through again. */
  void mend() {
    cut = false;
  }

  private void accept() {
    while (!closed) {
      try {
        Socket client = server.accept();
        if (cut) {
          close(client);
          continue;
        }
        Socket member = new Socket(target.getAddress(), target.getPort());
        open.add(client);
        open.add(member);
        pipe(client, member);
        pipe(member, client);
      } catch (IOException e) {
        if (closed) {
          return;
        }
      }
    }
  }

  private void pipe(Socket from, Socket to) {
    Thread t = new Thread(() -> {
      byte[] buf = new byte[16384];
      try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
        for (int n; (n = in.read(buf)) >= 0; ) {
          if (cut) {
            break;
          }
          out.write(buf, 0, n);
          out.flush();
        }
      } catch (IOException e) {
        // one side closed: both go
      } finally {
        close(from);
        close(to);
      }
    }, "tcp-cut-pipe");
    t.setDaemon(true);
    t.start();
  }

  private void close(Socket s) {
    open.remove(s);
    try {
      s.close();
    } catch (IOException e) {
      // closed already
    }
  }

  @Override
  public void close() throws IOException {
    closed = true;
    cut();
    server.close();
  }
}
