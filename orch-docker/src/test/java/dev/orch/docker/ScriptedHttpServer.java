package dev.orch.docker;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.net.URI;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * A server for one HTTP exchange, on 127.0.0.1 or on a unix socket, that plays a script: the test's
 * {@link Script} reads the request and writes whatever bytes it likes. {@link #done()} completes when the script
 * has run (exceptionally with what it threw). For the tests of {@link StreamingHttpClient}.
 */
final class ScriptedHttpServer implements AutoCloseable {
  /** What the server does with the one connection it accepts. */
  interface Script {
    void play(Exchange x) throws Exception;
  }

  /** The server's side of the connection. */
  static final class Exchange {
    final InputStream in;
    final OutputStream out;

    Exchange(SocketChannel channel) {
      this.in = Channels.newInputStream(channel);
      this.out = Channels.newOutputStream(channel);
    }

    /** Reads the request head up to its blank line; returns it without the blank line. */
    String head() throws IOException {
      ByteArrayOutputStream b = new ByteArrayOutputStream();
      int state = 0;
      while (state < 4) {
        int c = in.read();
        if (c < 0) {
          throw new IOException("the request ends within its head: " + b);
        }
        b.write(c);
        state = c == (state % 2 == 0 ? '\r' : '\n') ? state + 1 : c == '\r' ? 1 : 0;
      }
      String s = b.toString(StandardCharsets.ISO_8859_1);
      return s.substring(0, s.length() - 4);
    }

    /** Reads a chunked body to its last chunk; returns it, and each chunk's size into {@code sizes} if not null. */
    byte[] chunkedBody(java.util.List<Integer> sizes) throws IOException {
      ByteArrayOutputStream body = new ByteArrayOutputStream();
      for (;;) {
        int size = Integer.parseInt(line(), 16);
        if (size == 0) {
          if (!line().isEmpty()) {
            throw new IOException("a trailer after the last chunk");
          }
          return body.toByteArray();
        }
        if (sizes != null) {
          sizes.add(size);
        }
        body.write(in.readNBytes(size));
        if (!line().isEmpty()) {
          throw new IOException("a chunk's data does not end in CRLF");
        }
      }
    }

    private String line() throws IOException {
      ByteArrayOutputStream b = new ByteArrayOutputStream();
      for (int c; (c = in.read()) != '\n'; ) {
        if (c < 0) {
          throw new IOException("the request ends within a line");
        }
        b.write(c);
      }
      String s = b.toString(StandardCharsets.ISO_8859_1);
      if (!s.endsWith("\r")) {
        throw new IOException("a line not ended by CRLF: " + s);
      }
      return s.substring(0, s.length() - 1);
    }

    void write(String s) throws IOException {
      write(s.getBytes(StandardCharsets.ISO_8859_1));
    }

    void write(byte[] b) throws IOException {
      out.write(b);
      out.flush();
    }
  }

  private final ServerSocketChannel server;
  private final URI endpoint;
  private final CompletableFuture<Void> done = new CompletableFuture<>();
  private volatile SocketChannel accepted;

  private ScriptedHttpServer(ServerSocketChannel server, URI endpoint, Script script) {
    this.server = server;
    this.endpoint = endpoint;
    Thread t = new Thread(() -> {
      try (SocketChannel c = server.accept()) {
        accepted = c;
        script.play(new Exchange(c));
        done.complete(null);
      } catch (Throwable e) {
        done.completeExceptionally(e);
      }
    }, "scripted-http-server");
    t.setDaemon(true);
    t.start();
  }

  /** A server on 127.0.0.1, on a free port. */
  static ScriptedHttpServer tcp(Script script) throws IOException {
    ServerSocketChannel s = ServerSocketChannel.open();
    s.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
    int port = ((InetSocketAddress) s.getLocalAddress()).getPort();
    return new ScriptedHttpServer(s, URI.create("tcp://127.0.0.1:" + port), script);
  }

  /** A server on a unix socket in {@code dir}. */
  static ScriptedHttpServer unix(Path dir, Script script) throws IOException {
    Path socket = dir.resolve("engine.sock");
    ServerSocketChannel s = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
    s.bind(UnixDomainSocketAddress.of(socket));
    return new ScriptedHttpServer(s, URI.create("unix://" + socket), script);
  }

  URI endpoint() {
    return endpoint;
  }

  /** Completes when the script has run; exceptionally with what it threw. */
  CompletableFuture<Void> done() {
    return done;
  }

  /** Waits for the script, failing with what it threw. */
  void awaitScript() throws Exception {
    try {
      done.get(30, TimeUnit.SECONDS);
    } catch (java.util.concurrent.ExecutionException e) {
      throw e.getCause() instanceof Exception ex ? ex : e;
    }
  }

  @Override
  public void close() throws IOException {
    SocketChannel c = accepted;
    if (c != null) {
      c.close();
    }
    server.close();
  }
}
