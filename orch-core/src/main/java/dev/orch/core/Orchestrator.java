package dev.orch.core;

import dev.orch.api.runtime.ContainerRuntime;
import dev.orch.api.runtime.NodeInfo;
import dev.orch.api.runtime.RuntimeProvider;
import dev.orch.api.spec.ServiceSpec;
import dev.orch.api.time.TimeSource;
import dev.orch.api.time.VirtualTimeSource;
import dev.orch.core.engine.ControlPlane;
import dev.orch.core.engine.EngineSettings;
import dev.orch.core.lb.EndpointSource;
import dev.orch.core.lb.LoadBalancer;
import dev.orch.core.lb.Picker;
import dev.orch.core.probe.HealthProber;
import dev.orch.core.reconcile.MpscWorkQueue;
import dev.orch.core.scheduler.Scheduler;
import dev.orch.core.util.Durations;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.composite.CompositeMeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.ServiceLoader;
import java.util.concurrent.CompletableFuture;

/**
 * The facade: owns one {@link ContainerRuntime} and keeps it equal to the services applied to it —
 * placing replicas through the Scheduler, restarting what crashes (with crash-loop backoff), replacing
 * what a lost node ran, and removing what is no longer wanted.
 *
 * <pre>{@code
 * try (Orchestrator orch = Orchestrator.builder().runtime(runtime).build()) {
 *   orch.apply(ServiceSpec.builder("orders").replicas(3).container(c).build());
 *   orch.awaitReady("orders", Duration.ofSeconds(30));
 * }
 * }</pre>
 *
 * <p>Level-triggered: each service is reconciled whole (desired against observed) on one shard worker of
 * an {@link MpscWorkQueue}, whenever its spec, its containers or its nodes change, and on a periodic
 * resync, so a lost or duplicated runtime event cannot leave it wrong. On start it adopts the containers
 * that carry its owner label; it never touches one that lacks it.
 *
 * <p>Thread-safe: every method may be called from any thread; {@link #apply} and the other mutators
 * return at once and the work happens on Orch's own threads (or, with a {@link VirtualTimeSource}, on
 * the thread that advances the clock). The facade holds no state of its own: it delegates to the engine.
 */
public final class Orchestrator implements AutoCloseable {
  private final ControlPlane plane;
  private final ContainerRuntime runtime;
  private final TimeSource time;
  private final String ownerId;

  private Orchestrator(EngineSettings settings) {
    this.runtime = settings.runtime();
    this.time = settings.time();
    this.ownerId = settings.ownerId();
    this.plane = new ControlPlane(settings);
  }

  /** Starts a builder. */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * Makes {@code spec} the desired state of its service (creating or updating it). Validates the whole
   * spec first: an invalid one is refused with every violation and changes nothing. Idempotent; returns
   * at once.
   *
   * @throws dev.orch.api.spec.InvalidSpecException when the spec breaks a rule
   * @throws IllegalStateException when the orchestrator is closed
   */
  public void apply(ServiceSpec spec) {
    plane.apply(spec);
  }

  /**
   * Sets the desired replica count of service {@code name}.
   *
   * @throws UnknownServiceException when no such service was applied
   * @throws dev.orch.api.spec.InvalidSpecException when {@code replicas} is negative
   */
  public void scale(String name, int replicas) {
    plane.scale(name, replicas);
  }

  /**
   * Deletes service {@code name}: its replicas are stopped (with their grace period) and removed. Also
   * removes the owned replicas of a service that was never applied here (an orchestrator that restarted
   * adopts what it owns; see the {@code Orphaned} event).
   *
   * @return whether the service existed, or had owned replicas
   */
  public boolean delete(String name) {
    return plane.delete(name);
  }

  /** The revisions of service {@code name} that Orch remembers, oldest first; the last is the current one. */
  public List<Revision> revisions(String name) {
    return plane.revisions(name);
  }

  /**
   * Returns service {@code name} to its last revision that was fully available before the current one.
   *
   * @throws UnknownServiceException when no such service was applied
   * @throws IllegalStateException when there is no earlier good revision
   */
  public Revision rollback(String name) {
    return plane.rollback(name);
  }

  /**
   * Returns service {@code name} to its remembered revision {@code revision}: its template and probes,
   * with the current replica count, placement and strategy.
   *
   * @throws UnknownServiceException when no such service was applied
   * @throws IllegalArgumentException naming the revision and those remembered, when it is not one of them
   */
  public Revision rollback(String name, String revision) {
    return plane.rollback(name, revision);
  }

