package dev.orch.api.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/**
 * The bounded buffer between a runtime's log source and a slow reader: under PAUSE the producer waits and
 * nothing is lost; under DROP_OLDEST it never waits, the buffer never holds more than its bound and the drops
 * are counted; closing releases a waiting producer and stops the source; bad options are refused by name.
 */
class LogBufferTest {
  private static LogLine line(int i) {
    return new LogLine("c1", LogLine.Source.STDOUT, null, "line " + i);
  }

  @Test
  void underPauseAFullBufferMakesTheProducerWaitAndNothingIsLost() throws Exception {
    LogBuffer buffer = new LogBuffer(LogOptions.defaults().withBuffer(3, LogOptions.Overflow.PAUSE), () -> { });
    CompletableFuture<Void> producer = CompletableFuture.runAsync(() -> {
      try {
        for (int i = 0; i < 100; i++) {
          buffer.offer(line(i));
        }
        buffer.end(null);
      } catch (InterruptedException e) {
        throw new AssertionError(e);
      }
    });
    List<String> read = new ArrayList<>();
    while (!buffer.isEnded()) {
      assertTrue(buffer.waiting() <= 3, () -> "bounded: " + buffer);
      LogLine l = buffer.poll(Duration.ofSeconds(5));
      if (l != null) {
        read.add(l.text());
      }
    }
    producer.get(5, TimeUnit.SECONDS);
    assertEquals(100, read.size(), "every line arrives");
    assertEquals("line 99", read.get(99));
    assertEquals(0, buffer.dropped());
  }

  @Test
  void underDropOldestTheProducerNeverWaitsAndTheDropsAreCounted() throws Exception {
    LogBuffer buffer = new LogBuffer(LogOptions.defaults().withBuffer(10, LogOptions.Overflow.DROP_OLDEST),
        () -> { });
    for (int i = 0; i < 1_000; i++) {
      assertTrue(buffer.offer(line(i)));
      assertTrue(buffer.waiting() <= 10);
    }
    assertEquals(990, buffer.dropped());
    assertEquals("line 990", buffer.poll(Duration.ZERO).text(), "the newest ten are kept");
  }

  @Test
  void closingReleasesAWaitingProducerAndStopsTheSource() throws Exception {
    AtomicBoolean stopped = new AtomicBoolean();
    LogBuffer buffer = new LogBuffer(LogOptions.defaults().withBuffer(1, LogOptions.Overflow.PAUSE),
        () -> stopped.set(true));
    assertTrue(buffer.offer(line(0)));
    CompletableFuture<Boolean> blocked = new CompletableFuture<>();
    Thread producer = new Thread(() -> {
      try {
        blocked.complete(buffer.offer(line(1)));
      } catch (InterruptedException e) {
        blocked.completeExceptionally(e);
      }
    });
    producer.start();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (producer.getState() != Thread.State.WAITING && System.nanoTime() < deadline) {
      Thread.onSpinWait();
    }
    assertEquals(Thread.State.WAITING, producer.getState(), "the producer waits while the buffer is full");
    assertFalse(blocked.isDone());
    buffer.close();
    assertFalse(blocked.get(5, TimeUnit.SECONDS), "released: the stream is closed, stop reading");
    assertTrue(stopped.get());
    assertTrue(buffer.isEnded());
    assertNull(buffer.poll(Duration.ZERO));
  }

  @Test
  void badOptionsAreRefusedByName() {
    IllegalArgumentException tail = assertThrows(IllegalArgumentException.class, () -> LogOptions.defaults()
        .withTail(-2));
    assertTrue(tail.getMessage().startsWith("tail: -2"), tail::getMessage);
    IllegalArgumentException size = assertThrows(IllegalArgumentException.class, () -> LogOptions.defaults()
        .withBuffer(0, LogOptions.Overflow.PAUSE));
    assertTrue(size.getMessage().startsWith("bufferLines: 0"), size::getMessage);
    IllegalArgumentException none = assertThrows(IllegalArgumentException.class, () -> LogOptions.defaults()
        .withStreams(false, false));
    assertTrue(none.getMessage().contains("at least one"), none::getMessage);
  }
}
