package dev.orch.docker;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.async.ResultCallback;
import com.github.dockerjava.api.command.InspectContainerResponse;
import com.github.dockerjava.api.model.Container;
import com.github.dockerjava.api.model.Event;
import com.github.dockerjava.api.model.Info;
import com.github.dockerjava.api.model.Version;
import com.github.dockerjava.core.DefaultDockerClientConfig;
import com.github.dockerjava.core.DockerClientImpl;
import com.github.dockerjava.transport.DockerHttpClient;
import com.github.dockerjava.zerodep.ZerodepDockerHttpClient;
import dev.failsafe.CircuitBreaker;
import dev.failsafe.Failsafe;
import dev.failsafe.FailsafeExecutor;
import dev.failsafe.RetryPolicy;
import dev.orch.api.runtime.ContainerInfo;
import dev.orch.api.runtime.ContainerState;
import dev.orch.api.runtime.NodeInfo;
import dev.orch.api.runtime.NodeNotReadyException;
import dev.orch.api.runtime.OrchLabels;
import dev.orch.api.runtime.RuntimeEvent;
import dev.orch.api.runtime.RuntimeUnavailableException;
import dev.orch.api.spec.Resources;
import java.io.Closeable;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One engine as a node: its docker-java clients (the API version negotiated from the engine's
 * {@code /version}), the retry policy and circuit breaker guarding its calls, its readiness as seen by
 * periodic pings, and its event stream, reopened and followed by a resync whenever it drops. Thread-safe.
 */
final class EngineNode implements Closeable {
  /** The oldest API this runtime speaks (NanoCPUs need 1.25). */
  static final String MIN_API = "1.25";
  /** The newest API this runtime speaks. */
  static final String MAX_API = "1.44";

  private static final Logger log = LoggerFactory.getLogger(EngineNode.class);
  private static final Set<String> NOT_LABELS = Set.of("image", "name", "exitCode", "signal", "execDuration");
  private static final String[] EVENTS = {"create", "start", "die", "oom", "destroy"};

  final DockerEngine engine;
  private final DockerRuntime.Settings settings;
  private final ExecutorService io;
  private final Consumer<RuntimeEvent> sink;
  private final ExecutorService dispatch;
  private final CircuitBreaker<Object> breaker;
  private final FailsafeExecutor<Object> retrying;
  private final FailsafeExecutor<Object> once;

  private volatile @Nullable Clients clients;
  /** The engine's default log driver, as it last said ({@code json-file} until it has). */
  private volatile String logDriver = "json-file";
  private volatile boolean ready;
  private volatile Resources capacity = Resources.NONE;
  private volatile String apiVersion = "";
  private volatile int pingFailures;
  private boolean downReported;
  private final AtomicReference<@Nullable Closeable> stream = new AtomicReference<>();
  private final CompletableFuture<Void> streamStarted = new CompletableFuture<>();
  private volatile boolean closed;
  /** The last state Orch's event stream has reported per engine container id; written on the dispatch thread. */
  private final Map<String, Known> known = new ConcurrentHashMap<>();
  /** Counts the stream's events; a resync leaves alone what changed after its listing began. */
  private final java.util.concurrent.atomic.AtomicLong eventSeq = new java.util.concurrent.atomic.AtomicLong();

  /** What the stream last said of a container, and at which event. */
  private record Known(ContainerState state, long seq) {
  }
  private final Set<String> oomSeen = ConcurrentHashMap.newKeySet();

  /** The two clients of an engine: calls bounded by the call timeout, and long ones (stop, streams). */
  record Clients(DockerClient api, DockerClient slow, DockerHttpClient apiHttp, DockerHttpClient slowHttp) {
    void close() {
      for (Closeable c : List.<Closeable>of(api, slow, apiHttp, slowHttp)) {
        try {
          c.close();
        } catch (IOException | RuntimeException e) {
          log.debug("closing a docker client failed: {}", e.toString());
        }
      }
    }
  }

  EngineNode(DockerEngine engine, DockerRuntime.Settings settings, ExecutorService io, ExecutorService dispatch,
             Consumer<RuntimeEvent> sink) {
    this.engine = engine;
    this.settings = settings;
    this.io = io;
    this.dispatch = dispatch;
    this.sink = sink;
    this.breaker = CircuitBreaker.builder()
        .handleIf(e -> e instanceof RuntimeUnavailableException)
        .withFailureThreshold(settings.breakerFailures())
        .withDelay(settings.breakerDelay())
        .build();
    RetryPolicy<Object> retry = RetryPolicy.builder()
        .handleIf(e -> e instanceof RuntimeUnavailableException)
        .withBackoff(Duration.ofMillis(50), Duration.ofSeconds(1))
        .withMaxRetries(settings.retries())
        .build();
    this.retrying = Failsafe.with(retry, breaker).with(io);
    this.once = Failsafe.with(breaker).with(io);
  }

