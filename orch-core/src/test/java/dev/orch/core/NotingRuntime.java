package dev.orch.core;

import dev.orch.api.runtime.ContainerCreateRequest;
import dev.orch.api.runtime.ContainerInfo;
import dev.orch.api.runtime.LabelSelector;
import dev.orch.api.runtime.NetworkInfo;
import dev.orch.api.runtime.ProbeTransport;
import dev.orch.api.runtime.VolumeInfo;
import dev.orch.inmemory.InMemoryRuntime;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletionStage;
import java.util.function.Consumer;

/**
 * A shared in-memory runtime as one orchestrator sees it, telling {@code noted} of each call that changes
 * something ({@code create web-0-x7k2}, {@code start <id>}, {@code stop <id>}, {@code remove <id>}, and the calls
 * on networks and volumes) before making it; probes go through the runtime's own transport, and networks are the
 * runtime's own, so that the wiring of discovery is among the calls noted.
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

  @Override
  public CompletionStage<NetworkInfo> createNetwork(String nodeId, String name, Map<String, String> labels) {
    noted.accept("create network " + name + " on " + nodeId);
    return runtime.createNetwork(nodeId, name, labels);
  }

  @Override
  public CompletionStage<Void> removeNetwork(String nodeId, String name) {
    noted.accept("remove network " + name + " on " + nodeId);
    return runtime.removeNetwork(nodeId, name);
  }

  @Override
  public CompletionStage<List<NetworkInfo>> listNetworks(LabelSelector selector) {
    return runtime.listNetworks(selector);
  }

  @Override
  public CompletionStage<Void> connect(String containerId, String network, Set<String> aliases) {
    noted.accept("connect " + containerId + " to " + network);
    return runtime.connect(containerId, network, aliases);
  }

  @Override
  public CompletionStage<Void> disconnect(String containerId, String network) {
    noted.accept("disconnect " + containerId + " from " + network);
    return runtime.disconnect(containerId, network);
  }

  @Override
  public CompletionStage<VolumeInfo> createVolume(String nodeId, String name, Map<String, String> labels) {
    noted.accept("create volume " + name + " on " + nodeId);
    return super.createVolume(nodeId, name, labels);
  }

  @Override
  public CompletionStage<Void> removeVolume(String nodeId, String name) {
    noted.accept("remove volume " + name + " on " + nodeId);
    return super.removeVolume(nodeId, name);
  }
}
