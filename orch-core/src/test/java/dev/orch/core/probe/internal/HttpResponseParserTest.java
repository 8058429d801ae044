package dev.orch.core.probe.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class HttpResponseParserTest {

  private static boolean feed(HttpResponseParser p, String s) throws IOException {
    byte[] b = s.getBytes(StandardCharsets.ISO_8859_1);
    p.feed(b, 0, b.length);
    return p.advance();
  }

  @Test
  void contentLengthResponseEndsAfterItsBody() throws IOException {
    HttpResponseParser p = new HttpResponseParser();
    assertFalse(feed(p, "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nab"));
    assertEquals(200, p.status());
    assertTrue(feed(p, "cde"));
    assertTrue(p.keepAlive());
  }

  @Test
  void chunkedBodySplitAnywhereIsSkippedToItsEnd() throws IOException {
    String whole = "HTTP/1.1 503 Service Unavailable\r\ntransfer-encoding: chunked\r\n\r\n"
        + "5\r\nhello\r\n1a;ext=1\r\nabcdefghijklmnopqrstuvwxyz\r\n0\r\nX-Trailer: t\r\n\r\n";
    for (int split = 1; split < whole.length(); split++) {
      HttpResponseParser p = new HttpResponseParser();
      assertFalse(feed(p, whole.substring(0, split)), "split at " + split);
      assertTrue(feed(p, whole.substring(split)), "split at " + split);
      assertEquals(503, p.status());
      assertTrue(p.keepAlive());
    }
  }

  @Test
  void resetReadiesTheNextResponseOnTheSameConnection() throws IOException {
    HttpResponseParser p = new HttpResponseParser();
    assertTrue(feed(p, "HTTP/1.1 204 No Content\r\n\r\n"));
    p.reset();
    assertFalse(p.receivedAny());
    assertTrue(feed(p, "HTTP/1.1 302 Found\r\nLocation: /x\r\nContent-Length: 0\r\n\r\n"));
    assertEquals(302, p.status());
  }

  @Test
  void connectionCloseAndHttp10AreNotKeptAlive() throws IOException {
    HttpResponseParser p = new HttpResponseParser();
    assertTrue(feed(p, "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n"));
    assertFalse(p.keepAlive());
    HttpResponseParser q = new HttpResponseParser();
    assertTrue(feed(q, "HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n"));
    assertFalse(q.keepAlive());
    HttpResponseParser r = new HttpResponseParser();
    assertTrue(feed(r, "HTTP/1.0 200 OK\r\nConnection: Keep-Alive\r\nContent-Length: 0\r\n\r\n"));
    assertTrue(r.keepAlive());
  }

  @Test
  void aBodyWithoutLengthEndsAtClose() throws IOException {
    HttpResponseParser p = new HttpResponseParser();
    assertFalse(feed(p, "HTTP/1.1 200 OK\r\n\r\nsome body"));
    assertTrue(p.endsAtClose());
    assertFalse(p.keepAlive());
  }

  @Test
  void extraBytesAfterTheResponseForbidReuse() throws IOException {
    HttpResponseParser p = new HttpResponseParser();
    assertTrue(feed(p, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\nHTTP/1.1"));
    assertFalse(p.keepAlive());
  }

  @Test
  void notHttpIsAnError() {
    HttpResponseParser p = new HttpResponseParser();
    IOException e = assertThrows(IOException.class, () -> feed(p, "SSH-2.0-OpenSSH\r\n\r\n"));
    assertTrue(e.getMessage().contains("not an HTTP/1.x status line"), e.getMessage());
    HttpResponseParser q = new HttpResponseParser();
    assertThrows(IOException.class, () -> feed(q, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n"));
  }
}
