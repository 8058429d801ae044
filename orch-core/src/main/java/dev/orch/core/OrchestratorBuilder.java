package dev.orch.core;

import dev.orch.api.runtime.ContainerRuntime;
import dev.orch.api.runtime.RuntimeProvider;
import dev.orch.api.spec.Analysis;
import dev.orch.api.state.StateStore;
import dev.orch.api.time.TimeSource;
import dev.orch.api.time.VirtualTimeSource;
import dev.orch.core.engine.EngineSettings;
import dev.orch.core.probe.HealthProber;
import dev.orch.core.scheduler.Scheduler;
import dev.orch.core.state.InMemoryStateStore;
import dev.orch.core.util.Durations;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.composite.CompositeMeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.ServiceLoader;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Builds an {@link Orchestrator}; start one with {@link Orchestrator#builder()}. Every setting has a
 * default; {@link #build()} checks them all at once and names each bad one. Not thread-safe.
 */
public final class OrchestratorBuilder {
  private static final Logger LOG = LoggerFactory.getLogger(OrchestratorBuilder.class);

  private ContainerRuntime runtime;
  private String runtimeName;
  private Map<String, String> runtimeProperties = Map.of();
  private MeterRegistry meterRegistry;
  private TimeSource timeSource;
  private String ownerId = "orch";
  private int shards = Math.min(8, Runtime.getRuntime().availableProcessors());
  private Duration nodeLostGrace = Duration.ofSeconds(40);
  private Duration terminationGrace = Duration.ofSeconds(30);
  private Duration resyncPeriod = Duration.ofSeconds(30);
  private Duration callTimeout = Duration.ofSeconds(60);
  private Duration drainTimeout = Duration.ofSeconds(30);
  private boolean discovery = true;
  private Duration nameDrainDelay = Duration.ofSeconds(2);
  private int lastWords = 10;
  private dev.orch.api.state.@org.jspecify.annotations.Nullable LeaderElection election;
  private io.micrometer.observation.ObservationRegistry observations =
      io.micrometer.observation.ObservationRegistry.NOOP;
  private int revisionHistoryLimit = 10;
  private boolean autoRollback = true;
  private CrashLoopBackoff crashLoopBackoff = CrashLoopBackoff.DEFAULT;
  private int eventCapacity = 1000;
  private long seed = 1;
  private Boolean deterministic;
  private Scheduler scheduler;
  private HealthProber healthProber;
  private final Map<String, Predicate<Analysis.Metrics>> analysisChecks = new LinkedHashMap<>();
  private StateStore stateStore;

  OrchestratorBuilder() {
  }

  /**
   * The runtime to drive; wins over discovery. Without one, {@link #build()} discovers a
   * {@link RuntimeProvider} on the class path: the one {@link #runtime(String, Map)} names, else the one the
   * system property {@value #RUNTIME_PROPERTY} or the environment variable {@value #RUNTIME_ENV} names, else
   * the only one there is; with several and none named it fails, listing them (a test harness must never
   * quietly run on a simulated cluster). The choice and why are logged at INFO.
   */
  public OrchestratorBuilder runtime(ContainerRuntime runtime) {
    this.runtime = Objects.requireNonNull(runtime, "runtime");
    return this;
  }

  /**
   * Finds the runtime named {@code name} among the {@link RuntimeProvider}s on the class path, and
   * creates it with {@code properties}; used only when no runtime is passed.
   */
  public OrchestratorBuilder runtime(String name, Map<String, String> properties) {
    this.runtimeName = name;
    this.runtimeProperties = Map.copyOf(properties);
    return this;
  }

  /** Where metrics go (default: nowhere; never the global registry). */
  public OrchestratorBuilder meterRegistry(MeterRegistry registry) {
    this.meterRegistry = registry;
    return this;
  }

  /**
   * The time source for every timer (default: the system clock, owned and closed by the orchestrator).
   * With a {@link VirtualTimeSource}, reconciles run on the thread that advances it, repeatably.
   */
  public OrchestratorBuilder timeSource(TimeSource timeSource) {
    this.timeSource = timeSource;
    return this;
  }

  /** The {@code orch.owner} label value of what this orchestrator creates and adopts (default {@code orch}). */
  public OrchestratorBuilder ownerId(String ownerId) {
    this.ownerId = ownerId;
    return this;
  }

  /** Reconcile shards (worker threads); default the number of cores, at most 8. */
  public OrchestratorBuilder shards(int shards) {
    this.shards = shards;
    return this;
  }

  /** How long a node may be lost before its replicas are replaced elsewhere (default 40 s). */
  public OrchestratorBuilder nodeLostGrace(Duration grace) {
    this.nodeLostGrace = grace;
    return this;
  }

  /** How long a stopping container may take to exit before it is killed (default 30 s). */
  public OrchestratorBuilder terminationGrace(Duration grace) {
    this.terminationGrace = grace;
    return this;
  }

  /**
   * How long one runtime call may go unanswered before it counts as failed and is retried (default
   * 60 s; a stop gets its termination grace on top).
   */
  public OrchestratorBuilder callTimeout(Duration timeout) {
    this.callTimeout = timeout;
    return this;
  }

  /**
   * How long a replica that leaves the endpoints may keep serving the requests in flight on it before
   * it is stopped anyway (default 30 s).
   */
  public OrchestratorBuilder drainTimeout(Duration timeout) {
    this.drainTimeout = timeout;
    return this;
  }

  /**
   * Whether Orch wires its runtime's networks (on a runtime with {@code NETWORKS}) so that containers find the
   * services they call by name and reach only what the network policies allow (default true). Without it,
   * containers reach each other only as the runtime connects them by itself, and no policy holds inside the
   * runtime; Orch's load balancers still check callers.
   */
  public OrchestratorBuilder discovery(boolean on) {
    this.discovery = on;
    return this;
  }

  /**
   * How long a replica that left its service's name keeps running before it stops, when containers of other
   * services may have looked the name up (default 2 s; zero: no wait), so that calls that resolved the name just
   * before it left still reach a running replica. Requests already in flight are not cut by the name leaving.
   */
  public OrchestratorBuilder nameDrainDelay(Duration delay) {
    this.nameDrainDelay = delay;
    return this;
  }

  /**
   * How many of an exited container's last log lines Orch keeps (default 10; 0: none), for its replica's status
   * and its {@code Exited} event, so that a crash-looping replica's last words show without reading its log.
   *
   * @throws IllegalArgumentException if {@code lines} is outside 0..1,000
   */
  public OrchestratorBuilder lastWords(int lines) {
    if (lines < 0 || lines > 1000) {
      throw new IllegalArgumentException("lastWords: " + lines + ": must be in 0..1000");
    }
    this.lastWords = lines;
    return this;
  }

  /**
   * Where Orch's Micrometer observations go (default {@code ObservationRegistry.NOOP}: none, at no cost): an
   * apply, each reconcile pass (a child of the apply or event that queued it, linking the others that queued it),
   * placements, every runtime call, rollout steps and autoscaling decisions (children of their pass), and the
   * probes of the prober Orch builds (a {@link #healthProber} given here observes as it was built), with Orch's
   * events as their events. With a tracing handler (Micrometer Tracing) one apply shows as one trace. The names
   * are in {@link OrchObservations}.
   */
  public OrchestratorBuilder observationRegistry(io.micrometer.observation.ObservationRegistry registry) {
    this.observations = java.util.Objects.requireNonNull(registry, "registry");
    return this;
  }

  /**
   * Leads through {@code election}, with the other orchestrators of the same owner id on the same state store
   * (and runtime): this one acts only while it leads. Until it is elected it is a standby: it serves reads
   * (specs, status with the rollouts where the store holds them, endpoints it probes itself, events), takes
   * {@code apply}, {@code scale}, {@code delete}, a rollout's {@code pause}, {@code resume}, {@code promote} and
   * {@code abort}, {@code cordon}, {@code uncordon} and {@code policies().apply} and {@code delete} into the store
   * for the leader (checked first against what it sees; what the leader then refuses is a {@code RequestRefused}
   * event), and refuses the writes only the leader can answer ({@code rollback}, {@code drain},
   * {@code forceReplace}, {@code deleteVolume}, autoscaling) with {@code IllegalStateException} naming the leader
   * ({@link Orchestrator#leadership()}). Once elected it starts as a restarted orchestrator does, on what the store
   * holds (specs, rollout positions, adopted replicas) and resumes; every write it keeps is fenced by its term, a
   * runtime call that changes something is not waited for past what is left of its lease, and none starts once
   * that is zero; told to stop, it stops acting at once and is a standby again. The store must fence
   * writes by the election's terms ({@code StateStore.fencedBy}): orch-etcd's store with its election, or
   * {@code InMemoryStateStore} and {@code FileStateStore} with a {@code LocalLeaderElection}; one that cannot makes
   * the orchestrator give the election up when elected. Closing the orchestrator closes the election. Default: none,
   * it always acts.
   */
  public OrchestratorBuilder leaderElection(dev.orch.api.state.LeaderElection election) {
    this.election = java.util.Objects.requireNonNull(election, "election");
    return this;
  }

  /** How many revisions of each service Orch remembers for rollback (default 10). */
  public OrchestratorBuilder revisionHistoryLimit(int limit) {
    this.revisionHistoryLimit = limit;
    return this;
  }

  /**
   * Whether an update that makes no progress within its progress deadline is rolled back to the last
   * fully available revision (default true; Kubernetes only reports it).
   */
  public OrchestratorBuilder autoRollback(boolean enabled) {
    this.autoRollback = enabled;
    return this;
  }

  /** How often every node and container is re-listed and every service reconciled (default 30 s). */
  public OrchestratorBuilder resyncPeriod(Duration period) {
    this.resyncPeriod = period;
    return this;
  }

  /** The restart backoff of crashing containers (default 10 s doubling to 5 min, reset after 10 min). */
  public OrchestratorBuilder crashLoopBackoff(CrashLoopBackoff backoff) {
    this.crashLoopBackoff = backoff;
    return this;
  }

  /** How many recent events the event log keeps (default 1000). */
  public OrchestratorBuilder eventCapacity(int capacity) {
    this.eventCapacity = capacity;
    return this;
  }

  /** The seed of every random choice (container name suffixes, scheduler ties); default 1. */
  public OrchestratorBuilder seed(long seed) {
    this.seed = seed;
    return this;
  }

  /**
   * Whether reconciles run in tasks on the time source (deterministic) rather than on worker threads.
   * Default: deterministic exactly when the time source is a {@link VirtualTimeSource}.
   */
  public OrchestratorBuilder deterministic(boolean deterministic) {
    this.deterministic = deterministic;
    return this;
  }

  /**
   * The prober that runs every replica's startup, liveness and readiness probes (default: one on this
   * builder's time source, seed and meter registry, closed with the orchestrator). A prober passed here
   * is not closed by the orchestrator.
   */
  public OrchestratorBuilder healthProber(HealthProber prober) {
    this.healthProber = prober;
    return this;
  }

  /**
   * The scheduler that places replicas (default: {@code Scheduler.builder().seed(seed)} with this
   * builder's meter registry). Pass one to add filters or scores of your own.
   */
  public OrchestratorBuilder scheduler(Scheduler scheduler) {
    this.scheduler = scheduler;
    return this;
  }

  /**
   * Registers the analysis check {@code name}, which a spec's analysis refers to by name
   * ({@code Analysis.builder().check(name)}), so that the spec stays data that a store can keep. Register it
   * on every orchestrator that may run such a spec (the same code on every JVM, as a controller's code is);
   * applying a spec that names a check the orchestrator does not have is refused, naming it.
   *
   * @throws IllegalArgumentException when {@code name} is blank or already registered
   */
  public OrchestratorBuilder analysisCheck(String name, Predicate<Analysis.Metrics> check) {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(check, "check");
    if (name.isBlank()) {
      throw new IllegalArgumentException("analysisCheck: name: \"" + name + "\": must not be blank");
    }
    if (analysisChecks.putIfAbsent(name, check) != null) {
      throw new IllegalArgumentException("analysisCheck: name: \"" + name + "\": is registered already");
    }
    return this;
  }

  /**
   * Where the orchestrator keeps what it knows, so that it outlives the orchestrator: desired specs, revision
   * history and rollout positions (default: an {@link InMemoryStateStore} of its own, gone with the JVM). An
   * orchestrator built on a store that holds state resumes from it; a {@code FileStateStore} survives the
   * JVM. A store passed here is not closed by the orchestrator.
   */
  public OrchestratorBuilder stateStore(StateStore store) {
    this.stateStore = Objects.requireNonNull(store, "store");
    return this;
  }

  /**
   * Builds and starts the orchestrator: it discovers the nodes and adopts what it owns, asynchronously.
   *
   * @throws IllegalArgumentException naming every bad setting
   * @throws IllegalStateException when no runtime was given and none is found
   */
  public Orchestrator build() {
    List<String> problems = new ArrayList<>();
    if (ownerId == null || !ownerId.matches("[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?")) {
      problems.add("ownerId: " + ownerId + ": must be a DNS-1123 label");
    }
    if (shards < 1 || shards > 64) {
      problems.add("shards: " + shards + ": must be between 1 and 64");
    }
    Durations.requirePositive(problems, "nodeLostGrace", nodeLostGrace);
    Durations.requirePositive(problems, "terminationGrace", terminationGrace);
    Durations.requirePositive(problems, "resyncPeriod", resyncPeriod);
    Durations.requirePositive(problems, "callTimeout", callTimeout);
    Durations.requirePositive(problems, "drainTimeout", drainTimeout);
    if (nameDrainDelay == null || nameDrainDelay.isNegative()) {
      problems.add("nameDrainDelay: " + nameDrainDelay + ": must be >= 0");
    }
    if (revisionHistoryLimit < 1) {
      problems.add("revisionHistoryLimit: " + revisionHistoryLimit + ": must be >= 1");
    }
    if (crashLoopBackoff == null) {
      problems.add("crashLoopBackoff: null: is required");
    }
    if (eventCapacity < 1) {
      problems.add("eventCapacity: " + eventCapacity + ": must be >= 1");
    }
    if (election != null && stateStore == null) {
      problems.add("leaderElection: " + election + ": needs a stateStore shared with the other candidates (the"
          + " default store is this orchestrator's alone)");
    }
    if (!problems.isEmpty()) {
      throw new IllegalArgumentException("invalid orchestrator settings: " + String.join("; ", problems));
    }
    ContainerRuntime rt = runtime != null ? runtime : discover();
    boolean ownsTime = timeSource == null;
    TimeSource time = ownsTime ? TimeSource.system() : timeSource;
    Scheduler s = scheduler;
    if (s == null) {
      Scheduler.Builder sb = Scheduler.builder().seed(seed);
      if (meterRegistry != null) {
        sb.meterRegistry(meterRegistry);
      }
      s = sb.build();
    }
    HealthProber prober = healthProber;
    if (prober == null) {
      HealthProber.Builder pb = HealthProber.builder().timeSource(time).seed(seed).observationRegistry(observations);
      if (meterRegistry != null) {
        pb.meterRegistry(meterRegistry);
      }
      prober = pb.build();
    }
    MeterRegistry registry = meterRegistry != null ? meterRegistry : new CompositeMeterRegistry();
    boolean isDeterministic = deterministic != null ? deterministic : time instanceof VirtualTimeSource;
    return new Orchestrator(new EngineSettings(rt, runtime == null, time, ownsTime, registry,
        meterRegistry != null, ownerId, shards, isDeterministic, nodeLostGrace, terminationGrace, resyncPeriod,
        callTimeout, drainTimeout, revisionHistoryLimit, autoRollback, crashLoopBackoff, eventCapacity, seed, s,
        prober, healthProber == null, Map.copyOf(analysisChecks),
        stateStore != null ? stateStore : new InMemoryStateStore("memory:" + ownerId), stateStore == null, discovery,
        nameDrainDelay, lastWords, observations, election, null));
  }

  /** The system property that names the runtime to discover when none is passed. */
  public static final String RUNTIME_PROPERTY = "orch.runtime";
  /** The environment variable that names the runtime to discover when none is passed (after the property). */
  public static final String RUNTIME_ENV = "ORCH_RUNTIME";

  private ContainerRuntime discover() {
    List<RuntimeProvider> found = new ArrayList<>();
    ServiceLoader.load(RuntimeProvider.class).forEach(found::add);
    found.sort(Comparator.comparing(RuntimeProvider::name));
    List<String> names = found.stream().map(RuntimeProvider::name).toList();
    String wanted = runtimeName;
    String why = "runtime(\"" + runtimeName + "\", ...)";
    if (wanted == null && System.getProperty(RUNTIME_PROPERTY) != null) {
      wanted = System.getProperty(RUNTIME_PROPERTY);
      why = "-D" + RUNTIME_PROPERTY + "=" + wanted;
    }
    if (wanted == null && System.getenv(RUNTIME_ENV) != null) {
      wanted = System.getenv(RUNTIME_ENV);
      why = RUNTIME_ENV + "=" + wanted;
    }
    RuntimeProvider chosen;
    if (wanted != null) {
      String name = wanted;
      chosen = found.stream().filter(p -> p.name().equals(name)).findFirst()
          .orElseThrow(() -> new IllegalStateException("no container runtime named " + name + " (asked by "
              + "the " + (runtimeName != null ? "builder" : "environment") + ") is on the class path; found: "
              + names));
    } else if (found.size() == 1) {
      chosen = found.get(0);
      why = "the only RuntimeProvider on the class path";
    } else if (found.isEmpty()) {
      throw new IllegalStateException("no container runtime: none was passed to runtime(...) and no "
          + "RuntimeProvider is on the class path (add orch-inmemory or orch-docker)");
    } else {
      throw new IllegalStateException("several container runtimes are on the class path " + names + " and none "
          + "was chosen: pass one to runtime(...), name one with runtime(name, properties), or set -D"
          + RUNTIME_PROPERTY + "=<name> or " + RUNTIME_ENV + "=<name>");
    }
    LOG.info("container runtime {} chosen ({}); providers found: {}", chosen.name(), why, names);
    return chosen.create(runtimeProperties);
  }

}