  /**
   * Pauses service {@code name}'s rollout: a rolling update starts no new wave, a blue/green or canary
   * rollout takes no further step, until {@link #resume}. What is under way (replicas starting, drains, a
   * promoted blue/green rollout's scale-down) completes. Returns at once; the service's worker carries it
   * out.
   *
   * @throws UnknownServiceException when no such service was applied
   * @throws IllegalStateException when no rollout is in progress
   */
  public void pause(String name) {
    plane.rollouts().pause(name);
  }

  /**
   * Resumes service {@code name}'s rollout after {@link #pause} or a canary's pause step without a
   * duration; after {@link #abort}, rolls the aborted revision out again from its first step (a retry).
   * Idempotent.
   *
   * @throws UnknownServiceException when no such service was applied
   * @throws IllegalStateException when no rollout is in progress
   */
  public void resume(String name) {
    plane.rollouts().resume(name);
  }

  /**
   * Promotes service {@code name}'s blue/green or canary rollout now: skips the remaining steps, pauses and
   * analyses; the new revision is scaled to the full count and then takes all the traffic in one step.
   *
   * @throws UnknownServiceException when no such service was applied
   * @throws IllegalStateException when the service rolls out with a rolling update, or no rollout is in progress
   */
  public void promote(String name) {
    plane.rollouts().promote(name);
  }

  /**
   * Aborts service {@code name}'s rollout: a blue/green or canary rollout sends all traffic back to the
   * stable revision at once and removes the new revision's replicas (the spec stays; apply another revision
   * or {@link #rollback} to go on); a rolling update is rolled back to the last fully available revision.
   *
   * @throws UnknownServiceException when no such service was applied
   * @throws IllegalStateException when no rollout is in progress
   */
  public void abort(String name) {
    plane.rollouts().abort(name);
  }

  /**
   * The exact steps applying {@code spec} would take from what service {@code spec.name()} runs now:
   * replicas per revision, the availability floor, the total ceiling and the traffic weights of each,
   * assuming every new replica becomes available and every analysis passes. Touches nothing.
   *
   * @throws dev.orch.api.spec.InvalidSpecException when the spec breaks a rule (as {@link #apply} would)
   */
  public RolloutPlan plan(ServiceSpec spec) {
    Objects.requireNonNull(spec, "spec");
    plane.requireRunnable(spec);
    return plane.rollouts().plan(spec);
  }

  /** The desired spec of service {@code name}, if applied. */
  public Optional<ServiceSpec> spec(String name) {
    return plane.spec(name);
  }

  /** The names of every applied service, sorted. */
  public List<String> services() {
    return plane.services();
  }

  /** The nodes as Orch last saw them, by id. */
  public List<NodeInfo> nodes() {
    return plane.nodes();
  }

  /** The observed state of service {@code name}, if applied. */
  public Optional<ServiceStatus> status(String name) {
    return plane.status(name);
  }

  /**
   * Waits until service {@code name} has exactly its desired replicas, all ready, or {@code timeout}
   * passes. Uses real time: with a {@link VirtualTimeSource}, advance the clock and check
   * {@link #status} instead.
   *
   * @return whether it became ready in time
   * @throws UnknownServiceException when no such service was applied
   * @throws IllegalStateException on a virtual time source
   */
  public boolean awaitReady(String name, Duration timeout) throws InterruptedException {
    if (time instanceof VirtualTimeSource) {
      throw new IllegalStateException("awaitReady " + name + ": blocks on real time; with a VirtualTimeSource "
          + "advance the clock and check status(name).isReady()");
    }
    status(name).orElseThrow(() -> new UnknownServiceException("awaitReady", name));
    return plane.awaitPasses(timeout, () -> status(name)
        .orElseThrow(() -> new UnknownServiceException("awaitReady", name)).isReady());
  }

  /**
   * The endpoints of service {@code name}: each replica that runs, with its readiness, published as a
   * new immutable snapshot whenever it changes; feed a {@link dev.orch.core.lb.LoadBalancer} from it.
   * Only a service whose container has a port has endpoints (on its first port). Read-only.
   */
  public EndpointSource endpoints(String name) {
    return plane.endpoints(name);
  }

