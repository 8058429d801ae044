package dev.orch.inmemory;

import dev.orch.api.runtime.ExecResult;
import dev.orch.api.runtime.ProbeResult;
import dev.orch.api.spec.ProbeAction;
import dev.orch.api.spec.ProbeKind;
import java.util.List;

/**
 * What a simulated container does: register one per image with
 * {@link InMemoryRuntime.Builder#behavior(String, ContainerBehavior)}; built-ins are in {@link Behaviors}.
 *
 * <p>One instance serves every container of its image, so keep per-run state in
 * {@link ContainerProcess#attributes()} or derive it from {@link ContainerProcess#uptime()}. Callbacks run
 * under the runtime's lock on whichever thread drove the change (a caller, or the time source's thread)
 * and must not block. Every method has a default: the default behaviour runs until stopped, exits 0 on
 * SIGTERM, is always live and ready, and answers a few shell commands (see {@link #exec}).
 *
 * <p>A callback that throws crashes the container with exit code 1 and logs the error to its log.
 * Implementations must be thread-safe (they are shared by every container of the image).
 */
public interface ContainerBehavior {

  /** Called when a run starts; schedule what it will do with {@link ContainerProcess#schedule}. */
  default void onStart(ContainerProcess process) {
  }

  /** Called when the process is asked to stop (SIGTERM); the default exits 0 at once. */
  default void onSigterm(ContainerProcess process) {
    process.exit(0);
  }

  /** Whether the running process passes liveness checks (asked only while it runs). */
  default boolean isLive(ContainerProcess process) {
    return true;
  }

  /** Whether the running process passes readiness checks (asked only while it runs). */
  default boolean isReady(ContainerProcess process) {
    return true;
  }

  /**
   * Runs a command in the running process. The default is a tiny shell: {@code true}, {@code false},
   * {@code exit N}, {@code echo ...} (with {@code >} and {@code >>} to a file on a volume), {@code cat FILE},
   * {@code sleep N}, and {@code sh -c "a; b && c"} of those; anything else exits 127.
   */
  default ExecResult exec(ContainerProcess process, List<String> command) {
    return MiniShell.run(process, command);
  }

  /**
   * Answers a request to the running process ({@link InMemoryRuntime#call}). The default: 200 at once, with
   * the container's image as the body (which version answered); {@link Behaviors#serving} gives a behaviour
   * a {@link RequestModel} of errors, latency and CPU.
   */
  default SimResponse serve(ContainerProcess process, SimRequest request) {
    process.useCpu(java.time.Duration.ofMillis(1));
    return SimResponse.ok(process.spec().image());
  }

  /**
   * Answers the {@code kind} probe of the running process. The default: an HTTP GET or TCP connect
   * reports {@link #isReady} for a readiness probe and {@link #isLive} for a startup or liveness probe;
   * an exec probe passes when {@link #exec} exits 0.
   */
  default ProbeResult probe(ContainerProcess process, ProbeKind kind, ProbeAction action) {
    boolean up = kind == ProbeKind.READINESS ? isReady(process) : isLive(process);
    if (action instanceof ProbeAction.HttpGet) {
      return up ? ProbeResult.passed() : ProbeResult.failed("HTTP 503");
    }
    if (action instanceof ProbeAction.TcpSocket) {
      return up ? ProbeResult.passed() : ProbeResult.failed("connection refused");
    }
    ExecResult r = exec(process, ((ProbeAction.Exec) action).command());
    return r.exitCode() == 0 ? ProbeResult.passed() : ProbeResult.failed("exit code " + r.exitCode());
  }
}
