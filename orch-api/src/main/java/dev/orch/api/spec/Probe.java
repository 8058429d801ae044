package dev.orch.api.spec;

import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * A health check and its timing, with Kubernetes' semantics and defaults: no initial delay, a period of
 * 10 s, a timeout of 1 s, 1 success and 3 consecutive failures to change state.
 *
 * <p>Build with a factory and refine with the {@code with*} methods:
 * {@code Probe.http("/ready", "http").withPeriod(Duration.ofSeconds(2))}. Immutable and thread-safe.
 *
 * @param action           what the probe does
 * @param initialDelay     how long after the container starts the first probe runs
 * @param period           time between probes; at least 1 ms
 * @param timeout          how long one probe may take; at least 1 ms
 * @param successThreshold consecutive successes that make a failing probe pass; at least 1
 * @param failureThreshold consecutive failures that make a passing probe fail; at least 1
 */
public record Probe(ProbeAction action, Duration initialDelay, Duration period, Duration timeout,
                    int successThreshold, int failureThreshold) {
  /** Kubernetes' default period. */
  public static final Duration DEFAULT_PERIOD = Duration.ofSeconds(10);
  /** Kubernetes' default timeout. */
  public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(1);
  /** Kubernetes' default success threshold. */
  public static final int DEFAULT_SUCCESS_THRESHOLD = 1;
  /** Kubernetes' default failure threshold. */
  public static final int DEFAULT_FAILURE_THRESHOLD = 3;

  /** Creates a probe; every reference component is required. */
  public Probe {
    Objects.requireNonNull(action, "action");
    Objects.requireNonNull(initialDelay, "initialDelay");
    Objects.requireNonNull(period, "period");
    Objects.requireNonNull(timeout, "timeout");
  }

  /** A probe running {@code action} with Kubernetes' default timing. */
  public static Probe of(ProbeAction action) {
    return new Probe(action, Duration.ZERO, DEFAULT_PERIOD, DEFAULT_TIMEOUT,
        DEFAULT_SUCCESS_THRESHOLD, DEFAULT_FAILURE_THRESHOLD);
  }

  /** An HTTP GET of {@code path} on the container port named {@code portName}. */
  public static Probe http(String path, String portName) {
    return of(new ProbeAction.HttpGet(path, PortRef.named(portName)));
  }

  /** An HTTP GET of {@code path} on container port {@code port}. */
  public static Probe http(String path, int port) {
    return of(new ProbeAction.HttpGet(path, PortRef.number(port)));
  }

  /** A TCP connect to the container port named {@code portName}. */
  public static Probe tcp(String portName) {
    return of(new ProbeAction.TcpSocket(PortRef.named(portName)));
  }

  /** A TCP connect to container port {@code port}. */
  public static Probe tcp(int port) {
    return of(new ProbeAction.TcpSocket(PortRef.number(port)));
  }

  /** Runs {@code command} in the container; exit code 0 passes. */
  public static Probe exec(String... command) {
    Objects.requireNonNull(command, "command");
    return of(new ProbeAction.Exec(List.of(command)));
  }

  /** This probe with another initial delay. */
  public Probe withInitialDelay(Duration initialDelay) {
    return new Probe(action, initialDelay, period, timeout, successThreshold, failureThreshold);
  }

  /** This probe with another period. */
  public Probe withPeriod(Duration period) {
    return new Probe(action, initialDelay, period, timeout, successThreshold, failureThreshold);
  }

  /** This probe with another timeout. */
  public Probe withTimeout(Duration timeout) {
    return new Probe(action, initialDelay, period, timeout, successThreshold, failureThreshold);
  }

  /** This probe with other thresholds. */
  public Probe withThresholds(int successThreshold, int failureThreshold) {
    return new Probe(action, initialDelay, period, timeout, successThreshold, failureThreshold);
  }

  void validate(String path, Violations v, ContainerSpec container) {
    if (initialDelay.isNegative()) {
      v.add(path + ".initialDelay", initialDelay, "must be >= 0");
    }
    if (period.toMillis() < 1) {
      v.add(path + ".period", period, "must be >= 1ms");
    }
    if (timeout.toMillis() < 1) {
      v.add(path + ".timeout", timeout, "must be >= 1ms");
    }
    v.atLeast(path + ".successThreshold", successThreshold, 1);
    v.atLeast(path + ".failureThreshold", failureThreshold, 1);
    if (action instanceof ProbeAction.HttpGet http) {
      if (!http.path().startsWith("/")) {
        v.add(path + ".http.path", Violations.quoted(http.path()), "must start with '/'");
      }
      http.port().validate(path + ".http.port", v, container);
    } else if (action instanceof ProbeAction.TcpSocket tcp) {
      tcp.port().validate(path + ".tcp.port", v, container);
    } else if (action instanceof ProbeAction.Exec exec && exec.command().isEmpty()) {
      v.add(path + ".exec.command", "[]", "must not be empty");
    }
  }
}
