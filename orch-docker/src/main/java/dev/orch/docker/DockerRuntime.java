package dev.orch.docker;

import com.github.dockerjava.api.async.ResultCallback;
import com.github.dockerjava.api.command.InspectContainerResponse;
import com.github.dockerjava.api.command.InspectVolumeResponse;
import com.github.dockerjava.api.exception.ConflictException;
import com.github.dockerjava.api.exception.NotFoundException;
import com.github.dockerjava.api.exception.NotModifiedException;
import com.github.dockerjava.api.model.Frame;
import com.github.dockerjava.api.model.StreamType;
import dev.orch.api.runtime.ContainerCreateRequest;
import dev.orch.api.runtime.ContainerInfo;
import dev.orch.api.runtime.ContainerListing;
import dev.orch.api.runtime.ContainerRuntime;
import dev.orch.api.runtime.ContainerRuntimeException;
import dev.orch.api.runtime.ExecResult;
import dev.orch.api.runtime.LabelSelector;
import dev.orch.api.runtime.LogBuffer;
import dev.orch.api.runtime.LogOptions;
import dev.orch.api.runtime.LogStream;
import dev.orch.api.runtime.NetworkInfo;
import dev.orch.api.runtime.NoSuchContainerException;
import dev.orch.api.runtime.NoSuchNodeException;
import dev.orch.api.runtime.NodeInfo;
import dev.orch.api.runtime.OrchLabels;
import dev.orch.api.runtime.RuntimeCapability;
import dev.orch.api.runtime.RuntimeEvent;
import dev.orch.api.runtime.RuntimeListener;
import dev.orch.api.runtime.RuntimeUnavailableException;
import dev.orch.api.runtime.Subscription;
import dev.orch.api.runtime.VolumeInfo;
import dev.orch.api.spec.VolumeMount;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A {@link ContainerRuntime} over one or many Docker Engines, each engine a node. Thread-safe: any thread may
 * call any method; listeners are called on the runtime's own event thread ({@code orch-docker-events}).
 *
 * <pre>{@code
 * try (DockerRuntime docker = DockerRuntime.builder()
 *         .engine(DockerEngine.of("node-a", "unix:///run/a.sock").withLabel("zone", "a"))
 *         .engine(DockerEngine.of("node-b", "unix:///run/b.sock").withLabel("zone", "b"))
 *         .build();
 *      Orchestrator orch = Orchestrator.builder().runtime(docker).build()) {
 *   orch.apply(spec);
 * }
 * }</pre>
 *
 * <p>What it does with each engine: negotiates the API version from the engine's {@code /version}; reads the
 * node's capacity from the engine's info unless configured; creates the user-defined network containers join
 * (one per owner, {@code orch-<owner>}, unless one is set), so that their ports can be published on
 * {@code 127.0.0.1} and owners stay apart; follows
 * the engine's event stream (filtered by Orch's owner label), reopening it and resyncing by listing when it
 * drops; pings it, and reports its node lost after repeated failures and ready when it answers again. Calls
 * are retried with backoff where that is safe, and held back by a circuit breaker per engine.
 *
 * <p>Containers get the request's labels, the spec's memory limit (without swap) and CPU quota, env, entry
 * point and arguments, ports published on the publish address, the named volumes the spec mounts (created
 * and labelled if missing), and restart policy "no": Orch restarts, not the engine. Container ids are
 * {@code <node id>/<engine's container id>}.
 *
 * <p>Safety: stop, kill and remove refuse a container without {@link OrchLabels#OWNER}, and
 * {@link #removeVolume} a volume without it. {@link #close()} closes streams and connections and leaves
 * containers running.
 */
public final class DockerRuntime implements ContainerRuntime {
  /**
   * The prefix of the networks containers join unless {@link Builder#network(String)} names one: a container
   * of owner {@code X} (its {@code orch.owner} label) joins {@code orch-X} on its engine, created there and
   * labelled with the owner when missing, so that no network is shared by every owner. Such a network carries
   * no traffic between its containers: they reach each other only through the networks Orch wires, while
   * their ports published on the publish address still answer.
   */
  public static final String DEFAULT_NETWORK = "orch";
  /** The files a TLS engine's certificate directory must hold. */
  static final List<String> TLS_FILES = List.of("ca.pem", "cert.pem", "key.pem");

  /** The label on networks this runtime creates. */
  public static final String NETWORK_LABEL = "orch.network";
  static final String ID_SEPARATOR = "/";

  private static final Logger log = LoggerFactory.getLogger(DockerRuntime.class);
  private static final Set<RuntimeCapability> CAPABILITIES = Set.copyOf(EnumSet.of(RuntimeCapability.EXEC,
      RuntimeCapability.LOGS, RuntimeCapability.LOG_STREAM, RuntimeCapability.VOLUMES, RuntimeCapability.VOLUME_COPY, RuntimeCapability.NETWORKS,
      RuntimeCapability.RESOURCE_LIMITS, RuntimeCapability.HOST_PORTS, RuntimeCapability.USAGE_STATS));

  private final Settings settings;
  private final Map<String, EngineNode> nodes = new LinkedHashMap<>();
  /** The networks of each engine: per-owner networks for creates, and the SPI's network calls. */
  private final DockerNetworks networks = new DockerNetworks(this);
  private final DockerVolumeCopy volumeCopy;
  private final ExecutorService io;
  private final ExecutorService dispatch;
  private final ScheduledExecutorService health;
  private final List<Registration> listeners = new CopyOnWriteArrayList<>();
  private volatile boolean closed;

  /** The settings every engine shares. */
  record Settings(@Nullable String network, String publishAddress, Duration callTimeout, Duration connectTimeout,
                  Duration pingTimeout, Duration healthInterval, int lostAfterFailures, int breakerFailures,
                  Duration breakerDelay, int retries, int maxConnections, int ioThreads) {
  }

  private DockerRuntime(Builder b) {
    this.settings = new Settings(b.network, b.publishAddress, b.callTimeout, b.connectTimeout, b.pingTimeout,
        b.healthInterval, b.lostAfterFailures, b.breakerFailures, b.breakerDelay, b.retries, b.maxConnections,
        b.ioThreads);
    this.volumeCopy = new DockerVolumeCopy(this, b.volumeCopyImage, b.volumeCopyTimeout);
    ThreadPoolExecutor pool = new ThreadPoolExecutor(b.ioThreads, b.ioThreads, 30, TimeUnit.SECONDS,
        new LinkedBlockingQueue<>(), threads("orch-docker-io-"));
    pool.allowCoreThreadTimeOut(true);
    this.io = pool;
    this.dispatch = Executors.newSingleThreadExecutor(threads("orch-docker-events-"));
    this.health = Executors.newScheduledThreadPool(b.engines.size(), threads("orch-docker-health-"));
    for (DockerEngine e : b.engines) {
      nodes.put(e.id(), new EngineNode(e, settings, io, dispatch, this::publish));
    }
    // Connect to every engine at once, and wait until each that answers streams its events.
    List<CompletableFuture<?>> first = new ArrayList<>();
    for (EngineNode n : nodes.values()) {
      first.add(CompletableFuture.runAsync(n::tick, health));
    }
    try {
      CompletableFuture.allOf(first.toArray(CompletableFuture[]::new))
          .get(b.connectTimeout.plus(b.callTimeout).toMillis(), TimeUnit.MILLISECONDS);
      for (EngineNode n : nodes.values()) {
        if (n.isReady()) {
          n.streamStarted().get(b.callTimeout.toMillis(), TimeUnit.MILLISECONDS);
        }
      }
    } catch (java.util.concurrent.ExecutionException e) {
      close();
      if (e.getCause() instanceof RuntimeException re) {
        throw re;
      }
      throw new ContainerRuntimeException("docker: start failed: " + e.getCause(), e.getCause());
    } catch (java.util.concurrent.TimeoutException e) {
      log.warn("docker: some engines did not finish connecting in time; they join when they answer");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      close();
      throw new ContainerRuntimeException("docker: interrupted while connecting to the engines", e);
    }
    for (EngineNode n : nodes.values()) {
      health.scheduleWithFixedDelay(() -> {
        try {
          n.tick();
        } catch (RuntimeException e) {
          // A failed check must not end the schedule: the engine is checked again next time.
          log.warn("docker: health check of engine {} failed: {}", n.id(), e.toString());
        }
      }, b.healthInterval.toMillis(), b.healthInterval.toMillis(), TimeUnit.MILLISECONDS);
    }
  }

  /** Starts a builder; add at least one engine. */
  public static Builder builder() {
    return new Builder();
  }

  /** {@code docker}. */
  @Override
  public String name() {
    return "docker";
  }

  /** Exec, logs, volumes and their copies, networks, resource limits and host ports. */
  @Override
  public Set<RuntimeCapability> capabilities() {
    return CAPABILITIES;
  }

  /** The API version spoken with engine {@code nodeId}, negotiated from its {@code /version}; empty if unknown. */
  public String apiVersion(String nodeId) {
    Objects.requireNonNull(nodeId, "nodeId");
    return node(nodeId).apiVersion();
  }

  @Override
  public CompletionStage<List<NodeInfo>> nodes() {
    List<NodeInfo> out = new ArrayList<>();
    for (EngineNode n : nodes.values()) {
      out.add(n.info());
    }
    return CompletableFuture.completedFuture(out);
  }

  @Override
  public CompletionStage<ContainerInfo> create(ContainerCreateRequest request) {
    Objects.requireNonNull(request, "request");
    EngineNode n = nodes.get(request.nodeId());
    if (n == null) {
      return CompletableFuture.failedFuture(new NoSuchNodeException("docker: create " + request.name()
          + " failed: no node " + request.nodeId() + "; nodes are " + nodes.keySet()));
    }
    return n.call("create " + request.name(), false, null, request.name(), c -> {
      for (VolumeMount m : request.spec().volumeMounts()) {
        ensureVolume(c, m.volume(), volumeLabels(request.labels()));
      }
      String network = settings.network() != null ? settings.network() : networks.ownerNetwork(n, c, request.labels());
      String dockerId = ContainerMapping.createCommand(c.api(), request.name(), request.spec(), request.labels(),
          network, settings.publishAddress(), n.logDriver()).exec().getId();
      return ContainerMapping.toInfo(n.runtimeId(dockerId), n.id(), c.api().inspectContainerCmd(dockerId).exec());
    });
  }

  @Override
  public CompletionStage<Void> start(String containerId) {
    Objects.requireNonNull(containerId, "containerId");
    return withContainer(containerId, "start", (n, dockerId) -> n.call("start " + containerId, true, containerId,
        null, c -> {
          try {
            c.api().startContainerCmd(dockerId).exec();
          } catch (NotModifiedException alreadyRunning) {
            // Starting a running container does nothing.
          }
          return null;
        }));
  }

  @Override
  public CompletionStage<Void> stop(String containerId, Duration grace) {
    Objects.requireNonNull(containerId, "containerId");
    Objects.requireNonNull(grace, "grace");
    long seconds = Math.max(0, (grace.toMillis() + 999) / 1000);
    Duration bound = Duration.ofSeconds(seconds).plus(settings.callTimeout());
    return withContainer(containerId, "stop", (n, dockerId) -> n.call("stop " + containerId, true, containerId,
        null, bound, c -> {
          if (!owned(n, c, containerId, dockerId, "stop").getState().getRunning()) {
            return null;
          }
          try {
            c.slow().stopContainerCmd(dockerId).withTimeout((int) Math.min(Integer.MAX_VALUE, seconds)).exec();
          } catch (NotModifiedException alreadyStopped) {
            // Stopping a container that does not run does nothing.
          }
          return null;
        }));
  }

  @Override
  public CompletionStage<Void> kill(String containerId) {
    Objects.requireNonNull(containerId, "containerId");
    return withContainer(containerId, "kill", (n, dockerId) -> n.call("kill " + containerId, true, containerId,
        null, c -> {
          if (!owned(n, c, containerId, dockerId, "kill").getState().getRunning()) {
            return null;
          }
          try {
            c.api().killContainerCmd(dockerId).exec();
          } catch (ConflictException notRunning) {
            // It ended meanwhile.
          }
          return null;
        }));
  }

  @Override
  public CompletionStage<Void> remove(String containerId) {
    Objects.requireNonNull(containerId, "containerId");
    return withContainer(containerId, "remove", (n, dockerId) -> n.call("remove " + containerId, true,
        containerId, null, c -> {
          owned(n, c, containerId, dockerId, "remove");
          c.api().removeContainerCmd(dockerId).withForce(true).withRemoveVolumes(false).exec();
          return null;
        }));
  }

  @Override
  public CompletionStage<ContainerInfo> inspect(String containerId) {
    Objects.requireNonNull(containerId, "containerId");
    return withContainer(containerId, "inspect", (n, dockerId) -> n.call("inspect " + containerId, true,
        containerId, null, c -> ContainerMapping.toInfo(containerId, n.id(),
            c.api().inspectContainerCmd(dockerId).exec())));
  }

  /** {@inheritDoc} From the engine's stats, one sample without waiting for a second ({@code one-shot}). */
  @Override
  public CompletionStage<dev.orch.api.runtime.ContainerUsage> usage(String containerId) {
    Objects.requireNonNull(containerId, "containerId");
    return withContainer(containerId, "usage", (n, dockerId) -> n.call("usage of " + containerId, true,
        containerId, null, c -> DockerUsage.read(n, c, containerId, dockerId)));
  }

  /** {@inheritDoc} An engine that does not answer leaves its containers out (none answering: an empty list). */
  @Override
  public CompletionStage<List<ContainerInfo>> list(LabelSelector selector) {
    Objects.requireNonNull(selector, "selector");
    return listing(selector).thenApply(ContainerListing::containers);
  }

  /**
   * {@inheritDoc} Each engine is listed on its own: what the live ones answer is returned, and the engines
   * that are not ready or whose listing fails are named as not answering.
   */
  @Override
  public CompletionStage<ContainerListing> listing(LabelSelector selector) {
    Objects.requireNonNull(selector, "selector");
    List<String> filters = labelFilters(selector);
    Map<String, CompletableFuture<List<ContainerInfo>>> parts = new java.util.TreeMap<>();
    Set<String> unanswered = new java.util.TreeSet<>();
    for (EngineNode n : nodes.values()) {
      if (n.isReady()) {
        parts.put(n.id(), n.call("list " + selector.matchLabels(), true, null, null, c -> n.listBlocking(c, filters)));
      } else {
        unanswered.add(n.id());
      }
    }
    CompletableFuture<?>[] settled = parts.values().stream().map(p -> p.handle((v, e) -> null))
        .toArray(CompletableFuture[]::new);
    return CompletableFuture.allOf(settled).thenApply(v -> {
      List<ContainerInfo> out = new ArrayList<>();
      for (Map.Entry<String, CompletableFuture<List<ContainerInfo>>> e : parts.entrySet()) {
        try {
          out.addAll(e.getValue().join());
        } catch (java.util.concurrent.CompletionException | java.util.concurrent.CancellationException failed) {
          unanswered.add(e.getKey());
          log.debug("list {}: engine {} did not answer: {}", selector.matchLabels(), e.getKey(),
              DockerErrors.unwrap(failed).toString());
        }
      }
      return new ContainerListing(out, unanswered);
    });
  }

  @Override
  public Subscription subscribe(RuntimeListener listener) {
    Objects.requireNonNull(listener, "listener");
    Registration r = new Registration(listener);
    listeners.add(r);
    return () -> {
      r.close();
      listeners.remove(r);
    };
  }

  @Override
  public CompletionStage<ExecResult> exec(String containerId, List<String> command, Duration timeout) {
    Objects.requireNonNull(containerId, "containerId");
    Objects.requireNonNull(command, "command");
    Objects.requireNonNull(timeout, "timeout");
    if (command.isEmpty()) {
      return CompletableFuture.failedFuture(new IllegalArgumentException("exec.command: []: must not be empty"));
    }
    Duration bound = timeout.plus(settings.callTimeout());
    return withContainer(containerId, "exec", (n, dockerId) -> n.call("exec " + command + " in " + containerId,
        false, containerId, null, bound, c -> {
          String execId;
          try {
            execId = c.api().execCreateCmd(dockerId).withCmd(command.toArray(String[]::new))
                .withAttachStdout(true).withAttachStderr(true).exec().getId();
          } catch (ConflictException notRunning) {
            throw new ContainerRuntimeException(n.id() + ": exec in " + containerId
                + " failed: the container does not run", notRunning);
          }
          Output out = new Output();
          try (out) {
            c.slow().execStartCmd(execId).exec(out);
            if (!out.awaitCompletion(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
              throw new ContainerRuntimeException(n.id() + ": exec " + command + " in " + containerId
                  + " did not finish in " + timeout);
            }
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ContainerRuntimeException(n.id() + ": exec in " + containerId + " interrupted", e);
          } catch (java.io.IOException e) {
            throw new RuntimeUnavailableException(n.id() + ": exec in " + containerId + ": " + e, e);
          }
          Long code = c.api().inspectExecCmd(execId).exec().getExitCodeLong();
          return new ExecResult(code == null ? -1 : code.intValue(), out.stdout(), out.stderr());
        }));
  }

  @Override
  public CompletionStage<List<String>> logs(String containerId, int tailLines) {
    Objects.requireNonNull(containerId, "containerId");
    if (tailLines < 0) {
      return CompletableFuture.failedFuture(new IllegalArgumentException("logs.tailLines: " + tailLines
          + ": must be >= 0"));
    }
    return withContainer(containerId, "logs", (n, dockerId) -> n.call("logs of " + containerId, true,
        containerId, null, c -> {
          Output out = new Output();
          try (out) {
            c.slow().logContainerCmd(dockerId).withStdOut(true).withStdErr(true).withTail(tailLines).exec(out);
            if (!out.awaitCompletion(settings.callTimeout().toMillis(), TimeUnit.MILLISECONDS)) {
              throw new RuntimeUnavailableException(n.id() + ": logs of " + containerId + " did not finish in "
                  + settings.callTimeout());
            }
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ContainerRuntimeException(n.id() + ": logs of " + containerId + " interrupted", e);
          } catch (java.io.IOException e) {
            throw new RuntimeUnavailableException(n.id() + ": logs of " + containerId + ": " + e, e);
          }
          if (out.error != null) {
            throw DockerErrors.translate(n.engine, "logs of " + containerId, out.error, containerId, null);
          }
          List<String> lines = new ArrayList<>(out.lines());
          return lines.size() > tailLines ? lines.subList(lines.size() - tailLines, lines.size()) : lines;
        }));
  }

  /**
   * {@inheritDoc} Docker: the engine's log endpoint ({@code logs --follow}) through docker-java, on the engine's
   * slow connection pool (each stream holds one of its {@code maxConnections} while it is open); lines go into a
   * {@link LogBuffer}, and with {@code PAUSE} a full buffer stops the reading thread, so the engine's stream waits
   * (TCP backpressure) and nothing is lost. A line longer than 64 KiB (or one that never ends) reaches the reader
   * in pieces of 64 KiB.
   */
  @Override
  public LogStream streamLogs(String containerId, LogOptions options) {
    Objects.requireNonNull(containerId, "containerId");
    Objects.requireNonNull(options, "options");
    EngineNode n = nodeOf(containerId);
    if (n == null) {
      return LogBuffer.failed(options, noSuchContainer("logs", containerId));
    }
    return DockerLogs.open(n, containerId, containerId.substring(containerId.indexOf(ID_SEPARATOR) + 1), options);
  }

  @Override
  public CompletionStage<VolumeInfo> createVolume(String nodeId, String name, Map<String, String> labels) {
    Objects.requireNonNull(nodeId, "nodeId");
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(labels, "labels");
    EngineNode n = nodes.get(nodeId);
    if (n == null) {
      return CompletableFuture.failedFuture(new NoSuchNodeException("docker: create volume " + name
          + " failed: no node " + nodeId + "; nodes are " + nodes.keySet()));
    }
    return n.call("create volume " + name, true, null, null, c -> {
      InspectVolumeResponse v = ensureVolume(c, name, labels);
      return new VolumeInfo(v.getName(), nodeId, v.getLabels() == null ? Map.of() : v.getLabels());
    });
  }

  @Override
  public CompletionStage<Void> removeVolume(String nodeId, String name) {
    Objects.requireNonNull(nodeId, "nodeId");
    Objects.requireNonNull(name, "name");
    EngineNode n = nodes.get(nodeId);
    if (n == null) {
      return CompletableFuture.failedFuture(new NoSuchNodeException("docker: remove volume " + name
          + " failed: no node " + nodeId + "; nodes are " + nodes.keySet()));
    }
    return n.call("remove volume " + name, true, null, null, c -> {
      InspectVolumeResponse v;
      try {
        v = c.api().inspectVolumeCmd(name).exec();
      } catch (NotFoundException gone) {
        return null;
      }
      if (v.getLabels() == null || !v.getLabels().containsKey(OrchLabels.OWNER)) {
        throw new ContainerRuntimeException(nodeId + ": remove volume " + name + " refused: it has no "
            + OrchLabels.OWNER + " label, so Orch did not create it");
      }
      try {
        c.api().removeVolumeCmd(name).exec();
      } catch (NotFoundException gone) {
        // Removed meanwhile.
      }
      return null;
    });
  }

  /**
   * {@inheritDoc} Through the engines' archive endpoints, as {@code docker cp} does: on each engine a helper
   * container is created, never started, with the volume mounted; the source's archive streams straight into the
   * target, digested on the way, and the target's archive is read back and digested to verify the copy. Owners,
   * groups and modes are kept. Refuses to empty a volume on {@code toNode} without {@link OrchLabels#OWNER}.
   * Helpers are created from {@link Builder#volumeCopyImage}'s image, carry the labels {@code orch.volume-copy}
   * and the owner's, and never appear in listings or events; they are removed whatever happens, unless their
   * engine stops answering (then remove them by hand: {@code docker rm -f}).
   */
  @Override
  public CompletionStage<VolumeInfo> copyVolume(String fromNode, String name, String toNode) {
    Objects.requireNonNull(fromNode, "fromNode");
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(toNode, "toNode");
    return volumeCopy.copy(fromNode, name, toNode);
  }

  /**
   * {@inheritDoc} Engines that do not answer are left out. Sizes come from each engine's disk usage
   * ({@code /system/df}); -1 where it fails.
   */
  @Override
  public CompletionStage<List<VolumeInfo>> listVolumes(LabelSelector selector) {
    Objects.requireNonNull(selector, "selector");
    List<String> filters = labelFilters(selector);
    return onEveryReadyEngine("list volumes " + selector.matchLabels(), (n, c) -> {
      var cmd = c.api().listVolumesCmd();
      if (!filters.isEmpty()) {
        cmd.withFilter("label", filters);
      }
      List<VolumeInfo> out = new ArrayList<>();
      List<InspectVolumeResponse> vs = cmd.exec().getVolumes();
      for (InspectVolumeResponse v : vs == null ? List.<InspectVolumeResponse>of() : vs) {
        Map<String, String> l = v.getLabels() == null ? Map.of() : v.getLabels();
        if (selector.matches(l)) {
          out.add(new VolumeInfo(v.getName(), n.id(), l));
        }
      }
      return out;
    }).thenCompose(vs -> VolumeSizes.fill(vs, nodes::get));
  }

  /** {@code key=value} label filters for {@code selector}, as the engine's list calls take them. */
  static List<String> labelFilters(LabelSelector selector) {
    List<String> filters = new ArrayList<>();
    selector.matchLabels().forEach((k, v) -> filters.add(k + "=" + v));
    return filters;
  }

  /**
   * Runs {@code list} on every engine that is ready and joins what they answer; an engine whose call fails
   * is left out, as one that is not ready is.
   */
  <T> CompletionStage<List<T>> onEveryReadyEngine(String what,
      java.util.function.BiFunction<EngineNode, EngineNode.Clients, List<T>> list) {
    List<CompletableFuture<List<T>>> parts = new ArrayList<>();
    for (EngineNode n : nodes.values()) {
      if (n.isReady()) {
        parts.add(n.call(what, true, null, null, c -> list.apply(n, c)).exceptionally(e -> {
          log.debug("{}: engine {} did not answer: {}", what, n.id(), DockerErrors.unwrap(e).toString());
          return List.of();
        }));
      }
    }
    return CompletableFuture.allOf(parts.toArray(CompletableFuture[]::new)).thenApply(v -> {
      List<T> out = new ArrayList<>();
      parts.forEach(p -> out.addAll(p.join()));
      return out;
    });
  }


  /** Closes every event stream and connection and stops the runtime's threads; containers keep running. */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    health.shutdownNow();
    volumeCopy.close();
    for (EngineNode n : nodes.values()) {
      n.close();
    }
    dispatch.shutdown();
    io.shutdownNow();
    try {
      dispatch.awaitTermination(5, TimeUnit.SECONDS);
      io.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  // ------------------------------------------------------------------------------------------ internals

  /** Closes engine {@code nodeId}'s event stream as a dropped connection would; the next health check reopens it. */
  void dropEventStream(String nodeId) {
    node(nodeId).dropStream();
  }

  private EngineNode node(String nodeId) {
    EngineNode n = nodes.get(nodeId);
    if (n == null) {
      throw new NoSuchNodeException("docker: no node " + nodeId + "; nodes are " + nodes.keySet());
    }
    return n;
  }

  interface ContainerCall<T> {
    CompletableFuture<T> apply(EngineNode node, String dockerId);
  }

  /**
   * {@inheritDoc} A bridge network on that engine with a subnet of its own (so that {@link #connect} keeps a
   * container's address when its aliases change), labelled {@value #NETWORK_LABEL} as well.
   */
  @Override
  public CompletionStage<NetworkInfo> createNetwork(String nodeId, String name, Map<String, String> labels) {
    Objects.requireNonNull(nodeId, "nodeId");
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(labels, "labels");
    return networks.create(nodeId, name, labels);
  }

  /** {@inheritDoc} Refuses a network without {@link OrchLabels#OWNER}: Orch did not create it. */
  @Override
  public CompletionStage<Void> removeNetwork(String nodeId, String name) {
    Objects.requireNonNull(nodeId, "nodeId");
    Objects.requireNonNull(name, "name");
    return networks.remove(nodeId, name);
  }

  /** {@inheritDoc} Engines that do not answer are left out. */
  @Override
  public CompletionStage<List<NetworkInfo>> listNetworks(LabelSelector selector) {
    Objects.requireNonNull(selector, "selector");
    return networks.list(selector);
  }

  /**
   * {@inheritDoc} Aliases Docker gives a container itself (its name, its short id) are never compared. On a
   * network without a subnet configured as the user's (one {@link #createNetwork} did not make), a change of
   * aliases moves the container to a new address and cuts its connections there, logged at WARN.
   */
  @Override
  public CompletionStage<Void> connect(String containerId, String network, Set<String> aliases) {
    Objects.requireNonNull(containerId, "containerId");
    Objects.requireNonNull(network, "network");
    Objects.requireNonNull(aliases, "aliases");
    return networks.connect(containerId, network, aliases);
  }

  @Override
  public CompletionStage<Void> disconnect(String containerId, String network) {
    Objects.requireNonNull(containerId, "containerId");
    Objects.requireNonNull(network, "network");
    return networks.disconnect(containerId, network);
  }

  /** The node {@code nodeId}, or null when there is none. */
  @Nullable EngineNode nodeOrNull(String nodeId) {
    return nodes.get(nodeId);
  }

  /** The ids of the nodes, for error messages. */
  Set<String> nodeIds() {
    return nodes.keySet();
  }

  /** Routes a call to the engine named in {@code containerId}; an id of no engine is no container. */
  <T> CompletionStage<T> withContainer(String containerId, String what, ContainerCall<T> call) {
    EngineNode n = nodeOf(containerId);
    if (n == null) {
      return CompletableFuture.failedFuture(noSuchContainer(what, containerId));
    }
    return call.apply(n, containerId.substring(containerId.indexOf(ID_SEPARATOR) + 1));
  }

  /** The node of Orch's container id {@code <node id>/<engine's id>}, or null when it names none. */
  private @Nullable EngineNode nodeOf(String containerId) {
    int sep = containerId.indexOf(ID_SEPARATOR);
    return sep > 0 && sep < containerId.length() - 1 ? nodes.get(containerId.substring(0, sep)) : null;
  }

  private NoSuchContainerException noSuchContainer(String what, String containerId) {
    return new NoSuchContainerException("docker: " + what + " failed: no container " + containerId + " (ids are"
        + " <node id>" + ID_SEPARATOR + "<engine's id>, nodes are " + nodes.keySet() + ")");
  }

  /** Inspects a container and refuses to touch it unless it carries Orch's owner label. */
  private static InspectContainerResponse owned(EngineNode n, EngineNode.Clients c, String containerId,
                                                String dockerId, String what) {
    InspectContainerResponse r = c.api().inspectContainerCmd(dockerId).exec();
    Map<String, String> labels = r.getConfig() == null ? null : r.getConfig().getLabels();
    if (labels == null || !labels.containsKey(OrchLabels.OWNER)) {
      throw new ContainerRuntimeException(n.id() + ": " + what + " " + containerId + " refused: it has no "
          + OrchLabels.OWNER + " label, so Orch did not create it");
    }
    return r;
  }

  private static Map<String, String> volumeLabels(Map<String, String> containerLabels) {
    Map<String, String> out = new HashMap<>();
    containerLabels.forEach((k, v) -> {
      if (!k.equals(OrchLabels.SPEC_HASH) && !k.equals(OrchLabels.REVISION) && !k.equals(ContainerMapping.PORTS_LABEL)) {
        out.put(k, v);
      }
    });
    return out;
  }

  private static InspectVolumeResponse ensureVolume(EngineNode.Clients c, String name, Map<String, String> labels) {
    try {
      return c.api().inspectVolumeCmd(name).exec();
    } catch (NotFoundException missing) {
      c.api().createVolumeCmd().withName(name).withLabels(labels).exec();
      return c.api().inspectVolumeCmd(name).exec();
    }
  }

  /** Hands {@code event} to every listener on the event thread, in order. */
  private void publish(RuntimeEvent event) {
    if (closed) {
      return;
    }
    try {
      dispatch.execute(() -> {
        for (Registration r : listeners) {
          r.deliver(event);
        }
      });
    } catch (java.util.concurrent.RejectedExecutionException closing) {
      // The runtime is closing: no more events.
    }
  }

  /** One listener; closing it stops deliveries, and none starts after close returns. */
  private static final class Registration {
    private final RuntimeListener listener;
    private boolean closed;

    Registration(RuntimeListener listener) {
      this.listener = listener;
    }

    synchronized void deliver(RuntimeEvent e) {
      if (!closed) {
        try {
          listener.onEvent(e);
        } catch (RuntimeException ex) {
          log.warn("docker: a runtime listener failed on {}: {}", e, ex.toString());
        }
      }
    }

    synchronized void close() {
      closed = true;
    }
  }

  /** Collects an exec's or a log's output frames. */
  private static final class Output extends ResultCallback.Adapter<Frame> {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();
    private volatile @Nullable Throwable error;

    @Override
    public void onNext(Frame f) {
      synchronized (this) {
        (f.getStreamType() == StreamType.STDERR ? err : out).writeBytes(f.getPayload());
      }
    }

    @Override
    public void onError(Throwable t) {
      error = t;
      super.onError(t);
    }

    synchronized String stdout() {
      return out.toString(StandardCharsets.UTF_8);
    }

    synchronized String stderr() {
      return err.toString(StandardCharsets.UTF_8);
    }

    synchronized List<String> lines() {
      String all = out.toString(StandardCharsets.UTF_8) + err.toString(StandardCharsets.UTF_8);
      List<String> l = new ArrayList<>();
      for (String s : all.split("\n")) {
        if (!s.isEmpty()) {
          l.add(s);
        }
      }
      return l;
    }
  }

  static ThreadFactory threads(String prefix) {
    AtomicInteger n = new AtomicInteger();
    return r -> {
      Thread t = new Thread(r, prefix + n.getAndIncrement());
      t.setDaemon(true);
      return t;
    };
  }

  /**
   * Builds a {@link DockerRuntime}. Not thread-safe; {@link #build()} checks every setting and names each
   * problem at once.
   */
  public static final class Builder {
    private final List<DockerEngine> engines = new ArrayList<>();
    private @Nullable String network;
    private String publishAddress = "127.0.0.1";
    private Duration callTimeout = Duration.ofSeconds(30);
    private Duration connectTimeout = Duration.ofSeconds(5);
    private Duration pingTimeout = Duration.ofSeconds(2);
    private Duration healthInterval = Duration.ofSeconds(1);
    private int lostAfterFailures = 2;
    private int breakerFailures = 5;
    private Duration breakerDelay = Duration.ofSeconds(5);
    private int retries = 2;
    private int maxConnections = 32;
    private int ioThreads = 16;
    private @Nullable String volumeCopyImage;
    private Duration volumeCopyTimeout = Duration.ofHours(1);

    private Builder() {
    }

    /** Adds an engine as a node. */
    public Builder engine(DockerEngine engine) {
      engines.add(java.util.Objects.requireNonNull(engine, "engine"));
      return this;
    }

    /** Adds engine {@code host} ({@code unix:///...} or {@code tcp://...}) as node {@code id}. */
    public Builder engine(String id, String host) {
      return engine(DockerEngine.of(id, host));
    }

    /** Adds engines. */
    public Builder engines(List<DockerEngine> engines) {
      Objects.requireNonNull(engines, "engines");
      engines.forEach(this::engine);
      return this;
    }

    /**
     * The one user-defined bridge network every container joins, created on each engine if missing (then
     * with traffic between its containers off, as on an owner's network: they reach each other through the
     * networks Orch wires, and their published ports still answer); {@code "host"} for host networking; {@code "bridge"} for the engine's default bridge. Default: a network
     * per owner ({@code orch-<owner>}, see {@link DockerRuntime#DEFAULT_NETWORK}), so that owners stay apart.
     */
    public Builder network(String network) {
      this.network = java.util.Objects.requireNonNull(network, "network");
      return this;
    }

    /** The host address container ports are published on (default {@code 127.0.0.1}). */
    public Builder publishAddress(String address) {
      this.publishAddress = java.util.Objects.requireNonNull(address, "publishAddress");
      return this;
    }

    /** The longest a call may take before it fails as unanswered (default 30 s); stop and exec add theirs. */
    public Builder callTimeout(Duration timeout) {
      this.callTimeout = java.util.Objects.requireNonNull(timeout, "callTimeout");
      return this;
    }

    /** The longest connecting to an engine may take (default 5 s). */
    public Builder connectTimeout(Duration timeout) {
      this.connectTimeout = java.util.Objects.requireNonNull(timeout, "connectTimeout");
      return this;
    }

    /** How often each engine is pinged (default 1 s), and how long a ping may take (default 2 s). */
    public Builder healthCheck(Duration interval, Duration pingTimeout) {
      this.healthInterval = java.util.Objects.requireNonNull(interval, "healthInterval");
      this.pingTimeout = java.util.Objects.requireNonNull(pingTimeout, "pingTimeout");
      return this;
    }

    /** How many pings in a row must fail before an engine's node is reported lost (default 2). */
    public Builder lostAfterFailures(int failures) {
      this.lostAfterFailures = failures;
      return this;
    }

    /**
     * The circuit breaker of each engine: it opens after {@code failures} unanswered calls in a row and lets a
     * trial call through after {@code delay} (defaults 5 and 5 s).
     */
    public Builder circuitBreaker(int failures, Duration delay) {
      this.breakerFailures = failures;
      this.breakerDelay = java.util.Objects.requireNonNull(delay, "breakerDelay");
      return this;
    }

    /** How often an unanswered call that is safe to repeat is retried, with backoff (default 2). */
    public Builder retries(int retries) {
      this.retries = retries;
      return this;
    }

    /** Threads making blocking engine calls (default 16), and connections per engine (default 32). */
    public Builder concurrency(int ioThreads, int maxConnections) {
      this.ioThreads = ioThreads;
      this.maxConnections = maxConnections;
      return this;
    }

    /**
     * The image {@link DockerRuntime#copyVolume} creates its helper containers from. They are never started, so
     * any image does, but it must be on every engine a copy touches. Default: the smallest image each engine
     * holds (a copy fails, saying so, on an engine that holds none).
     */
    public Builder volumeCopyImage(String image) {
      this.volumeCopyImage = Objects.requireNonNull(image, "volumeCopyImage");
      return this;
    }

    /** The longest streaming a volume copy, or reading it back to verify it, may take (default 1 h). */
    public Builder volumeCopyTimeout(Duration timeout) {
      this.volumeCopyTimeout = Objects.requireNonNull(timeout, "volumeCopyTimeout");
      return this;
    }

    /**
     * Connects to the engines and builds the runtime. Engines that do not answer yet become nodes that are
     * not ready, and join when they answer.
     *
     * @throws IllegalArgumentException naming every wrong setting
     * @throws IllegalStateException    when an engine's API versions do not overlap this runtime's
     */
    public DockerRuntime build() {
      List<String> problems = new ArrayList<>();
      if (engines.isEmpty()) {
        problems.add("engines: []: must name at least one engine");
      }
      Set<String> ids = new java.util.HashSet<>();
      for (DockerEngine e : engines) {
        if (!ids.add(e.id())) {
          problems.add("engines: \"" + e.id() + "\": node ids must be unique");
        }
        e.tlsCerts().ifPresent(dir -> {
          List<String> missing = TLS_FILES.stream().filter(f -> !java.nio.file.Files.isReadable(dir.resolve(f)))
              .toList();
          if (!missing.isEmpty()) {
            problems.add("engine " + e.id() + ".tlsCerts: \"" + dir + "\": must hold " + String.join(", ", TLS_FILES)
                + "; missing or unreadable: " + String.join(", ", missing));
          }
        });
      }
      if (network != null && network.isBlank()) {
        problems.add("network: \"" + network + "\": must not be blank");
      }
      if (volumeCopyImage != null && volumeCopyImage.isBlank()) {
        problems.add("volumeCopyImage: \"" + volumeCopyImage + "\": must not be blank");
      }
      positive(problems, "volumeCopyTimeout", volumeCopyTimeout);
      positive(problems, "callTimeout", callTimeout);
      positive(problems, "connectTimeout", connectTimeout);
      positive(problems, "pingTimeout", pingTimeout);
      positive(problems, "healthInterval", healthInterval);
      positive(problems, "breakerDelay", breakerDelay);
      atLeast(problems, "lostAfterFailures", lostAfterFailures, 1);
      atLeast(problems, "breakerFailures", breakerFailures, 1);
      atLeast(problems, "retries", retries, 0);
      atLeast(problems, "ioThreads", ioThreads, 1);
      atLeast(problems, "maxConnections", maxConnections, 1);
      if (!problems.isEmpty()) {
        throw new IllegalArgumentException("invalid docker runtime, " + problems.size() + " problem"
            + (problems.size() == 1 ? "" : "s") + ":\n  " + String.join("\n  ", problems));
      }
      return new DockerRuntime(this);
    }

    private static void positive(List<String> problems, String field, Duration d) {
      if (d.isZero() || d.isNegative()) {
        problems.add(field + ": " + d + ": must be positive");
      }
    }

    private static void atLeast(List<String> problems, String field, int value, int min) {
      if (value < min) {
        problems.add(field + ": " + value + ": must be >= " + min);
      }
    }
  }
}
