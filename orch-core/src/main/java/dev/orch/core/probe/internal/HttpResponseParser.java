package dev.orch.core.probe.internal;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ReadableByteChannel;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * Reads one HTTP/1.x response at a time, incrementally, as bytes arrive: enough to know its status, where
 * it ends (Content-Length, chunked, or the connection's close) and whether the connection may be reused.
 * The body is skipped, never kept. {@link #reset()} readies it for the next response on the same
 * connection. Not thread-safe: one connection's I/O thread owns it.
 */
public final class HttpResponseParser {
  static final int MAX_HEAD_BYTES = 64 * 1024;
  private static final int MAX_LINE_BYTES = 8 * 1024;

  private enum State { HEAD, BODY_LENGTH, CHUNK_SIZE, CHUNK_DATA, CHUNK_END, TRAILERS, BODY_UNTIL_CLOSE, DONE }

  private byte[] buf = new byte[1024];
  private ByteBuffer view = ByteBuffer.wrap(buf);
  private int start;
  private int end;
  private int scan;
  private long received;
  private State state = State.HEAD;
  private int status = -1;
  private boolean keepAlive;
  private long remaining;

  /** Readies the parser for the next response; bytes already read past the last response are dropped. */
  public void reset() {
    start = 0;
    end = 0;
    scan = 0;
    received = 0;
    state = State.HEAD;
    status = -1;
    keepAlive = false;
    remaining = 0;
  }

  /**
   * Reads what {@code channel} has into the buffer.
   *
   * @return the bytes read, or -1 at the end of the stream
   * @throws IOException from the channel, or when the response head exceeds 64 KiB
   */
  public int readFrom(ReadableByteChannel channel) throws IOException {
    if (start == end) {
      start = 0;
      end = 0;
      scan = 0;
    }
    if (end == buf.length) {
      if (start > 0) {
        System.arraycopy(buf, start, buf, 0, end - start);
        end -= start;
        scan = Math.max(0, scan - start);
        start = 0;
      } else if (buf.length >= MAX_HEAD_BYTES) {
        throw new IOException("response head or line larger than " + MAX_HEAD_BYTES + " bytes");
      } else {
        byte[] bigger = new byte[buf.length * 2];
        System.arraycopy(buf, 0, bigger, 0, end);
        buf = bigger;
        view = ByteBuffer.wrap(buf);
      }
    }
    view.limit(buf.length).position(end);
    int n = channel.read(view);
    if (n > 0) {
      end += n;
      received += n;
    }
    return n;
  }

  /** Feeds bytes directly, for tests and for callers that read themselves. */
  public void feed(byte[] bytes, int offset, int length) {
    if (start == end) {
      start = 0;
      end = 0;
      scan = 0;
    }
    if (end + length > buf.length) {
      int needed = end - start + length;
      byte[] bigger = new byte[Math.max(buf.length, Integer.highestOneBit(Math.max(needed, 1)) << 1)];
      System.arraycopy(buf, start, bigger, 0, end - start);
      end -= start;
      scan = Math.max(0, scan - start);
      start = 0;
      buf = bigger;
      view = ByteBuffer.wrap(buf);
    }
    System.arraycopy(bytes, offset, buf, end, length);
    end += length;
    received += length;
  }

  /**
   * Parses what has arrived.
   *
   * @return true once the whole response has been read
   * @throws IOException when the response is not HTTP/1.x as it should be
   */
  public boolean advance() throws IOException {
    while (true) {
      switch (state) {
        case HEAD -> {
          int eoh = indexOf4(Math.max(start, scan));
          if (eoh < 0) {
            scan = Math.max(start, end - 3);
            return false;
          }
          parseHead(start, eoh);
          start = eoh + 4;
        }
        case BODY_LENGTH, CHUNK_DATA -> {
          int n = (int) Math.min(remaining, end - start);
          start += n;
          remaining -= n;
          if (remaining > 0) {
            return false;
          }
          state = state == State.BODY_LENGTH ? State.DONE : State.CHUNK_END;
        }
        case CHUNK_END -> {
          if (end - start < 2) {
            return false;
          }
          if (buf[start] != '\r' || buf[start + 1] != '\n') {
            throw new IOException("malformed chunked body: chunk not followed by CRLF");
          }
          start += 2;
          state = State.CHUNK_SIZE;
        }
        case CHUNK_SIZE -> {
          int eol = lineEnd();
          if (eol < 0) {
            return false;
          }
          remaining = chunkSize(start, eol);
          start = eol + 2;
          state = remaining == 0 ? State.TRAILERS : State.CHUNK_DATA;
        }
        case TRAILERS -> {
          int eol = lineEnd();
          if (eol < 0) {
            return false;
          }
          boolean empty = eol == start;
          start = eol + 2;
          if (empty) {
            state = State.DONE;
          }
        }
        case BODY_UNTIL_CLOSE -> {
          start = end;
          return false;
        }
        case DONE -> {
          return true;
        }
        default -> throw new IllegalStateException(state.name());
      }
    }
  }

  /** Whether any byte of the current response has arrived (a stale connection answers none). */
  public boolean receivedAny() {
    return received > 0;
  }

  /** Whether the response's end is the connection's close (no length given); then EOF completes it. */
  public boolean endsAtClose() {
    return state == State.BODY_UNTIL_CLOSE;
  }

  /** The status code, or -1 before the status line has been read. */
  public int status() {
    return status;
  }

  /** Whether the connection may carry another request after this response. */
  public boolean keepAlive() {
    return keepAlive && state == State.DONE && start == end;
  }

  private void parseHead(int from, int to) throws IOException {
    int lineEnd = indexOf2(from, to);
    if (lineEnd < 0) {
      lineEnd = to;
    }
    // "HTTP/1.1 200 OK": the version, a space, three digits.
    if (lineEnd - from < 12 || buf[from] != 'H' || buf[from + 1] != 'T' || buf[from + 2] != 'T'
        || buf[from + 3] != 'P' || buf[from + 4] != '/' || buf[from + 5] != '1' || buf[from + 6] != '.'
        || buf[from + 8] != ' ') {
      throw new IOException("not an HTTP/1.x status line: \"" + ascii(from, Math.min(lineEnd, from + 40)) + "\"");
    }
    boolean http11 = buf[from + 7] == '1';
    int code = 0;
    for (int i = from + 9; i < from + 12; i++) {
      byte b = buf[i];
      if (b < '0' || b > '9') {
        throw new IOException("bad status code in \"" + ascii(from, Math.min(lineEnd, from + 40)) + "\"");
      }
      code = code * 10 + (b - '0');
    }
    status = code;
    long contentLength = -1;
    boolean chunked = false;
    boolean close = !http11;
    int line = lineEnd + 2;
    while (line < to) {
      int eol = indexOf2(line, to);
      if (eol < 0) {
        eol = to;
      }
      int colon = -1;
      for (int i = line; i < eol; i++) {
        if (buf[i] == ':') {
          colon = i;
          break;
        }
      }
      if (colon > 0) {
        int nameLen = colon - line;
        if (nameLen == 14 && nameIs(line, "content-length")) {
          try {
            contentLength = Long.parseLong(ascii(colon + 1, eol).trim());
          } catch (NumberFormatException e) {
            throw new IOException("bad Content-Length: \"" + ascii(colon + 1, eol).trim() + "\"");
          }
        } else if (nameLen == 17 && nameIs(line, "transfer-encoding")) {
          chunked = ascii(colon + 1, eol).toLowerCase(Locale.ROOT).contains("chunked");
        } else if (nameLen == 10 && nameIs(line, "connection")) {
          String v = ascii(colon + 1, eol).toLowerCase(Locale.ROOT);
          if (v.contains("close")) {
            close = true;
          } else if (v.contains("keep-alive")) {
            close = false;
          }
        }
      }
      line = eol + 2;
    }
    keepAlive = !close;
    if ((code >= 100 && code < 200) || code == 204 || code == 304) {
      state = State.DONE;
    } else if (chunked) {
      state = State.CHUNK_SIZE;
    } else if (contentLength >= 0) {
      remaining = contentLength;
      state = contentLength == 0 ? State.DONE : State.BODY_LENGTH;
    } else {
      keepAlive = false;
      state = State.BODY_UNTIL_CLOSE;
    }
  }

  private long chunkSize(int from, int to) throws IOException {
    long size = 0;
    int digits = 0;
    for (int i = from; i < to; i++) {
      int b = buf[i];
      int d = b >= '0' && b <= '9' ? b - '0' : b >= 'a' && b <= 'f' ? b - 'a' + 10 : b >= 'A' && b <= 'F' ? b - 'A' + 10 : -1;
      if (d < 0) {
        if (b == ';' || b == ' ' || b == '\t') {
          break;
        }
        throw new IOException("malformed chunk size: \"" + ascii(from, to) + "\"");
      }
      if (++digits > 15) {
        throw new IOException("chunk size too large: \"" + ascii(from, to) + "\"");
      }
      size = size * 16 + d;
    }
    if (digits == 0) {
      throw new IOException("malformed chunk size: \"" + ascii(from, to) + "\"");
    }
    return size;
  }

  private int lineEnd() throws IOException {
    int eol = indexOf2(start, end);
    if (eol < 0 && end - start > MAX_LINE_BYTES) {
      throw new IOException("line longer than " + MAX_LINE_BYTES + " bytes in a chunked body");
    }
    return eol;
  }

  private boolean nameIs(int from, String lower) {
    for (int i = 0; i < lower.length(); i++) {
      int b = buf[from + i];
      if (b >= 'A' && b <= 'Z') {
        b += 'a' - 'A';
      }
      if (b != lower.charAt(i)) {
        return false;
      }
    }
    return true;
  }

  private int indexOf2(int from, int to) {
    for (int i = from; i + 1 < to; i++) {
      if (buf[i] == '\r' && buf[i + 1] == '\n') {
        return i;
      }
    }
    return -1;
  }

  private int indexOf4(int from) {
    for (int i = from; i + 3 < end; i++) {
      if (buf[i] == '\r' && buf[i + 1] == '\n' && buf[i + 2] == '\r' && buf[i + 3] == '\n') {
        return i;
      }
    }
    return -1;
  }

  private String ascii(int from, int to) {
    return new String(buf, from, Math.max(0, to - from), StandardCharsets.ISO_8859_1);
  }
}
