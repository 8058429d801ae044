package dev.orch.core.engine;

import dev.orch.api.runtime.ContainerRuntime;
import dev.orch.api.runtime.LabelSelector;
import dev.orch.api.runtime.NetworkInfo;
import dev.orch.api.runtime.OrchLabels;
import dev.orch.api.runtime.RuntimeCapability;
import dev.orch.core.util.Failures;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The networks a runtime made for an owner's containers, removed once nothing uses them. Stateless. */
final class OwnedNetworks {
  private static final Logger LOG = LoggerFactory.getLogger(OwnedNetworks.class);

  private OwnedNetworks() {
  }

  /**
   * Removes the networks the runtime made for this owner's containers (labelled with the owner) that no
   * container uses any more, waiting up to {@code callTimeout}; a network still in use stays. Does nothing on a
   * runtime without {@link RuntimeCapability#NETWORKS}.
   *
   * @return the networks that stayed, as {@code node/name}
   */
  static List<String> remove(ContainerRuntime rt, String ownerId, Duration callTimeout) {
    if (!rt.capabilities().contains(RuntimeCapability.NETWORKS)) {
      return List.of();
    }
    long timeout = callTimeout.toMillis();
    List<String> stayed = new java.util.concurrent.CopyOnWriteArrayList<>();
    try {
      List<NetworkInfo> owned = rt.listNetworks(LabelSelector.of(OrchLabels.OWNER, ownerId))
          .toCompletableFuture().get(timeout, TimeUnit.MILLISECONDS);
      CompletableFuture<?>[] removals = owned.stream().map(n -> rt.removeNetwork(n.nodeId(), n.name())
          .toCompletableFuture().exceptionally(e -> {
            stayed.add(n.nodeId() + "/" + n.name());
            LOG.info("orchestrator {}: network {} on {} stays: {}", ownerId, n.name(), n.nodeId(),
                Failures.describe(e));
            return null;
          })).toArray(CompletableFuture[]::new);
      CompletableFuture.allOf(removals).get(timeout, TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (ExecutionException | TimeoutException e) {
      LOG.warn("orchestrator {}: removing its networks failed: {}", ownerId, Failures.describe(e));
    }
    return stayed;
  }
}
