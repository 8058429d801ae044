package dev.orch.docker;

import com.github.dockerjava.api.command.InspectContainerResponse;
import com.github.dockerjava.api.exception.ConflictException;
import com.github.dockerjava.api.exception.NotFoundException;
import com.github.dockerjava.api.model.ContainerNetwork;
import com.github.dockerjava.api.model.Network;
import dev.orch.api.runtime.ContainerConflictException;
import dev.orch.api.runtime.LabelSelector;
import dev.orch.api.runtime.NetworkInfo;
import dev.orch.api.runtime.NoSuchNetworkException;
import dev.orch.api.runtime.NoSuchNodeException;
import dev.orch.api.runtime.OrchLabels;
import dev.orch.api.runtime.RequestRefusedException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import org.jspecify.annotations.Nullable;

/**
 * The networks of a {@link DockerRuntime}'s engines: the per-owner network each create joins
 * ({@code orch-<owner>}, labelled with the owner), and the SPI's network calls (create, remove, list, connect,
 * disconnect). One creation at a time per engine and name in this runtime: the engine's duplicate check is
 * not atomic. Thread-safe.
 */
final class DockerNetworks {
  private final DockerRuntime runtime;
  /** One network creation (or removal) at a time per engine and name ({@code node/name}). */
  private final Map<String, Object> networkLocks = new ConcurrentHashMap<>();

  DockerNetworks(DockerRuntime runtime) {
    this.runtime = runtime;
  }

  /**
   * The id of the network of the owner a create's labels name ({@code orch-<owner>}, or {@code orch-unowned}
   * without an owner label), created on this engine and labelled with the owner if missing.
   */
  String ownerNetwork(EngineNode n, EngineNode.Clients c, Map<String, String> labels) {
    String owner = labels.get(OrchLabels.OWNER);
    String name = DockerRuntime.DEFAULT_NETWORK + "-" + (owner == null ? "unowned" : owner);
    Map<String, String> networkLabels = new HashMap<>();
    networkLabels.put(DockerRuntime.NETWORK_LABEL, "true");
    if (owner != null) {
      networkLabels.put(OrchLabels.OWNER, owner);
    }
    return ensureNetwork(n, c, name, networkLabels).getId();
  }

  /**
   * Network {@code name} on the engine, created (a bridge) with {@code labels} if missing. One creation at a
   * time per engine and name in this runtime: the engine's duplicate check is not atomic, and two networks of
   * one name make the name ambiguous. If another runtime made a duplicate all the same, the one with the
   * lowest id is used (by id, so that the ambiguous name never matters).
   */
  private Network ensureNetwork(EngineNode n, EngineNode.Clients c, String name, Map<String, String> labels) {
    synchronized (networkLock(n, name)) {
      List<Network> same = sameName(c, name);
      if (same.isEmpty()) {
        try {
          c.api().createNetworkCmd().withName(name).withDriver("bridge").withCheckDuplicate(true).withLabels(labels)
              .exec();
        } catch (ConflictException raced) {
          // Another runtime created it meanwhile: use it.
        }
        same = sameName(c, name);
      }
      if (same.isEmpty()) {
        throw new NoSuchNetworkException(n.id() + ": network " + name + " was created, then was gone");
      }
      return same.get(0);
    }
  }

  private static List<Network> sameName(EngineNode.Clients c, String name) {
    return c.api().listNetworksCmd().withNameFilter(name).exec().stream().filter(net -> name.equals(net.getName()))
        .sorted(java.util.Comparator.comparing(Network::getId)).toList();
  }

  private Object networkLock(EngineNode n, String name) {
    return networkLocks.computeIfAbsent(n.id() + DockerRuntime.ID_SEPARATOR + name, k -> new Object());
  }

  private static NetworkInfo networkInfo(EngineNode n, EngineNode.Clients c, Network net) {
    Set<String> members = new java.util.TreeSet<>();
    members(c, net.getName()).forEach(id -> members.add(n.runtimeId(id)));
    return new NetworkInfo(net.getName(), n.id(), net.getLabels() == null ? Map.of() : net.getLabels(), members);
  }

  /**
   * The engine's ids of the containers connected to network {@code name}, created ones included (the
   * network's own inspect lists running containers only: an endpoint exists once a container starts). By
   * name: a created container knows its networks' names, and their ids only once it runs.
   */
  private static List<String> members(EngineNode.Clients c, String name) {
    return c.api().listContainersCmd().withShowAll(true).withNetworkFilter(List.of(name)).exec().stream()
        .map(com.github.dockerjava.api.model.Container::getId).toList();
  }