  String id() {
    return engine.id();
  }

  /** Completes when the event stream first flows. */
  CompletableFuture<Void> streamStarted() {
    return streamStarted;
  }

  boolean isReady() {
    return ready && !breaker.isOpen();
  }

  String apiVersion() {
    return apiVersion;
  }

  /** How long a call may take that has no time-out of its own. */
  Duration callTimeout() {
    return settings.callTimeout();
  }

  NodeInfo info() {
    Resources c = engine.capacity().orElse(capacity);
    return new NodeInfo(engine.id(), engine.labels(), List.of(), c, isReady(), health());
  }

  /**
   * How the engine answers and the state of the circuit breaker on its calls, for the node's status. Only
   * transport errors and timeouts count towards the breaker; an engine's refusal of a request never does.
   */
  String health() {
    if (!ready) {
      return "engine " + engine.host() + " does not answer its health check (" + pingFailures + " in a row failed)";
    }
    if (breaker.isOpen()) {
      return "engine answers its health check, but " + breaker.getFailureCount() + " calls in a row failed "
          + "(transport errors or timeouts): circuit open, calls held back for "
          + breaker.getRemainingDelay().toMillis() + "ms";
    }
    if (breaker.isHalfOpen()) {
      return "engine answers; circuit half-open: trying calls again after transport failures";
    }
    return "engine answers; circuit closed";
  }

  // ------------------------------------------------------------------------------------------ connecting

  /** Negotiates the API version, reads capacity, ensures the network; returns whether the engine answered. */
  boolean connect() {
    Clients c = null;
    try {
      Clients probe = open(null, settings.callTimeout());
      Version v;
      try {
        v = probe.api().versionCmd().exec();
      } finally {
        probe.close();
      }
      String version = negotiate(engine, v.getMinAPIVersion(), v.getApiVersion());
      c = open(version, settings.callTimeout());
      Info info = c.api().infoCmd().exec();
      long cpus = info.getNCPU() == null ? 0 : info.getNCPU();
      long mem = info.getMemTotal() == null ? 0 : info.getMemTotal();
      capacity = Resources.ofMillis(cpus * 1000, mem);
      logDriver = info.getLoggingDriver() == null ? "json-file" : info.getLoggingDriver();
      if (settings.network() != null) {
        ensureNetwork(c.api(), settings.network());
      }
      Clients old = clients;
      clients = c;
      if (old != null) {
        old.close();
      }
      apiVersion = version;
      downReported = false;
      log.info("engine {} at {}: Docker {}, API {} (engine offers {}..{}), {} CPUs, {}", engine.id(),
          engine.host(), v.getVersion(), version, v.getMinAPIVersion(), v.getApiVersion(), cpus,
          Resources.formatMemory(mem));
      return true;
    } catch (RuntimeException e) {
      if (c != null) {
        c.close();
      }
      if (e instanceof IllegalStateException) {
        throw e;
      }
      if (!downReported) {
        downReported = true;
        log.warn("engine {} at {} does not answer: {}", engine.id(), engine.host(), e.toString());
      } else {
        log.debug("engine {} at {} still does not answer: {}", engine.id(), engine.host(), e.toString());
      }
      return false;
    }
  }

  /** The API version to speak: the newest both sides know. */
  static String negotiate(DockerEngine engine, @Nullable String engineMin, @Nullable String engineMax) {
    String min = engineMin == null || engineMin.isEmpty() ? "1.12" : engineMin;
    if (engineMax == null || engineMax.isEmpty()) {
      throw new IllegalStateException("engine " + engine.id() + " at " + engine.host() + ": /version names no API version");
    }
    String chosen = compare(engineMax, MAX_API) < 0 ? engineMax : MAX_API;
    if (compare(chosen, MIN_API) < 0 || compare(chosen, min) < 0) {
      throw new IllegalStateException("engine " + engine.id() + " at " + engine.host() + ": API " + min + ".."
          + engineMax + " does not overlap " + MIN_API + ".." + MAX_API + " that this runtime speaks");
    }
    return chosen;
  }

  static int compare(String a, String b) {
    String[] x = a.split("\\.");
    String[] y = b.split("\\.");
    for (int i = 0; i < Math.max(x.length, y.length); i++) {
      int p = i < x.length ? Integer.parseInt(x[i]) : 0;
      int q = i < y.length ? Integer.parseInt(y[i]) : 0;
      if (p != q) {
        return Integer.compare(p, q);
      }
    }
    return 0;
  }

