package dev.orch.inmemory;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.orch.api.runtime.ContainerCreateRequest;
import dev.orch.api.runtime.ContainerInfo;
import dev.orch.api.runtime.ExecResult;
import dev.orch.api.runtime.LogLine;
import dev.orch.api.runtime.LogOptions;
import dev.orch.api.runtime.LogStream;
import dev.orch.api.runtime.NoSuchContainerException;
import dev.orch.api.spec.ContainerSpec;
import dev.orch.api.spec.Resources;
import dev.orch.api.time.VirtualTimeSource;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Streaming a simulated container's log: the lines so far (tail, since), then new ones while following, standard
 * output and standard error told apart, timestamps from the time source; the stream ends when the container stops;
 * a reader that falls behind the 1,000 lines kept loses lines and says how many, and the container never waits.
 */
class LogStreamTest {
  private final VirtualTimeSource time = new VirtualTimeSource();
  private final InMemoryRuntime runtime = InMemoryRuntime.builder().timeSource(time).nodes(1, Resources.of("4", "8Gi"))
      .behavior("chatty:1", new ContainerBehavior() {
        @Override
        public void onStart(ContainerProcess p) {
          p.log("hello");
          p.log(LogLine.Source.STDERR, "warning: cold cache");
        }

        @Override
        public ExecResult exec(ContainerProcess p, List<String> command) { // spam <n> <word>: n lines
          for (int i = 0; i < Integer.parseInt(command.get(1)); i++) {
            p.log(command.get(2) + " " + i);
          }
          return new ExecResult(0, "", "");
        }
      }).build();

  private void spam(ContainerInfo c, int lines, String word) {
    runtime.exec(c.id(), List.of("spam", Integer.toString(lines), word), Duration.ofSeconds(1)).toCompletableFuture()
        .join();
  }

  @AfterEach
  void tearDown() {
    runtime.close();
  }

  private ContainerInfo started() {
    ContainerInfo c = runtime.create(new ContainerCreateRequest("chatty-0", "node-1", ContainerSpec.builder("chatty:1")
        .build(), Map.of())).toCompletableFuture().join();
    runtime.start(c.id()).toCompletableFuture().join();
    return c;
  }

  private static List<String> drain(LogStream s) throws InterruptedException {
    List<String> out = new ArrayList<>();
    for (LogLine l; (l = s.poll(Duration.ZERO)) != null; ) {
      out.add(l.source() + " " + l.text());
    }
    return out;
  }

  @Test
  void theLinesSoFarThenNewOnesWhileFollowingUntilTheContainerStops() throws Exception {
    ContainerInfo c = started();
    try (LogStream all = runtime.streamLogs(c.id(), LogOptions.defaults())) {
      assertEquals(List.of("STDOUT hello", "STDERR warning: cold cache"), drain(all));
      assertTrue(all.isEnded(), "not following: it ends at the end of the log");
    }
    try (LogStream err = runtime.streamLogs(c.id(), LogOptions.defaults().withStreams(false, true))) {
      assertEquals(List.of("STDERR warning: cold cache"), drain(err));
    }
    LogStream follow = runtime.streamLogs(c.id(), LogOptions.defaults().withTail(1).withTimestamps(true)
        .following());
    LogLine last = follow.poll(Duration.ZERO);
    assertEquals("warning: cold cache", last.text(), "tail 1: the last line only");
    assertEquals(time.now(), last.timestamp());
    assertNull(follow.poll(Duration.ZERO));
    assertTrue(!follow.isEnded(), "following: it waits for more");
    time.advance(Duration.ofSeconds(5));
    Instant later = time.now();
    assertTrue(runtime.crashContainer(c.id(), 3));
    LogLine crash = follow.poll(Duration.ofSeconds(5));
    assertNotNull(crash);
    assertEquals(LogLine.Source.STDERR, crash.source());
    assertTrue(crash.text().contains("crashed with code 3"), crash::text);
    assertEquals(later, crash.timestamp());
    assertNull(follow.poll(Duration.ofSeconds(1)));
    assertTrue(follow.isEnded(), "the container stopped: the stream ends");
    try (LogStream since = runtime.streamLogs(c.id(), LogOptions.defaults().withSince(later))) {
      assertEquals(1, drain(since).size(), "since: only the line printed at or after it");
    }
  }

  @Test
  void aReaderBehindTheLinesKeptLosesThemAndSaysHowManyWhileTheContainerNeverWaits() throws Exception {
    ContainerInfo c = started();
    LogStream slow = runtime.streamLogs(c.id(), LogOptions.defaults().following());
    assertEquals("hello", slow.poll(Duration.ZERO).text());
    spam(c, 5_000, "line");
    List<String> read = drain(slow);
    assertEquals(1_000, read.size(), "the container keeps its last 1,000 lines; that is all a stream holds");
    assertEquals("STDOUT line 4999", read.get(read.size() - 1));
    assertEquals(5_002 - 1 - 1_000, slow.dropped(), "the rest was lost to the slow reader, and counted");

    LogStream bounded = runtime.streamLogs(c.id(), LogOptions.defaults().withTail(0).following()
        .withBuffer(10, LogOptions.Overflow.DROP_OLDEST));
    spam(c, 100, "more");
    List<String> kept = drain(bounded);
    assertEquals(10, kept.size(), "DROP_OLDEST: at most bufferLines wait");
    assertEquals(90, bounded.dropped());
  }

  @Test
  void aContainerThatDoesNotExistGivesAnEndedStreamWithTheReason() throws Exception {
    LogStream none = runtime.streamLogs("no-such", LogOptions.defaults().following());
    assertTrue(none.isEnded());
    assertNull(none.poll(Duration.ZERO));
    assertTrue(none.failure() instanceof NoSuchContainerException, () -> String.valueOf(none.failure()));
  }

  @Test
  void anInjectedFailureOfLogsEndsTheStreamWithItsErrorOnceAndThenStreamsAgain() throws Exception {
    ContainerInfo c = started();
    runtime.injectFault(CallFault.failing().operations(RuntimeOperation.LOGS).times(1).build());
    LogStream failed = runtime.streamLogs(c.id(), LogOptions.defaults().following());
    assertTrue(failed.isEnded());
    assertTrue(failed.failure() instanceof dev.orch.api.runtime.RuntimeUnavailableException
        && failed.failure().getMessage().contains("logs " + c.id()), () -> String.valueOf(failed.failure()));
    try (LogStream next = runtime.streamLogs(c.id(), LogOptions.defaults().following())) {
      assertTrue(!next.isEnded() && next.failure() == null, "the fault was for one call");
    }
  }
}
