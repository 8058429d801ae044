package dev.orch.docker;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;

/**
 * An engine's archive endpoints ({@code GET} and {@code PUT /containers/{id}/archive}), for the volume copy:
 * streamed by {@link StreamingHttpClient} where the engine listens on {@code unix://} or plain {@code tcp://},
 * through docker-java's slow client otherwise (TLS). Either way a failure is thrown as docker-java throws it (an
 * engine's refusal as the {@link com.github.dockerjava.api.exception.DockerException} of its status, a transport
 * failure or time-out unchecked), for {@link EngineNode#call} to translate. Stateless and thread-safe.
 */
final class EngineArchives {
  /** How much of a refusal's body makes its message. */
  private static final int MAX_MESSAGE = 64 * 1024;

  private EngineArchives() {
  }

  /** Whether the archives of {@code engine} stream through {@link StreamingHttpClient}: not over TLS. */
  static boolean streamsDirectly(DockerEngine engine) {
    return engine.tlsCerts().isEmpty() && EngineChannel.reaches(engine.host());
  }

  /**
   * The archive of {@code path} in container {@code container}, its head answered within the engine's call
   * time-out and its body to be read by {@code deadline} ({@link System#nanoTime()}); the caller closes it.
   */
  static InputStream read(EngineNode n, EngineNode.Clients c, String container, String path, long deadline) {
    if (!streamsDirectly(n.engine)) {
      return c.slow().copyArchiveFromContainerCmd(container, path).exec();
    }
    long head = System.nanoTime() + n.callTimeout().toNanos();
    StreamingHttpClient.Response r;
    try {
      r = new StreamingHttpClient(n.engine.host()).get(target(n, container, path), deadline - head < 0 ? deadline
          : head, deadline);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    refuseUnlessOk(r);
    return r.body();
  }

  /** Extracts {@code tar} (read to its end) into container {@code container} at {@code path}, by {@code deadline}. */
  static void write(EngineNode n, EngineNode.Clients c, String container, String path, InputStream tar,
                    long deadline) {
    if (!streamsDirectly(n.engine)) {
      c.slow().copyArchiveToContainerCmd(container).withRemotePath(path).withTarInputStream(tar).exec();
      return;
    }
    // As docker-java asks: overwrite a directory with a non-directory and back, owners from the archive.
    String target = target(n, container, path) + "&noOverwriteDirNonDir=false&copyUIDGID=false";
    try (StreamingHttpClient.Response r = new StreamingHttpClient(n.engine.host())
        .put(target, "application/x-tar", tar, deadline)) {
      refuseUnlessOk(r);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Throws the engine's refusal, closing {@code r}, unless its status is 2xx. */
  static void refuseUnlessOk(StreamingHttpClient.Response r) {
    if (r.status() / 100 == 2) {
      return;
    }
    String body;
    try (r) {
      body = r.text(MAX_MESSAGE);
    } catch (IOException e) {
      body = "(its message unreadable: " + e + ")";
    }
    throw DockerErrors.answered(r.status(), body);
  }

  /** {@code /v<api>/containers/<container>/archive?path=<path>}, encoded. */
  static String target(EngineNode n, String container, String path) {
    String version = n.apiVersion();
    return (version.isEmpty() ? "" : "/v" + version) + "/containers/" + encode(container) + "/archive?path="
        + encode(path);
  }

  /** Percent-encodes all but RFC 3986's unreserved characters, for a path segment or a query value. */
  static String encode(String s) {
    StringBuilder b = new StringBuilder();
    for (byte x : s.getBytes(StandardCharsets.UTF_8)) {
      int c = x & 0xff;
      if (c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '.' || c == '_'
          || c == '~') {
        b.append((char) c);
      } else {
        b.append('%').append(Character.toUpperCase(Character.forDigit(c >> 4, 16)))
            .append(Character.toUpperCase(Character.forDigit(c & 15, 16)));
      }
    }
    return b.toString();
  }
}