  private Clients open(@Nullable String version, Duration timeout) {
    DefaultDockerClientConfig.Builder b = DefaultDockerClientConfig.createDefaultConfigBuilder()
        .withDockerHost(engine.host().toString());
    if (version != null) {
      b.withApiVersion(version);
    }
    if (engine.tlsCerts().isPresent()) {
      b.withDockerTlsVerify(true).withDockerCertPath(engine.tlsCerts().get().toString());
    } else {
      b.withDockerTlsVerify(false);
    }
    DefaultDockerClientConfig config = b.build();
    DockerHttpClient apiHttp = http(config, timeout);
    DockerHttpClient slowHttp = http(config, Duration.ofHours(1));
    return new Clients(DockerClientImpl.getInstance(config, apiHttp), DockerClientImpl.getInstance(config, slowHttp),
        apiHttp, slowHttp);
  }

  private DockerHttpClient http(DefaultDockerClientConfig config, Duration responseTimeout) {
    return new ZerodepDockerHttpClient.Builder().dockerHost(config.getDockerHost()).sslConfig(config.getSSLConfig())
        .maxConnections(settings.maxConnections()).connectionTimeout(settings.connectTimeout())
        .responseTimeout(responseTimeout).build();
  }

  /**
   * Creates the configured network every container joins if missing: a bridge that carries no traffic between
   * its containers ({@link DockerNetworks#ICC_OPTION} off), as an owner's network does; they reach each other
   * through the networks Orch wires, and their published ports still answer. One that exists is left as it is.
   */
  private static void ensureNetwork(DockerClient api, String network) {
    boolean exists = api.listNetworksCmd().withNameFilter(network).exec().stream()
        .anyMatch(n -> network.equals(n.getName()));
    if (!exists) {
      try {
        api.createNetworkCmd().withName(network).withDriver("bridge").withCheckDuplicate(true)
            .withLabels(Map.of(DockerRuntime.NETWORK_LABEL, "true"))
            .withOptions(Map.of(DockerNetworks.ICC_OPTION, "false")).exec();
      } catch (com.github.dockerjava.api.exception.ConflictException raced) {
        // Another runtime created it meanwhile.
      }
    }
  }

  /** The engine's default log driver ({@code json-file}, {@code local}, {@code journald}, ...). */
  String logDriver() {
    return logDriver;
  }

  // ------------------------------------------------------------------------------------------ calls

  /** Runs {@code call} on the I/O pool, guarded by the breaker (and retried when {@code retry}). */
  <T> CompletableFuture<T> call(String what, boolean retry, @Nullable String containerId, @Nullable String name,
                                java.util.function.Function<Clients, T> call) {
    return call(what, retry, containerId, name, settings.callTimeout(), call);
  }

  /** As {@link #call(String, boolean, String, String, java.util.function.Function)}, with its own timeout. */
  <T> CompletableFuture<T> call(String what, boolean retry, @Nullable String containerId, @Nullable String name,
                                Duration timeout, java.util.function.Function<Clients, T> call) {
    if (closed) {
      return CompletableFuture.failedFuture(new RuntimeUnavailableException(engine.id() + ": " + what
          + " failed: the runtime is closed"));
    }
    Clients c = clients;
    if (c == null || !ready) {
      return CompletableFuture.failedFuture(new NodeNotReadyException(engine.id() + ": " + what
          + " failed: engine " + engine.host() + " does not answer (node not ready)"));
    }
    FailsafeExecutor<Object> ex = retry ? retrying : once;
    CompletableFuture<T> f = ex.getAsync(() -> {
      try {
        return call.apply(c);
      } catch (RuntimeException e) {
        throw DockerErrors.translate(engine, what, e, containerId, name);
      }
    });
    return f.orTimeout(timeout.toMillis(), TimeUnit.MILLISECONDS)
        .handle((v, e) -> {
          if (e != null) {
            throw DockerErrors.translate(engine, what, e, containerId, name);
          }
          return v;
        });
  }

  /** Lists this engine's containers matching every label filter ({@code key} or {@code key=value}), inspected. */
  List<ContainerInfo> listBlocking(Clients c, List<String> labels) {
    List<Container> found = c.api().listContainersCmd().withShowAll(true).withLabelFilter(labels).exec();
    List<ContainerInfo> out = new ArrayList<>();
    for (Container ct : found) {
      if (ct.getLabels() != null && ct.getLabels().containsKey(DockerVolumeCopy.HELPER_LABEL)) {
        continue; // a volume copy's helper: never a replica
      }
      try {
        InspectContainerResponse r = c.api().inspectContainerCmd(ct.getId()).exec();
        out.add(ContainerMapping.toInfo(runtimeId(ct.getId()), engine.id(), r));
      } catch (com.github.dockerjava.api.exception.NotFoundException gone) {
        // Removed between listing and inspecting.
      }
    }
    return out;
  }

