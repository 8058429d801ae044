package dev.orch.docker;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The archive endpoints' HTTP client against a scripted server on 127.0.0.1 or a unix socket: the bodies it
 * decodes (chunked, of a length, up to the close) and those it sends, its status handling and its deadlines.
 * No Docker needed.
 */
class StreamingHttpClientTest {
  private static final String TARGET = "/v1.41/containers/orch-copy-x/archive?path=%2Forch-volume";

  private static long in(long millis) {
    return System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
  }

  private static byte[] bytes(int n, long seed) {
    byte[] b = new byte[n];
    new Random(seed).nextBytes(b);
    return b;
  }

  private static byte[] readAll(InputStream in) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    byte[] buf = new byte[100_000];
    for (int n; (n = in.read(buf)) >= 0; ) {
      assertTrue(n > 0, "a read returns at least one byte or the end");
      out.write(buf, 0, n);
    }
    assertEquals(-1, in.read(), "the end stays the end");
    return out.toByteArray();
  }

  /** {@code body} as chunks of {@code sizes} (the last one repeated), with an extension and a trailer. */
  private static byte[] chunked(byte[] body, int... sizes) {
    ByteArrayOutputStream w = new ByteArrayOutputStream();
    int at = 0;
    for (int i = 0; at < body.length; i++) {
      int n = Math.min(sizes[Math.min(i, sizes.length - 1)], body.length - at);
      w.writeBytes((Integer.toHexString(n) + (i == 1 ? ";name=value" : "") + "\r\n").getBytes(StandardCharsets.US_ASCII));
      w.write(body, at, n);
      w.writeBytes("\r\n".getBytes(StandardCharsets.US_ASCII));
      at += n;
    }
    w.writeBytes("0\r\nX-Docker-Trailer: yes\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
    return w.toByteArray();
  }

  /** Writes {@code wire} in pieces of {@code pieces} bytes (the last one repeated), each flushed on its own. */
  private static void writeInPieces(ScriptedHttpServer.Exchange x, byte[] wire, int... pieces) throws IOException {
    for (int at = 0, i = 0; at < wire.length; i++) {
      int n = Math.min(pieces[Math.min(i, pieces.length - 1)], wire.length - at);
      x.out.write(wire, at, n);
      x.out.flush();
      at += n;
    }
  }

  @Test
  void aGetAsksForTheTargetOfHostDockerAndDecodesAChunkedBodyOfOddChunksSplitAnywhere() throws Exception {
    byte[] body = bytes(700_000, 1); // chunks larger than the client's buffer among them
    AtomicReference<String> head = new AtomicReference<>();
    try (ScriptedHttpServer server = ScriptedHttpServer.tcp(x -> {
      head.set(x.head());
      x.write("HTTP/1.1 200 OK\r\nContent-Type: application/x-tar\r\nTransfer-Encoding: chunked\r\n\r\n");
      writeInPieces(x, chunked(body, 1, 7, 300_000, 4096), 1, 2, 3, 65_536, 5);
    })) {
      try (StreamingHttpClient.Response r = new StreamingHttpClient(server.endpoint()).get(TARGET, in(5000),
          in(10_000))) {
        assertEquals(200, r.status());
        assertEquals("application/x-tar", r.header("content-type"));
        assertArrayEquals(body, readAll(r.body()));
      }
      server.awaitScript();
    }
    List<String> lines = List.of(head.get().split("\r\n"));
    assertEquals("GET " + TARGET + " HTTP/1.1", lines.get(0));
    assertTrue(lines.contains("Host: docker"), () -> "the head: " + lines);
    assertTrue(lines.contains("Connection: close"), () -> "the head: " + lines);
  }

  @Property(tries = 40)
  void anyChunkingOfAnyBodyDecodesToTheBody(@ForAll @Size(max = 5) List<@IntRange(min = 1, max = 70_000) Integer> chunks,
                                             @ForAll @IntRange(min = 0, max = 200_000) int length,
                                             @ForAll @IntRange(min = 1, max = 9_000) int piece) throws Exception {
    byte[] body = bytes(length, length);
    int[] sizes = chunks.isEmpty() ? new int[] {length + 1} : chunks.stream().mapToInt(Integer::intValue).toArray();
    try (ScriptedHttpServer server = ScriptedHttpServer.tcp(x -> {
      x.head();
      x.write("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n");
      writeInPieces(x, chunked(body, sizes), piece);
    })) {
      try (StreamingHttpClient.Response r = new StreamingHttpClient(server.endpoint()).get(TARGET, in(5000),
          in(10_000))) {
        assertArrayEquals(body, readAll(r.body()));
      }
      server.awaitScript();
    }
  }

  @Test
  void aBodyOfAContentLengthEndsThereAndOneWithoutEndsWithTheConnection(@TempDir Path dir) throws Exception {
    byte[] body = bytes(300_000, 2);
    try (ScriptedHttpServer server = ScriptedHttpServer.tcp(x -> {
      x.head();
      x.write("HTTP/1.1 200 OK\r\nContent-Length: " + body.length + "\r\n\r\n");
      x.write(body);
      x.write("not part of the body");
    })) {
      try (StreamingHttpClient.Response r = new StreamingHttpClient(server.endpoint()).get(TARGET, in(5000),
          in(10_000))) {
        assertArrayEquals(body, readAll(r.body()));
      }
      server.awaitScript();
    }
    try (ScriptedHttpServer server = ScriptedHttpServer.unix(dir, x -> {
      x.head();
      x.write("HTTP/1.0 200 OK\r\n\r\n");
      x.write(body);
      x.out.close();
    })) {
      try (StreamingHttpClient.Response r = new StreamingHttpClient(server.endpoint()).get(TARGET, in(5000),
          in(10_000))) {
        assertArrayEquals(body, readAll(r.body()), "over a unix socket, up to the close");
      }
      server.awaitScript();
    }
  }

  @Test
  void aBodyThatEndsEarlyOrIsMalformedFails() throws Exception {
    assertThrows(EOFException.class, () -> readAllOf("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly this"));
    assertThrows(EOFException.class, () -> readAllOf("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
        + "a\r\n0123456789\r\n5\r\nabc"));
    assertThrows(EOFException.class, () -> readAllOf("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
        + "3\r\nabc\r\n"));
    IOException size = assertThrows(IOException.class, () -> readAllOf("HTTP/1.1 200 OK\r\n"
        + "Transfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n"));
    assertTrue(size.getMessage().contains("chunk size \"zz\""), size.getMessage());
    IOException runOn = assertThrows(IOException.class, () -> readAllOf("HTTP/1.1 200 OK\r\n"
        + "Transfer-Encoding: chunked\r\n\r\n3\r\nabcdef\r\n0\r\n\r\n"));
    assertTrue(runOn.getMessage().contains("runs on"), runOn.getMessage());
    IOException notHttp = assertThrows(IOException.class, () -> readAllOf("SSH-2.0-OpenSSH\r\n\r\n"));
    assertTrue(notHttp.getMessage().contains("not HTTP/1.x"), notHttp.getMessage());
  }

  /** The body of the answer {@code wire} (sent, then the connection closed). */
  private static byte[] readAllOf(String wire) throws Exception {
    try (ScriptedHttpServer server = ScriptedHttpServer.tcp(x -> {
      x.head();
      x.write(wire);
      x.out.close();
    })) {
      try (StreamingHttpClient.Response r = new StreamingHttpClient(server.endpoint()).get(TARGET, in(5000),
          in(10_000))) {
        return readAll(r.body());
      }
    }
  }

  @Test
  void aRefusalComesBackWithItsStatusAndMessage() throws Exception {
    String message = "{\"message\":\"Could not find the file /orch-volume in container orch-copy-x\"}";
    try (ScriptedHttpServer server = ScriptedHttpServer.tcp(x -> {
      x.head();
      x.write("HTTP/1.1 404 Not Found\r\nContent-Type: application/json\r\nContent-Length: " + message.length()
          + "\r\n\r\n" + message);
    })) {
      try (StreamingHttpClient.Response r = new StreamingHttpClient(server.endpoint()).get(TARGET, in(5000),
          in(10_000))) {
        assertEquals(404, r.status());
        assertEquals(message, r.text(64 * 1024));
      }
      server.awaitScript();
    }
  }

  @Test
  void aPutSendsTheBodyChunkedInLargeChunksOnceTheEngineSaysContinue(@TempDir Path dir) throws Exception {
    byte[] body = bytes(1_500_000, 3);
    AtomicReference<String> head = new AtomicReference<>();
    AtomicReference<byte[]> received = new AtomicReference<>();
    List<Integer> sizes = new CopyOnWriteArrayList<>();
    try (ScriptedHttpServer server = ScriptedHttpServer.unix(dir, x -> {
      head.set(x.head());
      x.write("HTTP/1.1 100 Continue\r\n\r\n");
      received.set(x.chunkedBody(sizes));
      x.write("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
    })) {
      try (StreamingHttpClient.Response r = new StreamingHttpClient(server.endpoint()).put(TARGET,
          "application/x-tar", new ByteArrayInputStream(body), in(10_000))) {
        assertEquals(200, r.status());
        assertEquals(0, r.body().readAllBytes().length);
      }
      server.awaitScript();
    }
    assertArrayEquals(body, received.get());
    assertTrue(sizes.stream().allMatch(s -> s <= StreamingHttpClient.BUFFER), () -> "chunks " + sizes);
    assertEquals(List.of(StreamingHttpClient.BUFFER, StreamingHttpClient.BUFFER), sizes.subList(0, 2),
        "a body at hand goes in chunks of the whole buffer");
    List<String> lines = List.of(head.get().split("\r\n"));
    assertEquals("PUT " + TARGET + " HTTP/1.1", lines.get(0));
    for (String h : List.of("Host: docker", "Content-Type: application/x-tar", "Transfer-Encoding: chunked",
        "Expect: 100-continue")) {
      assertTrue(lines.contains(h), () -> h + " in the head: " + lines);
    }
  }

  @Test
  void aPutRefusedBeforeItsBodyLeavesTheBodyUnread() throws Exception {
    AtomicBoolean read = new AtomicBoolean();
    InputStream body = new InputStream() {
      @Override
      public int read() {
        read.set(true);
        return -1;
      }
    };
    String message = "{\"message\":\"No such container: orch-copy-x\"}";
    try (ScriptedHttpServer server = ScriptedHttpServer.tcp(x -> {
      x.head();
      x.write("HTTP/1.1 404 Not Found\r\nContent-Length: " + message.length() + "\r\n\r\n" + message);
    })) {
      try (StreamingHttpClient.Response r = new StreamingHttpClient(server.endpoint()).put(TARGET,
          "application/x-tar", body, in(10_000))) {
        assertEquals(404, r.status());
        assertEquals(message, r.text(1024));
      }
      server.awaitScript();
    }
    assertFalse(read.get(), "the body was not read");
  }

  @Test
  void anEngineThatRefusesAPutWithinItsBodyAndHangsUpIsHeard(@TempDir Path dir) throws Exception {
    String message = "{\"message\":\"the archive is not a tar\"}";
    try (ScriptedHttpServer server = ScriptedHttpServer.unix(dir, x -> {
      x.head();
      x.write("HTTP/1.1 100 Continue\r\n\r\n");
      x.in.readNBytes(100_000);
      x.write("HTTP/1.1 400 Bad Request\r\nContent-Length: " + message.length() + "\r\n\r\n" + message);
    })) { // the script's end closes the connection
      try (StreamingHttpClient.Response r = new StreamingHttpClient(server.endpoint()).put(TARGET,
          "application/x-tar", new ByteArrayInputStream(new byte[64 << 20]), in(10_000))) {
        assertEquals(400, r.status());
        assertEquals(message, r.text(1024));
      }
      server.awaitScript();
    }
  }

  @Test
  void aFailureToReadThePutsBodyIsThrownAsItIs() throws Exception {
    IOException broken = new IOException("the source's archive broke");
    InputStream body = new InputStream() {
      private int calls;

      @Override
      public int read() {
        throw new UnsupportedOperationException();
      }

      @Override
      public int read(byte[] b, int off, int len) throws IOException {
        if (calls++ > 0) {
          throw broken;
        }
        return Math.min(len, 1000);
      }
    };
    try (ScriptedHttpServer server = ScriptedHttpServer.tcp(x -> {
      x.head();
      x.write("HTTP/1.1 100 Continue\r\n\r\n");
      x.chunkedBody(null); // fails as the client closes the connection
    })) {
      IOException thrown = assertThrows(IOException.class, () -> new StreamingHttpClient(server.endpoint())
          .put(TARGET, "application/x-tar", body, in(10_000)));
      assertSame(broken, thrown);
      assertTrue(server.done().handle((v, e) -> e).get(10, TimeUnit.SECONDS) instanceof IOException,
          "the engine sees the request end within its body");
    }
  }

  @Test
  void anEngineThatDoesNotAnswerByTheDeadlineTimesOut() throws Exception {
    CompletableFuture<Void> release = new CompletableFuture<>();
    try (ScriptedHttpServer server = ScriptedHttpServer.tcp(x -> {
      x.head();
      release.get(30, TimeUnit.SECONDS);
    })) {
      StreamingHttpClient client = new StreamingHttpClient(server.endpoint());
      long t0 = System.nanoTime();
      SocketTimeoutException e = assertThrows(SocketTimeoutException.class,
          () -> client.get(TARGET, in(300), in(10_000)));
      long took = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
      assertTrue(took >= 250 && took < 5000, () -> "timed out after " + took + " ms");
      assertTrue(e.getMessage().contains(server.endpoint().toString()), e.getMessage());
    } finally {
      release.complete(null);
    }
  }

  @Test
  void aBodyNotReadByItsDeadlineTimesOutAndAClosedOneEndsAWaitingRead() throws Exception {
    CompletableFuture<Void> release = new CompletableFuture<>();
    ScriptedHttpServer.Script stalls = x -> {
      x.head();
      x.write("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n");
      release.get(30, TimeUnit.SECONDS);
    };
    try (ScriptedHttpServer server = ScriptedHttpServer.tcp(stalls)) {
      try (StreamingHttpClient.Response r = new StreamingHttpClient(server.endpoint()).get(TARGET, in(5000),
          in(300))) {
        assertEquals(3, r.body().readNBytes(3).length);
        assertThrows(SocketTimeoutException.class, () -> r.body().read(new byte[10]));
      }
    }
    try (ScriptedHttpServer server = ScriptedHttpServer.tcp(stalls)) {
      StreamingHttpClient.Response r = new StreamingHttpClient(server.endpoint()).get(TARGET, in(5000),
          in(30_000));
      assertEquals(3, r.body().readNBytes(3).length);
      CompletableFuture<Integer> reading = CompletableFuture.supplyAsync(() -> {
        try {
          return r.body().read(new byte[10]);
        } catch (IOException e) {
          throw new java.io.UncheckedIOException(e);
        }
      });
      r.close();
      Throwable e = DockerErrors.unwrap(reading.handle((v, t) -> t).get(10, TimeUnit.SECONDS));
      assertTrue(e instanceof java.io.UncheckedIOException && e.getCause() instanceof IOException,
          () -> "the read ends in " + e);
    } finally {
      release.complete(null);
    }
  }

  @Test
  void onlyUnixAndPlainTcpEndpointsAreServed() {
    assertThrows(IllegalArgumentException.class, () -> new StreamingHttpClient(java.net.URI.create("npipe:////./pipe/docker")));
    assertTrue(EngineChannel.reaches(java.net.URI.create("tcp://10.0.0.2:2375")));
    assertTrue(EngineChannel.reaches(java.net.URI.create("unix:///var/run/docker.sock")));
  }
}