  /**
   * A load balancer over service {@code name}'s ready replicas. Orch knows the requests it has in flight:
   * before it stops a replica (scale down, update, deletion) it takes the replica out of the endpoints and
   * waits until no such balancer has a request in flight on it (at most the drain timeout), so that no
   * request fails because its replica stopped under it. The outcomes reported through it feed canary
   * analyses. During a canary the endpoints' weights carry the traffic split: use a weighted picker
   * ({@code weightedRoundRobin}, {@code random}, {@code leastRequest}, {@code p2cPeakEwma}); {@code roundRobin}
   * ignores weights. Close it when done.
   */
  public LoadBalancer loadBalancer(String name, Picker picker) {
    return plane.loadBalancer(name, picker);
  }

  /**
   * The preview endpoints of service {@code name}: during a blue/green rollout, before promotion, the new
   * revision's replicas (which the service's own endpoints do not list); empty otherwise. Read-only.
   */
  public EndpointSource previewEndpoints(String name) {
    return plane.previewEndpoints(name);
  }

  /**
   * A load balancer over service {@code name}'s preview endpoints (see {@link #previewEndpoints}); the
   * outcomes reported through it feed a blue/green pre-promotion analysis, and its requests in flight are
   * drained as on {@link #loadBalancer}. Close it when done.
   */
  public LoadBalancer previewLoadBalancer(String name, Picker picker) {
    return plane.previewLoadBalancer(name, picker);
  }

  /** The event log: recent events and subscriptions. */
  public EventLog events() {
    return plane.events();
  }

  /** This orchestrator's owner id, the value of the {@code orch.owner} label on what it creates. */
  public String ownerId() {
    return ownerId;
  }

  /** The runtime this orchestrator drives. */
  public ContainerRuntime runtime() {
    return runtime;
  }

  /** Completes when start-up (node discovery and adoption) is done. */
  public CompletableFuture<Void> started() {
    return plane.started();
  }

  /** Stops Orch's threads and timers; containers keep running (a later orchestrator adopts them). */
  @Override
  public void close() {
    plane.close();
  }

  /**
   * Removes every container this orchestrator owns (stopping each with its grace period), waits up to
   * {@code timeout}, then closes. Real time only.
   *
   * @return whether every owned container was removed in time
   */
  public boolean closeAndRemoveAll(Duration timeout) throws InterruptedException {
    if (time instanceof VirtualTimeSource) {
      throw new IllegalStateException("closeAndRemoveAll: blocks on real time; with a VirtualTimeSource delete "
          + "each service, advance the clock, then close()");
    }
    for (String name : services()) {
      delete(name);
    }
    for (String orphan : plane.servicesWithContainers()) {
      delete(orphan);
    }
    // The workers stop each replica with its grace, then remove it; wait until none is left.
    boolean gone = plane.awaitPasses(timeout, plane::isEmpty);
    close();
    return gone;
  }

  /** Builds an {@link Orchestrator}; not thread-safe. */
  public static final class Builder {
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
    private int revisionHistoryLimit = 10;
    private boolean autoRollback = true;
    private CrashLoopBackoff crashLoopBackoff = CrashLoopBackoff.DEFAULT;
    private int eventCapacity = 1000;
    private long seed = 1;
    private Boolean deterministic;
    private Scheduler scheduler;
    private HealthProber healthProber;

    private Builder() {
    }

    /** The runtime to drive; wins over discovery. */
    public Builder runtime(ContainerRuntime runtime) {
      this.runtime = runtime;
      return this;
    }

    /**
     * Finds the runtime named {@code name} among the {@link RuntimeProvider}s on the class path, and
     * creates it with {@code properties}; used only when no runtime is passed.
     */
    public Builder runtime(String name, Map<String, String> properties) {
      this.runtimeName = name;
      this.runtimeProperties = Map.copyOf(properties);
      return this;
    }

    /** Where metrics go (default: nowhere; never the global registry). */
    public Builder meterRegistry(MeterRegistry registry) {
      this.meterRegistry = registry;
      return this;
    }

    /**
     * The time source for every timer (default: the system clock, owned and closed by the orchestrator).
     * With a {@link VirtualTimeSource}, reconciles run on the thread that advances it, repeatably.
     */
    public Builder timeSource(TimeSource timeSource) {
      this.timeSource = timeSource;
      return this;
    }

    /** The {@code orch.owner} label value of what this orchestrator creates and adopts (default {@code orch}). */
    public Builder ownerId(String ownerId) {
      this.ownerId = ownerId;
      return this;
    }