  String runtimeId(String dockerId) {
    return engine.id() + DockerRuntime.ID_SEPARATOR + dockerId;
  }

  // ------------------------------------------------------------------------------------------ health and events

  /** One health check: ping; mark ready or lost; (re)open the event stream. Called on the health thread. */
  void tick() {
    if (closed) {
      return;
    }
    boolean answered;
    Clients c = clients;
    if (c == null) {
      answered = connect();
      c = clients;
    } else {
      try {
        Clients current = c;
        CompletableFuture.runAsync(() -> current.api().pingCmd().exec(), io)
            .get(settings.pingTimeout().toMillis(), TimeUnit.MILLISECONDS);
        answered = true;
      } catch (Exception e) {
        if (e instanceof InterruptedException) {
          Thread.currentThread().interrupt();
        }
        answered = false;
      }
    }
    if (answered && c != null) {
      pingFailures = 0;
      if (!ready) {
        ready = true;
        log.info("engine {} at {} answers: node ready", engine.id(), engine.host());
        emit(new RuntimeEvent.NodeReady(Instant.now(), engine.id()));
      }
      if (stream.get() == null) {
        openStream(c);
      }
    } else {
      pingFailures++;
      if (ready && pingFailures >= settings.lostAfterFailures()) {
        ready = false;
        closeStream();
        // Reconnect from scratch when it answers again: it may be another engine version by then.
        Clients old = clients;
        clients = null;
        if (old != null) {
          old.close();
        }
        downReported = true;
        log.warn("engine {} at {} stopped answering: node not ready", engine.id(), engine.host());
        emit(new RuntimeEvent.NodeLost(Instant.now(), engine.id(), "engine " + engine.host() + " does not answer"));
      }
    }
  }

  private void openStream(Clients c) {
    ResultCallback.Adapter<Event> cb = new ResultCallback.Adapter<>() {
      @Override
      public void onStart(Closeable closeable) {
        super.onStart(closeable);
        streamStarted.complete(null);
        resync(c);
      }

      @Override
      public void onNext(Event e) {
        dispatch.execute(() -> onDockerEvent(e));
      }

      @Override
      public void onError(Throwable t) {
        if (!closed) {
          log.warn("engine {}: event stream dropped ({}); reconnecting", engine.id(), t.toString());
        }
        stream.compareAndSet(this, null);
        // Not super.onError: it logs a dropped stream as an error, while here it is expected and healed.
        try {
          close();
        } catch (IOException e) {
          log.debug("engine {}: closing the dropped event stream: {}", engine.id(), e.toString());
        }
      }

      @Override
      public void onComplete() {
        stream.compareAndSet(this, null);
        super.onComplete();
      }
    };
    if (!stream.compareAndSet(null, cb)) {
      return;
    }
    try {
      c.slow().eventsCmd().withEventTypeFilter("container").withLabelFilter(OrchLabels.OWNER)
          .withEventFilter(EVENTS).exec(cb);
    } catch (RuntimeException e) {
      stream.compareAndSet(cb, null);
      log.warn("engine {}: cannot open the event stream: {}", engine.id(), e.toString());
    }
  }

  /** Drops the event stream as a lost connection would; the next tick reopens it and resyncs. */
  void dropStream() {
    closeStream();
  }

  private void closeStream() {
    Closeable s = stream.getAndSet(null);
    if (s != null) {
      try {
        s.close();
      } catch (IOException | RuntimeException e) {
        log.debug("engine {}: closing the event stream: {}", engine.id(), e.toString());
      }
    }
  }

  /**
   * Lists Orch's containers and reports what the stream may have missed while it was down: an exit, a start
   * or a removal of a container it knew.
   */
  private void resync(Clients c) {
    try {
      io.execute(() -> resyncNow(c));
    } catch (java.util.concurrent.RejectedExecutionException closing) {
      // The runtime is closing.
    }
  }

  private void resyncNow(Clients c) {
    long listedAt = eventSeq.get();
    List<ContainerInfo> now;
    try {
      now = listBlocking(c, List.of(OrchLabels.OWNER));
    } catch (RuntimeException e) {
      log.warn("engine {}: resync listing failed: {}", engine.id(), e.toString());
      return;
    }
    if (closed) {
      return;
    }
    try {
      dispatch.execute(() -> compare(now, listedAt));
    } catch (java.util.concurrent.RejectedExecutionException closing) {
      // The runtime is closing.
    }
  }

