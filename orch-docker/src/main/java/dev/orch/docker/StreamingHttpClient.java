package dev.orch.docker;

import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;

/**
 * A bare HTTP/1.1 client that streams large bodies to and from an engine's API socket ({@code unix://} or plain
 * {@code tcp://}, see {@link EngineChannel}) in 256 KiB reads and writes: docker-java's zerodep transport reads a
 * response in chunks of a few hundred bytes, which makes a 100 MiB archive take seconds. One connection per
 * request ({@code Connection: close}); a response's body is decoded as {@link HttpBody} does; a request's body is
 * sent chunked, after the engine's {@code 100 Continue}, so that a refusal (no such container) comes back before
 * any of it is sent. No TLS, redirects, authentication or retries. Stateless and thread-safe; a {@link Response}
 * is not.
 */
final class StreamingHttpClient {
  /** The size of every read from, and of every chunk written to, the connection. */
  static final int BUFFER = 256 * 1024;
  /** The longest response head accepted. */
  private static final int MAX_HEAD = 64 * 1024;
  /** How long a request with a body waits for {@code 100 Continue} before sending the body anyway. */
  private static final long CONTINUE_WAIT = TimeUnit.SECONDS.toNanos(2);
  private static final byte[] CRLF = {'\r', '\n'};
  private static final byte[] LAST_CHUNK = "0\r\n\r\n".getBytes(StandardCharsets.US_ASCII);

  private final URI endpoint;

  /** A client of the engine at {@code endpoint}; {@link EngineChannel#reaches} must accept it. */
  StreamingHttpClient(URI endpoint) {
    if (!EngineChannel.reaches(endpoint)) {
      throw new IllegalArgumentException("endpoint \"" + endpoint + "\": must be unix:///path or tcp://host:port");
    }
    this.endpoint = endpoint;
  }

  /**
   * An engine's answer: its status, its headers (names in lower case) and its body, read from the connection as
   * the caller reads it. Closing it closes the connection. Not thread-safe.
   */
  static final class Response implements Closeable {
    private final int status;
    private final Map<String, String> headers;
    private final InputStream body;

    Response(int status, Map<String, String> headers, InputStream body) {
      this.status = status;
      this.headers = headers;
      this.body = body;
    }

    int status() {
      return status;
    }

    /** The value of header {@code name} (any case), or null if the answer has none. */
    @Nullable String header(String name) {
      return headers.get(name.toLowerCase(Locale.ROOT));
    }

    InputStream body() {
      return body;
    }

    /** The first {@code max} bytes of the body as UTF-8, for an error's message; the rest is left unread. */
    String text(int max) throws IOException {
      return new String(body.readNBytes(max), StandardCharsets.UTF_8).strip();
    }

    @Override
    public void close() throws IOException {
      body.close();
    }
  }

  /**
   * Sends {@code GET target} and returns the answer once its head has come, by {@code headDeadline}; its body
   * must then be read by {@code bodyDeadline} ({@link System#nanoTime()} values). The caller closes the answer.
   *
   * @throws java.net.SocketTimeoutException when a deadline passes
   * @throws IOException                     when the connection fails or the answer is not HTTP/1.x
   */
  Response get(String target, long headDeadline, long bodyDeadline) throws IOException {
    EngineChannel channel = EngineChannel.connect(endpoint, headDeadline);
    try {
      channel.write(ByteBuffer.wrap(head("GET", target, Map.of())));
      ByteBuffer buf = ByteBuffer.allocate(BUFFER).flip();
      Response r = readResponse(channel, buf, "GET");
      channel.deadline(bodyDeadline);
      return r;
    } catch (IOException | RuntimeException e) {
      channel.close();
      throw e;
    }
  }

  /**
   * Sends {@code PUT target} with {@code body} (read to its end, chunked, in reads of up to {@link #BUFFER}
   * bytes) and returns the answer, all by {@code deadline}; when the engine answers before taking the body, the
   * body is not read. The caller closes the answer. An {@link IOException} of reading {@code body} is thrown as
   * it is, the connection closed.
   *
   * @throws java.net.SocketTimeoutException when the deadline passes
   * @throws IOException                     when the connection fails or the answer is not HTTP/1.x
   */
  Response put(String target, String contentType, InputStream body, long deadline) throws IOException {
    EngineChannel channel = EngineChannel.connect(endpoint, deadline);
    try {
      channel.write(ByteBuffer.wrap(head("PUT", target, Map.of("Content-Type", contentType,
          "Transfer-Encoding", "chunked", "Expect", "100-continue"))));
      ByteBuffer buf = ByteBuffer.allocate(BUFFER).flip();
      if (channel.readable(System.nanoTime() + CONTINUE_WAIT)) {
        Response early = readHead(channel, buf, "PUT");
        if (early != null) {
          return early; // answered without the body: a refusal
        }
      }
      Response refused = sendChunked(channel, body, buf, deadline);
      if (refused != null) {
        return refused;
      }
      return readResponse(channel, buf, "PUT");
    } catch (IOException | RuntimeException e) {
      channel.close();
      throw e;
    }
  }