  /** Network {@code name} on node {@code nodeId}, created if missing: a bridge, labelled {@value DockerRuntime#NETWORK_LABEL} as well. */
  CompletionStage<NetworkInfo> create(String nodeId, String name, Map<String, String> labels) {
    EngineNode n = runtime.nodeOrNull(nodeId);
    if (n == null) {
      return CompletableFuture.failedFuture(new NoSuchNodeException("docker: create network " + name
          + " failed: no node " + nodeId + "; nodes are " + runtime.nodeIds()));
    }
    Map<String, String> all = new HashMap<>(labels);
    all.put(DockerRuntime.NETWORK_LABEL, "true");
    return n.call("create network " + name, true, null, null, c -> networkInfo(n, c, ensureNetwork(n, c, name, all)));
  }

  /** Removes network {@code name}; refuses one without {@link OrchLabels#OWNER} (Orch did not create it). */
  CompletionStage<Void> remove(String nodeId, String name) {
    EngineNode n = runtime.nodeOrNull(nodeId);
    if (n == null) {
      return CompletableFuture.failedFuture(new NoSuchNodeException("docker: remove network " + name
          + " failed: no node " + nodeId + "; nodes are " + runtime.nodeIds()));
    }
    return n.call("remove network " + name, true, null, null, c -> {
      synchronized (networkLock(n, name)) {
        return removeNetworkLocked(n, c, nodeId, name);
      }
    });
  }

  private static @Nullable Void removeNetworkLocked(EngineNode n, EngineNode.Clients c, String nodeId, String name) {
    Network net;
    try {
      net = c.api().inspectNetworkCmd().withNetworkId(name).exec();
    } catch (NotFoundException gone) {
      return null;
    }
    if (net.getLabels() == null || !net.getLabels().containsKey(OrchLabels.OWNER)) {
      throw new RequestRefusedException(nodeId + ": remove network " + name + " refused: it has no "
          + OrchLabels.OWNER + " label, so Orch did not create it");
    }
    List<String> members = members(c, name);
    if (!members.isEmpty()) {
      throw new ContainerConflictException(nodeId + ": remove network " + name + " failed: containers "
          + members.stream().map(n::runtimeId).toList() + " are connected to it");
    }
    try {
      c.api().removeNetworkCmd(name).exec();
    } catch (NotFoundException gone) {
      // Removed meanwhile.
    } catch (com.github.dockerjava.api.exception.DockerException inUse) {
      if (inUse.getHttpStatus() == 403 || inUse.getHttpStatus() == 409) {
        throw new ContainerConflictException(nodeId + ": remove network " + name + " failed: "
            + inUse.getMessage(), inUse);
      }
      throw inUse;
    }
    return null;
  }

  /** The networks matching {@code selector} on every engine that answers. */
  CompletionStage<List<NetworkInfo>> list(LabelSelector selector) {
    List<String> filters = DockerRuntime.labelFilters(selector);
    return runtime.onEveryReadyEngine("list networks " + selector.matchLabels(), (n, c) -> {
      var cmd = c.api().listNetworksCmd();
      if (!filters.isEmpty()) {
        cmd.withFilter("label", filters);
      }
      List<NetworkInfo> out = new ArrayList<>();
      for (Network listed : cmd.exec()) {
        if (selector.matches(listed.getLabels() == null ? Map.of() : listed.getLabels())) {
          out.add(networkInfo(n, c, listed));
        }
      }
      return out;
    });
  }


  /** Connects the container to {@code network} on its engine, under {@code aliases}. */
  CompletionStage<Void> connect(String containerId, String network, Set<String> aliases) {
    List<String> names = List.copyOf(aliases);
    return runtime.withContainer(containerId, "connect", (n, dockerId) -> n.call("connect " + containerId + " to " + network,
        true, containerId, null, c -> {
          requireNetwork(c, n, network, "connect " + containerId);
          if (connected(c, dockerId, network)) {
            return null;
          }
          c.api().connectToNetworkCmd().withNetworkId(network).withContainerId(dockerId)
              .withContainerNetwork(new ContainerNetwork().withAliases(names)).exec();
          return null;
        }));
  }

  /** Disconnects the container from {@code network}, if connected. */
  CompletionStage<Void> disconnect(String containerId, String network) {
    return runtime.withContainer(containerId, "disconnect", (n, dockerId) -> n.call("disconnect " + containerId + " from "
        + network, true, containerId, null, c -> {
          if (connected(c, dockerId, network)) {
            c.api().disconnectFromNetworkCmd().withNetworkId(network).withContainerId(dockerId).exec();
          }
          return null;
        }));
  }

  private static void requireNetwork(EngineNode.Clients c, EngineNode n, String network, String what) {
    try {
      c.api().inspectNetworkCmd().withNetworkId(network).exec();
    } catch (NotFoundException missing) {
      throw new NoSuchNetworkException(n.id() + ": " + what + " failed: no network " + network + " on " + n.id(),
          missing);
    }
  }

  private static boolean connected(EngineNode.Clients c, String dockerId, String network) {
    InspectContainerResponse r = c.api().inspectContainerCmd(dockerId).exec();
    return r.getNetworkSettings() != null && r.getNetworkSettings().getNetworks() != null
        && r.getNetworkSettings().getNetworks().containsKey(network);
  }
}