  /** Reports the difference between what the stream said and what a listing shows; on the dispatch thread. */
  private void compare(List<ContainerInfo> now, long listedAt) {
    Map<String, ContainerInfo> byId = new HashMap<>();
    for (ContainerInfo i : now) {
      byId.put(i.id(), i);
    }
    for (Map.Entry<String, Known> k : List.copyOf(known.entrySet())) {
      if (k.getValue().seq() <= listedAt && !byId.containsKey(runtimeId(k.getKey()))) {
        known.remove(k.getKey());
        emit(new RuntimeEvent.ContainerRemoved(Instant.now(), engine.id(), runtimeId(k.getKey()), Map.of()));
      }
    }
    for (ContainerInfo i : now) {
      String dockerId = i.id().substring(i.id().indexOf(DockerRuntime.ID_SEPARATOR) + 1);
      Known was = known.get(dockerId);
      if (was != null && was.seq() > listedAt) {
        continue; // the stream has said more since the listing began
      }
      known.put(dockerId, new Known(i.state(), listedAt));
      if (was == null || was.state() == i.state()) {
        continue;
      }
      if (i.state() == ContainerState.EXITED) {
        emit(new RuntimeEvent.ContainerExited(i.finishedAt().orElse(Instant.now()), engine.id(), i.id(),
            i.labels(), i.exitCode().orElse(-1), i.oomKilled()));
      } else if (i.state() == ContainerState.RUNNING) {
        emit(new RuntimeEvent.ContainerStarted(i.startedAt().orElse(Instant.now()), engine.id(), i.id(),
            i.labels()));
      }
    }
  }

  /** Turns one Docker event into Orch's; runs on the dispatch thread, so per container in order. */
  private void onDockerEvent(Event e) {
    if (e.getActor() == null || e.getId() == null) {
      return;
    }
    String action = e.getAction() != null ? e.getAction() : e.getStatus();
    Map<String, String> attrs = e.getActor().getAttributes() == null ? Map.of() : e.getActor().getAttributes();
    if (attrs.containsKey(DockerVolumeCopy.HELPER_LABEL)) {
      return; // a volume copy's helper: never a replica
    }
    Map<String, String> labels = new HashMap<>(attrs);
    labels.keySet().removeAll(NOT_LABELS);
    Instant time = e.getTimeNano() != null ? Instant.ofEpochSecond(0, e.getTimeNano())
        : Instant.ofEpochSecond(e.getTime() == null ? 0 : e.getTime());
    String dockerId = e.getId();
    String id = runtimeId(dockerId);
    String node = engine.id();
    switch (action == null ? "" : action) {
      case "create" -> {
        known.put(dockerId, new Known(ContainerState.CREATED, eventSeq.incrementAndGet()));
        emit(new RuntimeEvent.ContainerCreated(time, node, id, labels));
      }
      case "start" -> {
        if (state(known.put(dockerId, new Known(ContainerState.RUNNING, eventSeq.incrementAndGet())))
            != ContainerState.RUNNING) {
          emit(new RuntimeEvent.ContainerStarted(time, node, id, labels));
        }
      }
      case "oom" -> {
        oomSeen.add(dockerId);
        emit(new RuntimeEvent.ContainerOomKilled(time, node, id, labels));
      }
      case "die" -> {
        boolean oom = oomSeen.remove(dockerId);
        if (state(known.put(dockerId, new Known(ContainerState.EXITED, eventSeq.incrementAndGet())))
            != ContainerState.EXITED) {
          int code;
          try {
            code = Integer.parseInt(attrs.getOrDefault("exitCode", "-1"));
          } catch (NumberFormatException nf) {
            code = -1;
          }
          emit(new RuntimeEvent.ContainerExited(time, node, id, labels, code, oom));
        }
      }
      case "destroy" -> {
        eventSeq.incrementAndGet();
        known.remove(dockerId);
        oomSeen.remove(dockerId);
        emit(new RuntimeEvent.ContainerRemoved(time, node, id, labels));
      }
      default -> {
        // Not one Orch reports.
      }
    }
  }

  private static @Nullable ContainerState state(@Nullable Known k) {
    return k == null ? null : k.state();
  }

  private void emit(RuntimeEvent event) {
    sink.accept(event);
  }

  @Override
  public void close() {
    closed = true;
    closeStream();
    Clients c = clients;
    clients = null;
    if (c != null) {
      c.close();
    }
  }
}
