package dev.orch.docker;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * The body of an HTTP/1.1 response, decoded as it is read: of a {@code Content-Length}, {@code chunked} (chunk
 * extensions and trailers skipped), or up to the end of the connection. Reads straight from the connection's
 * buffer, each read returning what the buffer holds (up to one socket read's worth) rather than waiting to fill
 * the caller's array; a body that ends early fails with an {@link EOFException}. {@link #close()} closes the
 * connection. Not thread-safe.
 */
final class HttpBody extends InputStream {
  /** The longest chunk-size or trailer line accepted. */
  private static final int MAX_LINE = 8 * 1024;

  private enum State { DATA, DATA_END, SIZE, TRAILER, UNTIL_CLOSE, DONE }

  private final EngineChannel channel;
  /** Bytes read from the connection and not yet decoded, between position and limit. */
  private final ByteBuffer buf;
  private final boolean chunked;
  private State state;
  /** What is left of the body or of the current chunk, in {@link State#DATA}. */
  private long remaining;
  private volatile boolean closed;

  private HttpBody(EngineChannel channel, ByteBuffer buf, boolean chunked, State state, long remaining) {
    this.channel = channel;
    this.buf = buf;
    this.chunked = chunked;
    this.state = state;
    this.remaining = remaining;
  }

  /** A body of {@code length} bytes, the first of them in {@code buf} (read mode). */
  static HttpBody ofLength(EngineChannel channel, ByteBuffer buf, long length) {
    return new HttpBody(channel, buf, false, length == 0 ? State.DONE : State.DATA, length);
  }

  /** A chunked body, the first of it in {@code buf} (read mode). */
  static HttpBody chunked(EngineChannel channel, ByteBuffer buf) {
    return new HttpBody(channel, buf, true, State.SIZE, 0);
  }

  /** A body that ends with the connection, the first of it in {@code buf} (read mode). */
  static HttpBody untilClose(EngineChannel channel, ByteBuffer buf) {
    return new HttpBody(channel, buf, false, State.UNTIL_CLOSE, 0);
  }

  @Override
  public int read() throws IOException {
    byte[] one = new byte[1];
    int n = read(one, 0, 1);
    return n < 0 ? -1 : one[0] & 0xff;
  }

  @Override
  public int read(byte[] b, int off, int len) throws IOException {
    Objects.checkFromIndexSize(off, len, b.length);
    if (closed) {
      throw new IOException("the response body is closed");
    }
    if (len == 0) {
      return 0;
    }
    int copied = 0;
    while (copied < len) {
      switch (state) {
        case DATA, UNTIL_CLOSE -> {
          if (!buf.hasRemaining()) {
            if (copied > 0) {
              return copied; // what has come so far, rather than wait for more
            }
            if (!fill()) {
              if (state == State.UNTIL_CLOSE) {
                state = State.DONE;
                return -1;
              }
              throw new EOFException("the response body ends " + remaining + " bytes short");
            }
          }
          int n = Math.min(len - copied, buf.remaining());
          if (state == State.DATA) {
            n = (int) Math.min(n, remaining);
            remaining -= n;
          }
          buf.get(b, off + copied, n);
          copied += n;
          if (state == State.DATA && remaining == 0) {
            state = chunked ? State.DATA_END : State.DONE;
          }
        }
        case DATA_END, SIZE, TRAILER -> {
          String line = line();
          if (line == null) {
            if (copied > 0) {
              return copied;
            }
            if (!fill()) {
              throw new EOFException("the chunked response body ends before its last chunk");
            }
          } else {
            onLine(line);
          }
        }
        default -> { // DONE
          return copied > 0 ? copied : -1;
        }
      }
    }
    return copied;
  }

  @Override
  public int available() {
    return state == State.DATA ? (int) Math.min(buf.remaining(), remaining)
        : state == State.UNTIL_CLOSE ? buf.remaining() : 0;
  }

  /** Closes the connection, whatever of the body is left unread. */
  @Override
  public void close() throws IOException {
    closed = true;
    channel.close();
  }

  private void onLine(String line) throws IOException {
    switch (state) {
      case DATA_END -> {
        if (!line.isEmpty()) {
          throw new IOException("malformed chunked response body: a chunk's data runs on into \"" + shown(line)
              + "\"");
        }
        state = State.SIZE;
      }
      case SIZE -> {
        int semi = line.indexOf(';');
        String hex = (semi < 0 ? line : line.substring(0, semi)).strip();
        long size;
        try {
          size = hex.isEmpty() || hex.length() > 15 ? -1 : Long.parseLong(hex, 16);
        } catch (NumberFormatException e) {
          size = -1;
        }
        if (size < 0) {
          throw new IOException("malformed chunked response body: chunk size \"" + shown(line) + "\"");
        }
        if (size == 0) {
          state = State.TRAILER;
        } else {
          remaining = size;
          state = State.DATA;
        }
      }
      default -> { // TRAILER: header lines up to an empty one
        if (line.isEmpty()) {
          state = State.DONE;
        }
      }
    }
  }

  /** The next line in the buffer (without its CRLF or LF), consumed; null when the buffer holds no whole line. */
  private @Nullable String line() throws IOException {
    int start = buf.position();
    for (int i = start; i < buf.limit(); i++) {
      if (buf.get(i) == '\n') {
        int end = i > start && buf.get(i - 1) == '\r' ? i - 1 : i;
        String line = new String(buf.array(), buf.arrayOffset() + start, end - start, StandardCharsets.ISO_8859_1);
        buf.position(i + 1);
        return line;
      }
    }
    if (buf.remaining() > MAX_LINE) {
      throw new IOException("malformed chunked response body: a line longer than " + MAX_LINE + " bytes");
    }
    return null;
  }

  /** Reads more of the connection into the buffer; false at its end. */
  private boolean fill() throws IOException {
    buf.compact();
    try {
      return channel.read(buf) >= 0;
    } finally {
      buf.flip();
    }
  }

  private static String shown(String line) {
    return line.length() > 40 ? line.substring(0, 40) + "..." : line;
  }
}