    /** Reconcile shards (worker threads); default the number of cores, at most 8. */
    public Builder shards(int shards) {
      this.shards = shards;
      return this;
    }

    /** How long a node may be lost before its replicas are replaced elsewhere (default 40 s). */
    public Builder nodeLostGrace(Duration grace) {
      this.nodeLostGrace = grace;
      return this;
    }

    /** How long a stopping container may take to exit before it is killed (default 30 s). */
    public Builder terminationGrace(Duration grace) {
      this.terminationGrace = grace;
      return this;
    }

    /**
     * How long one runtime call may go unanswered before it counts as failed and is retried (default
     * 60 s; a stop gets its termination grace on top).
     */
    public Builder callTimeout(Duration timeout) {
      this.callTimeout = timeout;
      return this;
    }

    /**
     * How long a replica that leaves the endpoints may keep serving the requests in flight on it before
     * it is stopped anyway (default 30 s).
     */
    public Builder drainTimeout(Duration timeout) {
      this.drainTimeout = timeout;
      return this;
    }

    /** How many revisions of each service Orch remembers for rollback (default 10). */
    public Builder revisionHistoryLimit(int limit) {
      this.revisionHistoryLimit = limit;
      return this;
    }

    /**
     * Whether an update that makes no progress within its progress deadline is rolled back to the last
     * fully available revision (default true; Kubernetes only reports it).
     */
    public Builder autoRollback(boolean enabled) {
      this.autoRollback = enabled;
      return this;
    }

    /** How often every node and container is re-listed and every service reconciled (default 30 s). */
    public Builder resyncPeriod(Duration period) {
      this.resyncPeriod = period;
      return this;
    }

    /** The restart backoff of crashing containers (default 10 s doubling to 5 min, reset after 10 min). */
    public Builder crashLoopBackoff(CrashLoopBackoff backoff) {
      this.crashLoopBackoff = backoff;
      return this;
    }

    /** How many recent events the event log keeps (default 1000). */
    public Builder eventCapacity(int capacity) {
      this.eventCapacity = capacity;
      return this;
    }

    /** The seed of every random choice (container name suffixes, scheduler ties); default 1. */
    public Builder seed(long seed) {
      this.seed = seed;
      return this;
    }

    /**
     * Whether reconciles run in tasks on the time source (deterministic) rather than on worker threads.
     * Default: deterministic exactly when the time source is a {@link VirtualTimeSource}.
     */
    public Builder deterministic(boolean deterministic) {
      this.deterministic = deterministic;
      return this;
    }

    /**
     * The prober that runs every replica's startup, liveness and readiness probes (default: one on this
     * builder's time source, seed and meter registry, closed with the orchestrator). A prober passed here
     * is not closed by the orchestrator.
     */
    public Builder healthProber(HealthProber prober) {
      this.healthProber = prober;
      return this;
    }

    /**
     * The scheduler that places replicas (default: {@code Scheduler.builder().seed(seed)} with this
     * builder's meter registry). Pass one to add filters or scores of your own.
     */
    public Builder scheduler(Scheduler scheduler) {
      this.scheduler = scheduler;
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
      if (revisionHistoryLimit < 1) {
        problems.add("revisionHistoryLimit: " + revisionHistoryLimit + ": must be >= 1");
      }
      if (crashLoopBackoff == null) {
        problems.add("crashLoopBackoff: null: is required");
      }
      if (eventCapacity < 1) {
        problems.add("eventCapacity: " + eventCapacity + ": must be >= 1");
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
        HealthProber.Builder pb = HealthProber.builder().timeSource(time).seed(seed);
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
          prober, healthProber == null));
    }

    private ContainerRuntime discover() {
      List<RuntimeProvider> found = new ArrayList<>();
      ServiceLoader.load(RuntimeProvider.class).forEach(found::add);
      Optional<RuntimeProvider> chosen = found.stream()
          .filter(p -> runtimeName == null || p.name().equals(runtimeName))
          .max(Comparator.comparingInt(RuntimeProvider::priority));
      return chosen.orElseThrow(() -> new IllegalStateException("no container runtime: none was passed to "
          + "runtime(...) and no RuntimeProvider" + (runtimeName == null ? "" : " named " + runtimeName)
          + " is on the class path (found: " + found.stream().map(RuntimeProvider::name).toList() + ")"))
          .create(runtimeProperties);
    }
  }
}