  /**
   * Sends {@code body} chunked; returns null once it is sent, or the answer the engine gave when it stopped
   * taking the body (a write failed, and an answer is there to read).
   */
  private static @Nullable Response sendChunked(EngineChannel channel, InputStream body, ByteBuffer buf,
                                                long deadline) throws IOException {
    byte[] data = new byte[BUFFER];
    ByteBuffer size = ByteBuffer.allocate(16);
    ByteBuffer crlf = ByteBuffer.wrap(CRLF);
    for (;;) {
      int n = body.read(data, 0, data.length);
      try {
        if (n < 0) {
          channel.write(ByteBuffer.wrap(LAST_CHUNK));
          return null;
        }
        if (n > 0) {
          size.clear().put(Integer.toHexString(n).getBytes(StandardCharsets.US_ASCII)).put(CRLF).flip();
          crlf.rewind();
          channel.write(size, ByteBuffer.wrap(data, 0, n), crlf);
        }
      } catch (IOException sending) {
        Response answer = answerAfter(channel, buf, deadline);
        if (answer == null) {
          throw sending;
        }
        return answer;
      }
    }
  }

  /** The answer the engine sent before the connection broke, or null if there is none to read. */
  private static @Nullable Response answerAfter(EngineChannel channel, ByteBuffer buf, long deadline) {
    long grace = System.nanoTime() + TimeUnit.SECONDS.toNanos(1);
    channel.deadline(deadline - grace < 0 ? deadline : grace);
    try {
      return readResponse(channel, buf, "PUT");
    } catch (IOException | RuntimeException none) {
      return null;
    }
  }

  /** Reads the final answer, past any {@code 1xx}. */
  private static Response readResponse(EngineChannel channel, ByteBuffer buf, String method) throws IOException {
    for (;;) {
      Response r = readHead(channel, buf, method);
      if (r != null) {
        return r;
      }
    }
  }

  /** Reads one response head; returns null for an interim ({@code 1xx}) one, else the answer. */
  private static @Nullable Response readHead(EngineChannel channel, ByteBuffer buf, String method)
      throws IOException {
    int end;
    while ((end = headEnd(buf)) < 0) {
      if (buf.remaining() >= MAX_HEAD) {
        throw new IOException("the engine's answer has a head longer than " + MAX_HEAD + " bytes");
      }
      buf.compact();
      int n;
      try {
        n = channel.read(buf);
      } finally {
        buf.flip();
      }
      if (n < 0) {
        throw new IOException(buf.hasRemaining() ? "the engine closed the connection within its answer's head"
            : "the engine closed the connection without answering " + method);
      }
    }
    String head = new String(buf.array(), buf.arrayOffset() + buf.position(), end - buf.position(),
        StandardCharsets.ISO_8859_1);
    buf.position(end);
    String[] lines = head.split("\r?\n");
    int status = status(lines[0]);
    Map<String, String> headers = new HashMap<>();
    for (int i = 1; i < lines.length; i++) {
      int colon = lines[i].indexOf(':');
      if (colon > 0) {
        headers.merge(lines[i].substring(0, colon).strip().toLowerCase(Locale.ROOT),
            lines[i].substring(colon + 1).strip(), (a, b) -> a + ", " + b);
      }
    }
    if (status >= 100 && status < 200) {
      return null;
    }
    return new Response(status, Map.copyOf(headers), body(channel, buf, status, headers));
  }

  private static HttpBody body(EngineChannel channel, ByteBuffer buf, int status, Map<String, String> headers)
      throws IOException {
    if (status == 204 || status == 304) {
      return HttpBody.ofLength(channel, buf, 0);
    }
    String encoding = headers.get("transfer-encoding");
    if (encoding != null && encoding.toLowerCase(Locale.ROOT).contains("chunked")) {
      return HttpBody.chunked(channel, buf);
    }
    String length = headers.get("content-length");
    if (length != null) {
      try {
        long n = Long.parseLong(length.strip());
        if (n >= 0) {
          return HttpBody.ofLength(channel, buf, n);
        }
      } catch (NumberFormatException e) {
        // Reported below.
      }
      throw new IOException("the engine's answer has Content-Length \"" + length + "\"");
    }
    return HttpBody.untilClose(channel, buf);
  }

  /** The position just past the blank line that ends the head in {@code buf}, or -1 if it has not come yet. */
  private static int headEnd(ByteBuffer buf) {
    for (int i = buf.position(); i < buf.limit(); i++) {
      if (buf.get(i) == '\n') {
        if (i + 1 < buf.limit() && buf.get(i + 1) == '\n') {
          return i + 2;
        }
        if (i + 2 < buf.limit() && buf.get(i + 1) == '\r' && buf.get(i + 2) == '\n') {
          return i + 3;
        }
      }
    }
    return -1;
  }

  private static int status(String line) throws IOException {
    String[] parts = line.split(" ", 3);
    if (parts.length < 2 || !parts[0].startsWith("HTTP/1.")) {
      throw new IOException("the engine's answer is not HTTP/1.x: \"" + (line.length() > 60
          ? line.substring(0, 60) + "..." : line) + "\"");
    }
    try {
      return Integer.parseInt(parts[1]);
    } catch (NumberFormatException e) {
      throw new IOException("the engine's answer has status \"" + parts[1] + "\"", e);
    }
  }

  private static byte[] head(String method, String target, Map<String, String> headers) {
    StringBuilder b = new StringBuilder(method).append(' ').append(target).append(" HTTP/1.1\r\n")
        .append("Host: docker\r\nUser-Agent: orch\r\nConnection: close\r\n");
    headers.forEach((k, v) -> b.append(k).append(": ").append(v).append("\r\n"));
    return b.append("\r\n").toString().getBytes(StandardCharsets.ISO_8859_1);
  }
}
