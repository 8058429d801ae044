package dev.orch.core.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.orch.api.time.TimeSource;
import dev.orch.core.util.LogContext;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.micrometer.observation.ObservationRegistry;
import java.lang.reflect.Field;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.MDC;
import org.slf4j.spi.MDCAdapter;

/**
 * A runtime call that completes on another thread runs what its caller does next with the caller's service and
 * replica in SLF4J's MDC (so Orch's log lines there name them), and leaves that thread's MDC as it was.
 */
class RuntimeCallsTest {
  private final ExecutorService runtimeThread = Executors.newSingleThreadExecutor();
  private final RuntimeCalls calls = new RuntimeCalls(TimeSource.system(), Duration.ofSeconds(5),
      new SimpleMeterRegistry().counter("retries"), () -> false, new Traces(ObservationRegistry.NOOP), null, false);
  private Object nop;
  private Field adapter;

  @BeforeEach
  void keepTheMdc() throws ReflectiveOperationException {
    // slf4j-simple, the tests' backend, keeps no MDC (a NOP adapter): one of the test's keeps it here, per thread
    // and not inherited by threads started meanwhile (as SLF4J's basic one is), as Logback's.
    nop = MDC.getMDCAdapter(); // initialised first, so that SLF4J does not replace ours
    adapter = MDC.class.getDeclaredField("MDC_ADAPTER"); // slf4j-api 2.0.x
    adapter.setAccessible(true);
    adapter.set(null, new PerThreadMdc());
  }

  @AfterEach
  void restore() throws ReflectiveOperationException {
    adapter.set(null, nop);
    runtimeThread.shutdownNow();
  }

  private String mdc() {
    return MDC.get(LogContext.SERVICE) + "/" + MDC.get(LogContext.REPLICA);
  }

  @Test
  void whatFollowsACallRunsInItsCallersLogContext() throws Exception {
    runtimeThread.submit(() -> MDC.put(LogContext.SERVICE, "other")).get(); // what that thread had before
    CompletableFuture<String> seen;
    CompletableFuture<String> seenOnce;
    CompletableFuture<Void> answer = new CompletableFuture<>();
    try (LogContext scope = LogContext.of("orders", "orders-0")) {
      seen = calls.call("node-1", "start orders-0", () -> answer.thenApplyAsync(v -> "ok", runtimeThread))
          .thenApply(v -> mdc()).toCompletableFuture();
      seenOnce = calls.callOnce("node-1", "create orders-0", () -> answer.thenApplyAsync(v -> "ok", runtimeThread))
          .thenApply(v -> mdc()).toCompletableFuture();
    }
    assertEquals("null/null", mdc(), "the caller's scope closed");
    answer.complete(null);
    assertEquals("orders/orders-0", seen.get(5, TimeUnit.SECONDS));
    assertEquals("orders/orders-0", seenOnce.get(5, TimeUnit.SECONDS));
    assertEquals("other/null", runtimeThread.submit(this::mdc).get(), "the runtime's thread as it was");
  }

  @Test
  void aFailedCallFailsAsBeforeInItsCallersLogContext() throws Exception {
    CompletableFuture<String> seen;
    CompletableFuture<Void> answer = new CompletableFuture<>();
    IllegalStateException refused = new IllegalStateException("conflict");
    runtimeThread.submit(() -> { }).get(); // its thread started before the caller's scope
    try (LogContext scope = LogContext.of("orders", "")) {
      seen = calls.call("node-1", "start orders-0", () -> answer.<String>thenApplyAsync(v -> {
        throw refused;
      }, runtimeThread)).handle((v, e) -> mdc() + " " + dev.orch.core.util.Failures.rootCause(e).getMessage())
          .toCompletableFuture();
    }
    answer.complete(null); // fails on the runtime's thread, after the caller's scope closed
    assertEquals("orders/null conflict", seen.get(5, TimeUnit.SECONDS));
  }

  /** An MDC per thread, not inherited. */
  static final class PerThreadMdc implements MDCAdapter {
    private final ThreadLocal<java.util.Map<String, String>> map = ThreadLocal.withInitial(java.util.HashMap::new);

    @Override
    public void put(String key, String val) {
      map.get().put(key, val);
    }

    @Override
    public String get(String key) {
      return map.get().get(key);
    }

    @Override
    public void remove(String key) {
      map.get().remove(key);
    }

    @Override
    public void clear() {
      map.get().clear();
    }

    @Override
    public java.util.Map<String, String> getCopyOfContextMap() {
      return new java.util.HashMap<>(map.get());
    }

    @Override
    public void setContextMap(java.util.Map<String, String> contextMap) {
      map.set(new java.util.HashMap<>(contextMap));
    }

    @Override
    public void pushByKey(String key, String value) {
      throw new UnsupportedOperationException();
    }

    @Override
    public String popByKey(String key) {
      throw new UnsupportedOperationException();
    }

    @Override
    public java.util.Deque<String> getCopyOfDequeByKey(String key) {
      throw new UnsupportedOperationException();
    }

    @Override
    public void clearDequeByKey(String key) {
      throw new UnsupportedOperationException();
    }
  }
}
