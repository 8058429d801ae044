package dev.orch.docker;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import org.jspecify.annotations.Nullable;

/**
 * A stream that feeds a {@link TarDigest} with what is read through it, and remembers a failure to read the
 * stream it wraps (so that a copy can tell the source's failure from the target's). Not thread-safe.
 */
final class TarFeed extends FilterInputStream {
  private final TarDigest digest;
  private volatile @Nullable IOException failure;

  TarFeed(InputStream in, TarDigest digest) {
    super(in);
    this.digest = digest;
  }

  /** The failure reading the wrapped stream, or null if none. */
  @Nullable IOException failure() {
    return failure;
  }

  @Override
  public int read() throws IOException {
    byte[] one = new byte[1];
    int n = read(one, 0, 1);
    return n <= 0 ? -1 : one[0] & 0xff;
  }

  @Override
  public int read(byte[] b, int off, int len) throws IOException {
    int n;
    try {
      n = in.read(b, off, len);
    } catch (IOException e) {
      failure = e;
      throw e;
    }
    if (n > 0) {
      digest.update(b, off, n);
    }
    return n;
  }

  @Override
  public long skip(long n) throws IOException {
    byte[] buf = new byte[(int) Math.min(8192, Math.max(n, 1))];
    long skipped = 0;
    while (skipped < n) {
      int r = read(buf, 0, (int) Math.min(buf.length, n - skipped));
      if (r < 0) {
        break;
      }
      skipped += r;
    }
    return skipped;
  }

  @Override
  public boolean markSupported() {
    return false;
  }

  @Override
  public synchronized void mark(int readlimit) {
    // Not supported: every byte is digested once.
  }

  @Override
  public synchronized void reset() throws IOException {
    throw new IOException("mark/reset not supported");
  }
}
