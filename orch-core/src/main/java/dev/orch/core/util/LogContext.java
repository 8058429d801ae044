package dev.orch.core.util;

import org.jspecify.annotations.Nullable;
import org.slf4j.MDC;

/**
 * What Orch's own log lines are about, in SLF4J's MDC: {@value #SERVICE} and {@value #REPLICA} while a pass
 * works on a service and while an event about a replica is logged (and told to event subscribers), so a logging
 * backend can print them ({@code %X{orch.service}} in Logback) or filter by them. A scope restores what was there
 * before. Not for the hot path: it touches the MDC's thread-local map. A scope belongs to the thread that opened it
 * (the MDC is per thread): open and close it on one thread, as try-with-resources does.
 */
public final class LogContext implements AutoCloseable {
  /** The MDC key of the service a line is about. */
  public static final String SERVICE = "orch.service";
  /** The MDC key of the replica (container name) a line is about. */
  public static final String REPLICA = "orch.replica";

  private final @Nullable String service;
  private final @Nullable String replica;

  private LogContext(@Nullable String service, @Nullable String replica) {
    this.service = service;
    this.replica = replica;
  }

  /**
   * Puts {@code service} and {@code replica} (each when not empty) in the MDC until the scope closes; closing
   * puts back what was there.
   */
  public static LogContext of(String service, String replica) {
    LogContext previous = new LogContext(MDC.get(SERVICE), MDC.get(REPLICA));
    set(SERVICE, service.isEmpty() ? previous.service : service);
    set(REPLICA, replica.isEmpty() ? previous.replica : replica);
    return previous;
  }

  /**
   * What the MDC holds for Orch's two keys on this thread now, to {@link #resume} on another (where a runtime
   * call completes); null when it holds neither.
   */
  public static @Nullable LogContext capture() {
    String service = MDC.get(SERVICE);
    String replica = MDC.get(REPLICA);
    return service == null && replica == null ? null : new LogContext(service, replica);
  }

  /**
   * Puts exactly what {@link #capture} found in the MDC of this thread until the scope closes; closing puts back
   * what was there.
   */
  public LogContext resume() {
    LogContext previous = new LogContext(MDC.get(SERVICE), MDC.get(REPLICA));
    set(SERVICE, service);
    set(REPLICA, replica);
    return previous;
  }

  private static void set(String key, @Nullable String value) {
    if (value == null) {
      MDC.remove(key);
    } else {
      MDC.put(key, value);
    }
  }

  /** Puts back what was in the MDC when the scope opened. */
  @Override
  public void close() {
    set(SERVICE, service);
    set(REPLICA, replica);
  }
}
