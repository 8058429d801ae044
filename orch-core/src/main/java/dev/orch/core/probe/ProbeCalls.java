package dev.orch.core.probe;

import dev.orch.api.runtime.ContainerRuntime;
import dev.orch.api.runtime.ProbeResult;
import dev.orch.api.runtime.ProbeTransport;
import dev.orch.api.spec.ProbeAction;
import dev.orch.api.spec.ProbeKind;
import dev.orch.api.time.ScheduledTask;
import dev.orch.core.probe.internal.NioProbeEngine;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.OptionalInt;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;

/**
 * Turns a probe action and a target into the call that runs it: over the network on the prober's NIO
 * engine, through the runtime's probe transport, or through the runtime's exec. Checks, once, that the
 * target can serve the action. Thread-safe; the calls it returns may run on any thread.
 */
final class ProbeCalls {
  private final HealthProber prober;

  ProbeCalls(HealthProber prober) {
    this.prober = prober;
  }

  /**
   * The call that runs {@code action} against {@code target}, routed as {@link ProbeTarget} says.
   *
   * @param field the probe's name in messages ({@code "probes.liveness"})
   */
  Supplier<CompletionStage<ProbeResult>> call(ProbeTarget target, ProbeKind kind, ProbeAction action,
                                              Duration timeout, String field) {
    String id = target.containerId();
    long timeoutNanos = timeout.toNanos();
    if (action instanceof ProbeAction.Exec exec) {
      if (exec.command().isEmpty()) {
        throw new IllegalArgumentException(field + ".exec.command: []: must not be empty");
      }
      if (target.transport().isPresent()) {
        ProbeTransport t = target.transport().get();
        return () -> guarded(() -> t.probe(id, kind, action, timeout), timeout);
      }
      if (target.runtime().isEmpty()) {
        throw new IllegalArgumentException(field + ".exec: target " + id
            + " has neither a probe transport nor a runtime to run the command");
      }
      ContainerRuntime rt = target.runtime().get();
      return () -> guarded(() -> rt.exec(id, exec.command(), timeout).thenApply(r -> r.exitCode() == 0
          ? ProbeResult.passed() : ProbeResult.failed("exit code " + r.exitCode())), timeout);
    }
    boolean http = action instanceof ProbeAction.HttpGet;
    String via = http ? ".http" : ".tcp";
    if (target.host().isEmpty()) {
      if (target.transport().isEmpty()) {
        throw new IllegalArgumentException(field + via + ": target " + id
            + " has neither a host nor a probe transport to reach it");
      }
      ProbeTransport t = target.transport().get();
      return () -> guarded(() -> t.probe(id, kind, action, timeout), timeout);
    }
    var port = http ? ((ProbeAction.HttpGet) action).port() : ((ProbeAction.TcpSocket) action).port();
    OptionalInt hostPort = target.hostPort(port);
    if (hostPort.isEmpty()) {
      throw new IllegalArgumentException(field + via + ".port: \"" + port.name() + "\": target " + id
          + " maps no port of that name (ProbeTarget.Builder.port(name, hostPort))");
    }
    if (http && !((ProbeAction.HttpGet) action).path().startsWith("/")) {
      throw new IllegalArgumentException(field + ".http.path: \"" + ((ProbeAction.HttpGet) action).path()
          + "\": must start with '/'");
    }
    String host = target.host().get();
    InetSocketAddress address = new InetSocketAddress(host, hostPort.getAsInt());
    NioProbeEngine e = prober.engine();
    if (http) {
      byte[] request = NioProbeEngine.httpRequest(host, hostPort.getAsInt(), ((ProbeAction.HttpGet) action).path());
      return () -> e.http(address, request, timeoutNanos);
    }
    return () -> e.tcp(address, timeoutNanos);
  }

  /** Runs a runtime-served probe, turning a throw or failure into a failed result, bounded by the timeout. */
  private CompletionStage<ProbeResult> guarded(Supplier<CompletionStage<ProbeResult>> probe, Duration timeout) {
    CompletableFuture<ProbeResult> out = new CompletableFuture<>();
    try {
      probe.get().whenComplete((r, e) -> out.complete(e == null ? r : ProbeResult.failed(describe(e))));
    } catch (RuntimeException e) {
      out.complete(ProbeResult.failed(describe(e)));
    }
    if (!out.isDone()) {
      ScheduledTask t = prober.schedule(timeout,
          () -> out.complete(ProbeResult.failed("timed out after " + format(timeout))));
      out.whenComplete((r, e) -> t.cancel());
    }
    return out;
  }

  private static String format(Duration d) {
    long ms = d.toMillis();
    return ms % 1000 == 0 ? ms / 1000 + "s" : ms + "ms";
  }

  private static String describe(Throwable e) {
    Throwable c = e instanceof CompletionException && e.getCause() != null ? e.getCause() : e;
    return c.getMessage() != null ? c.getMessage() : c.getClass().getSimpleName();
  }
}
