package dev.orch.core;

import dev.orch.api.runtime.ContainerCreateRequest;
import dev.orch.api.runtime.ContainerInfo;
import dev.orch.api.runtime.ContainerRuntime;
import dev.orch.api.runtime.LabelSelector;
import dev.orch.api.runtime.NodeInfo;
import dev.orch.api.runtime.RuntimeCapability;
import dev.orch.api.runtime.RuntimeListener;
import dev.orch.api.runtime.Subscription;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletionStage;

/**
 * A runtime that forwards every call to another (but networks and the probe transport: probes go over the
 * published ports); tests override what they need to change. {@code listing}
 * keeps its default (through {@link #list}), so that a test overriding {@code list} sees every listing.
 */
class ForwardingRuntime implements ContainerRuntime {
  private final ContainerRuntime delegate;

  ForwardingRuntime(ContainerRuntime delegate) {
    this.delegate = delegate;
  }

  @Override
  public String name() {
    return "forwarding-" + delegate.name();
  }

  @Override
  public Set<RuntimeCapability> capabilities() {
    return delegate.capabilities();
  }

  @Override
  public CompletionStage<List<NodeInfo>> nodes() {
    return delegate.nodes();
  }

  @Override
  public CompletionStage<ContainerInfo> create(ContainerCreateRequest request) {
    return delegate.create(request);
  }

  @Override
  public CompletionStage<Void> start(String containerId) {
    return delegate.start(containerId);
  }

  @Override
  public CompletionStage<Void> stop(String containerId, Duration grace) {
    return delegate.stop(containerId, grace);
  }

  @Override
  public CompletionStage<Void> kill(String containerId) {
    return delegate.kill(containerId);
  }

  @Override
  public CompletionStage<Void> remove(String containerId) {
    return delegate.remove(containerId);
  }

  @Override
  public CompletionStage<ContainerInfo> inspect(String containerId) {
    return delegate.inspect(containerId);
  }

  @Override
  public CompletionStage<List<ContainerInfo>> list(LabelSelector selector) {
    return delegate.list(selector);
  }

  @Override
  public Subscription subscribe(RuntimeListener listener) {
    return delegate.subscribe(listener);
  }

  @Override
  public CompletionStage<dev.orch.api.runtime.ExecResult> exec(String containerId, List<String> command,
                                                               Duration timeout) {
    return delegate.exec(containerId, command, timeout);
  }

  @Override
  public CompletionStage<List<String>> logs(String containerId, int tailLines) {
    return delegate.logs(containerId, tailLines);
  }

  @Override
  public CompletionStage<dev.orch.api.runtime.VolumeInfo> createVolume(String nodeId, String name,
                                                                       java.util.Map<String, String> labels) {
    return delegate.createVolume(nodeId, name, labels);
  }

  @Override
  public CompletionStage<Void> removeVolume(String nodeId, String name) {
    return delegate.removeVolume(nodeId, name);
  }

  @Override
  public CompletionStage<List<dev.orch.api.runtime.VolumeInfo>> listVolumes(LabelSelector selector) {
    return delegate.listVolumes(selector);
  }

  @Override
  public void close() {
    // the delegate belongs to the test
  }
}
