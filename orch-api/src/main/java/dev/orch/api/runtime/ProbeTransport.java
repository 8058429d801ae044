package dev.orch.api.runtime;

import dev.orch.api.spec.ProbeAction;
import dev.orch.api.spec.ProbeKind;
import java.time.Duration;
import java.util.concurrent.CompletionStage;

/**
 * A runtime's own way to run probes against its containers, for runtimes whose containers are not on a
 * network (the in-memory one). Thread-safe.
 */
public interface ProbeTransport {
  /**
   * Runs {@code action} against container {@code containerId}, as its {@code kind} probe.
   *
   * @return completes with the result; a probe that takes longer than {@code timeout} fails
   */
  CompletionStage<ProbeResult> probe(String containerId, ProbeKind kind, ProbeAction action, Duration timeout);
}
