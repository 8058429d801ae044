package dev.orch.core;

import dev.orch.api.runtime.ContainerCreateRequest;
import dev.orch.api.runtime.ContainerInfo;
import dev.orch.api.runtime.ProbeTransport;
import dev.orch.inmemory.InMemoryRuntime;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import java.util.function.Consumer;

/**
 * A shared in-memory runtime as one orchestrator sees it, telling {@code noted} of each call that changes
 * something ({@code create web-0-x7k2}, {@code start <id>}, {@code stop <id>}, {@code remove <id>}) before making it;
 * probes go through the runtime's own transport.
 */
final class NotingRuntime extends ForwardingRuntime {
  private final InMemoryRuntime runtime;
  private final Consumer<String> noted;

  NotingRuntime(InMemoryRuntime runtime, Consumer<String> noted) {
    super(runtime);
    this.runtime = runtime;
    this.noted = noted;
  }

  @Override
  public Optional<ProbeTransport> probeTransport() {
    return runtime.probeTransport();
  }

  @Override
  public CompletionStage<ContainerInfo> create(ContainerCreateRequest request) {
    noted.accept("create " + request.name());
    return super.create(request);
  }

  @Override
  public CompletionStage<Void> start(String containerId) {
    noted.accept("start " + containerId);
    return super.start(containerId);
  }

  @Override
  public CompletionStage<Void> stop(String containerId, Duration grace) {
    noted.accept("stop " + containerId);
    return super.stop(containerId, grace);
  }

  @Override
  public CompletionStage<Void> remove(String containerId) {
    noted.accept("remove " + containerId);
    return super.remove(containerId);
  }
}
