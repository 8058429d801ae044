package dev.orch.docker;

import com.github.dockerjava.api.command.InspectContainerResponse;
import com.github.dockerjava.api.exception.BadRequestException;
import com.github.dockerjava.api.exception.ConflictException;
import com.github.dockerjava.api.exception.DockerException;
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
import java.util.concurrent.atomic.AtomicReference;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The networks of a {@link DockerRuntime}'s engines: the per-owner network each create joins
 * ({@code orch-<owner>}, labelled with the owner, with traffic between its containers off), and the SPI's
 * network calls (create, remove, list, connect, disconnect). Networks made through the SPI get a subnet of
 * their own, so that a container whose aliases change keeps its address there (see {@link #connect}). One
 * creation at a time per engine and name in this runtime: the engine's duplicate check is not atomic.
 * Thread-safe.
 */
final class DockerNetworks {
  /**
   * The bridge driver's option that drops traffic between the network's containers (set to {@code false});
   * ports published on the host still answer.
   */
  static final String ICC_OPTION = "com.docker.network.bridge.enable_icc";
  /**
   * The label on the short-lived network a create makes to learn the subnet the engine offers (its value: the
   * network being created); one left behind by a runtime that died meanwhile can go.
   */
  static final String PROBE_LABEL = "orch.network-subnet-probe";
  /** How many times a create tries again when another network takes the subnet the engine offered it. */
  static final int SUBNET_ATTEMPTS = 5;
  /** The length of the short container id Docker adds to a container's aliases. */
  private static final int SHORT_ID = 12;

  private static final Logger log = LoggerFactory.getLogger(DockerNetworks.class);

  private final DockerRuntime runtime;
  /** One network creation (or removal) at a time per engine and name ({@code node/name}). */
  private final Map<String, Object> networkLocks = new ConcurrentHashMap<>();
  /** The networks ({@code node/name}) already named in a warning that they cannot keep addresses. */
  private final Set<String> warnedWithoutSubnet = ConcurrentHashMap.newKeySet();
  /** Owner networks found carrying traffic between their containers, warned of once each. */
  private final Set<String> warnedIcc = ConcurrentHashMap.newKeySet();

  /** How a missing network is made on an engine; may throw {@link ConflictException} if another made it. */
  @FunctionalInterface
  private interface NetworkMaker {
    void make(EngineNode.Clients c);
  }

  DockerNetworks(DockerRuntime runtime) {
    this.runtime = runtime;
  }

  /**
   * The id of the network of the owner a create's labels name ({@code orch-<owner>}, or {@code orch-unowned}
   * without an owner label), created on this engine and labelled with the owner if missing. A network it
   * creates carries no traffic between its containers ({@value #ICC_OPTION} off): they reach each other only
   * through the networks Orch wires, while their ports published on the host still answer. One that exists
   * is used as it is.
   */
  String ownerNetwork(EngineNode n, EngineNode.Clients c, Map<String, String> labels) {
    String owner = labels.get(OrchLabels.OWNER);
    String name = DockerRuntime.DEFAULT_NETWORK + "-" + (owner == null ? "unowned" : owner);
    Map<String, String> networkLabels = new HashMap<>();
    networkLabels.put(DockerRuntime.NETWORK_LABEL, "true");
    if (owner != null) {
      networkLabels.put(OrchLabels.OWNER, owner);
    }
    Network net = ensureNetwork(n, c, name, cl -> cl.api().createNetworkCmd().withName(name).withDriver("bridge")
        .withCheckDuplicate(true).withLabels(networkLabels).withOptions(Map.of(ICC_OPTION, "false")).exec());
    Map<String, String> options = net.getOptions() == null ? Map.of() : net.getOptions();
    if (!"false".equals(options.get(ICC_OPTION)) && warnedIcc.add(n.id() + DockerRuntime.ID_SEPARATOR + name)) {
      log.warn("{}: network {} carries traffic between its containers (an older Orch made it, or someone else):"
          + " network policy does not hold between the containers on it; once no container uses it, remove it"
          + " and Orch makes it anew without", n.id(), name);
    }
    return net.getId();
  }

  /**
   * Network {@code name} on the engine, made by {@code maker} if missing. One creation at a time per engine
   * and name in this runtime: the engine's duplicate check is not atomic, and two networks of one name make
   * the name ambiguous. If another runtime made a duplicate all the same, the one with the lowest id is used
   * (by id, so that the ambiguous name never matters).
   */
  private Network ensureNetwork(EngineNode n, EngineNode.Clients c, String name, NetworkMaker maker) {
    synchronized (networkLock(n, name)) {
      List<Network> same = sameName(c, name);
      if (same.isEmpty()) {
        try {
          maker.make(c);
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

  /**
   * Creates bridge network {@code name} with {@code labels} and a subnet configured as the user's, which
   * Docker requires before it lets a container join at a given address. The engine picks the subnet from its
   * pools for a probe network made without one (named {@code orch-subnet-probe-<random>}, labelled
   * {@value #PROBE_LABEL}), which is removed; then {@code name} is made with that subnet and gateway. The
   * probe has a name of its own so that {@code name} appears once, as it stays: a listing in between never
   * misses it for a removal. Another network may take the subnet in between (the engine refuses the create
   * as overlapping): then all over again, {@value #SUBNET_ATTEMPTS} times at most. Where the engine gives the
   * probe no subnet, {@code name} is made without one.
   */
  private static void createWithOwnSubnet(EngineNode n, EngineNode.Clients c, String name,
                                          Map<String, String> labels) {
    DockerException lastOverlap = null;
    for (int attempt = 1; attempt <= SUBNET_ATTEMPTS; attempt++) {
      Network.Ipam.@Nullable Config offered = offeredSubnet(c, name);
      if (offered == null) {
        log.warn("{}: network {} gets no subnet of its own (the engine gave none): a container whose aliases"
            + " change there moves to a new address", n.id(), name);
        c.api().createNetworkCmd().withName(name).withDriver("bridge").withCheckDuplicate(true).withLabels(labels)
            .exec();
        return;
      }
      try {
        c.api().createNetworkCmd().withName(name).withDriver("bridge").withCheckDuplicate(true).withLabels(labels)
            .withIpam(new Network.Ipam().withConfig(offered)).exec();
        return;
      } catch (DockerException e) {
        if (e.getHttpStatus() != 403) {
          throw e; // a 409 among them: another runtime made the network meanwhile, and ensureNetwork uses it
        }
        lastOverlap = e;
        log.debug("{}: create network {}: subnet {} was taken meanwhile ({}); attempt {} of {}", n.id(), name,
            offered.getSubnet(), e.getMessage(), attempt, SUBNET_ATTEMPTS);
      }
    }
    throw new RequestRefusedException(n.id() + ": create network " + name + " failed: another network took the"
        + " subnet the engine offered, " + SUBNET_ATTEMPTS + " times; engine answered: "
        + (lastOverlap == null ? "" : lastOverlap.getMessage()), lastOverlap);
  }

  /** The subnet and gateway the engine gives a bridge made without them now (a probe, removed); or null. */
  private static Network.Ipam.@Nullable Config offeredSubnet(EngineNode.Clients c, String name) {
    String probe = "orch-subnet-probe-" + java.util.UUID.randomUUID().toString().substring(0, 8);
    String probeId = c.api().createNetworkCmd().withName(probe).withDriver("bridge").withCheckDuplicate(true)
        .withLabels(Map.of(DockerRuntime.NETWORK_LABEL, "true", PROBE_LABEL, name)).exec().getId();
    try {
      Network.Ipam ipam = c.api().inspectNetworkCmd().withNetworkId(probeId).exec().getIpam();
      List<Network.Ipam.Config> pools = ipam == null || ipam.getConfig() == null ? List.of() : ipam.getConfig();
      if (pools.isEmpty() || pools.get(0).getSubnet() == null) {
        return null;
      }
      return new Network.Ipam.Config().withSubnet(pools.get(0).getSubnet()).withGateway(pools.get(0).getGateway());
    } finally {
      try {
        c.api().removeNetworkCmd(probeId).exec();
      } catch (NotFoundException gone) {
        // Removed by someone else: its subnet is free all the same.
      }
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

  /**
   * Network {@code name} on node {@code nodeId}, created if missing: a bridge with a subnet of its own (so
   * that {@link #connect} can keep a container's address there), labelled {@value DockerRuntime#NETWORK_LABEL}
   * as well. One that exists is returned as it is.
   */
  CompletionStage<NetworkInfo> create(String nodeId, String name, Map<String, String> labels) {
    EngineNode n = runtime.nodeOrNull(nodeId);
    if (n == null) {
      return CompletableFuture.failedFuture(new NoSuchNodeException("docker: create network " + name
          + " failed: no node " + nodeId + "; nodes are " + runtime.nodeIds()));
    }
    Map<String, String> all = new HashMap<>(labels);
    all.put(DockerRuntime.NETWORK_LABEL, "true");
    return n.call("create network " + name, true, null, null, c -> networkInfo(n, c,
        ensureNetwork(n, c, name, cl -> createWithOwnSubnet(n, cl, name, all))));
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


  /**
   * Connects the container to {@code network} on its engine, under {@code aliases} (besides its name and short
   * id, which Docker adds itself and which are never compared). Under the aliases it has there, it does
   * nothing. Under others, it leaves the network and joins it again under the new ones at the address it had,
   * so that its connections there survive (TCP rides out the moment between); a created container, with no
   * address yet, just leaves and joins. On a network without a subnet configured as the user's (one an older
   * Orch or someone else made), or when the engine refuses the address, it joins at a new address and its
   * connections there are cut: logged at WARN, once a network for the missing subnet.
   */
  CompletionStage<Void> connect(String containerId, String network, Set<String> aliases) {
    List<String> names = List.copyOf(aliases);
    // The address an earlier try of this call left the network at, for a retried try to join at it again.
    AtomicReference<@Nullable String> leftAt = new AtomicReference<>();
    return runtime.withContainer(containerId, "connect", (n, dockerId) -> n.call("connect " + containerId + " to " + network,
        true, containerId, null, c -> {
          requireNetwork(c, n, network, "connect " + containerId);
          InspectContainerResponse r = c.api().inspectContainerCmd(dockerId).exec();
          ContainerNetwork now = endpoint(r, network);
          if (now == null) {
            join(n, c, containerId, dockerId, network, names, leftAt.get());
            return null;
          }
          if (userAliases(r, now.getAliases()).equals(userAliases(r, names))) {
            return null;
          }
          String address = now.getIpAddress() == null || now.getIpAddress().isEmpty() ? null : now.getIpAddress();
          leftAt.set(address);
          c.api().disconnectFromNetworkCmd().withNetworkId(network).withContainerId(dockerId).exec();
          join(n, c, containerId, dockerId, network, names, address);
          return null;
        }));
  }

  /**
   * Joins the container to {@code network} under {@code aliases}, at {@code address} if not null; where the
   * engine refuses that address, at one it picks.
   */
  private void join(EngineNode n, EngineNode.Clients c, String containerId, String dockerId, String network,
                    List<String> aliases, @Nullable String address) {
    if (address == null) {
      c.api().connectToNetworkCmd().withNetworkId(network).withContainerId(dockerId)
          .withContainerNetwork(new ContainerNetwork().withAliases(aliases)).exec();
      return;
    }
    try {
      c.api().connectToNetworkCmd().withNetworkId(network).withContainerId(dockerId)
          .withContainerNetwork(new ContainerNetwork().withAliases(aliases)
              .withIpamConfig(new ContainerNetwork.Ipam().withIpv4Address(address))).exec();
      return;
    } catch (NotFoundException gone) {
      throw gone;
    } catch (BadRequestException noOwnSubnet) {
      if (warnedWithoutSubnet.add(n.id() + DockerRuntime.ID_SEPARATOR + network)) {
        log.warn("{}: network {} has no subnet configured as the user's (an older Orch or someone else made it):"
            + " a container whose aliases change there joins at a new address and its connections there are cut;"
            + " engine answered: {}", n.id(), network, noOwnSubnet.getMessage());
      } else {
        log.debug("{}: {} rejoins network {} at a new address: {}", n.id(), containerId, network,
            noOwnSubnet.getMessage());
      }
      join(n, c, containerId, dockerId, network, aliases, null);
      return;
    } catch (DockerException refused) {
      log.warn("{}: {} could not rejoin network {} at {}: it joins at a new address and its connections there are"
          + " cut; engine answered: {}", n.id(), containerId, network, address, refused.getMessage());
      try {
        join(n, c, containerId, dockerId, network, aliases, null);
      } catch (RuntimeException again) {
        again.addSuppressed(refused);
        throw again;
      }
    }
  }

  private static @Nullable ContainerNetwork endpoint(InspectContainerResponse r, String network) {
    return r.getNetworkSettings() == null || r.getNetworkSettings().getNetworks() == null ? null
        : r.getNetworkSettings().getNetworks().get(network);
  }

  /** {@code aliases} without the ones Docker gives the container itself: its short id and its name. */
  private static Set<String> userAliases(InspectContainerResponse r, @Nullable List<String> aliases) {
    Set<String> out = new java.util.HashSet<>(aliases == null ? List.of() : aliases);
    if (r.getId() != null) {
      out.remove(r.getId().substring(0, Math.min(SHORT_ID, r.getId().length())));
    }
    if (r.getName() != null) {
      out.remove(r.getName().startsWith("/") ? r.getName().substring(1) : r.getName());
    }
    return out;
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
