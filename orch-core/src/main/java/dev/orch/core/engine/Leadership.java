package dev.orch.core.engine;

import dev.orch.api.runtime.Subscription;
import dev.orch.api.spec.ServiceSpec;
import dev.orch.api.state.LeaderElection;
import dev.orch.api.time.ScheduledTask;
import dev.orch.core.EventLog;
import dev.orch.core.lb.EndpointSource;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The engine of an orchestrator, and whether it may act. Without an election there is one engine for the
 * orchestrator's life, and it acts. With one, the orchestrator is a standby until elected: its engine reads the
 * store and the runtime, probes the replicas and publishes their endpoints, and writes and calls nothing; it is
 * built again, so that what it shows follows the leader, soon after the leader writes the store. Once elected, an
 * engine is built on the store fenced by the term, as a restarted orchestrator's is (it reads specs, rollout
 * positions and drains and adopts the runtime's containers), and acts; told to stop, that engine is closed at once
 * (containers keep running) and a standby's takes its place. The endpoints, the balancers over them and the event
 * log are the orchestrator's, kept across its engines ({@link Shared}). Thread-safe.
 */
public final class Leadership implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(Leadership.class);
  /** How long a standby waits after a change to the store before it reads it again (changes come in bursts). */
  private static final Duration REFRESH_DELAY = Duration.ofMillis(500);

  private final EngineSettings settings;
  private final @Nullable LeaderElection election;
  /** The endpoints, balancers, traffic and events every engine of this orchestrator publishes into. */
  private final Shared shared;
  /** Completes once an acting engine has started (with an election: once this orchestrator leads). */
  private final CompletableFuture<Void> started = new CompletableFuture<>();
  private volatile @Nullable ControlPlane plane;
  private volatile boolean leading;
  /** Who led when the election was last asked (it answers asynchronously). */
  private volatile Optional<String> leader = Optional.empty();
  private volatile String standby = "not elected yet";
  private @Nullable ScheduledTask retry;
  private @Nullable ScheduledTask refresh;
  private @Nullable Subscription storeWatch;
  /** Writes asked of this orchestrator as a standby, for the leader; null without an election. */
  private final @Nullable StandbyRequests requests;
  /** While leading: the watch that takes the standbys' requests. */
  private @Nullable Subscription serving;
  /** Whether the last standby engine could not be built because the store could not be read. */
  private boolean unreadable;
  /** Why the standby shows nothing, when the store cannot be read; empty otherwise. */
  private volatile String storeProblem = "";
  private volatile boolean closed;

  /** Builds the engine now, or (with an election in {@code settings}) a standby's, and starts campaigning. */
  public Leadership(EngineSettings settings) {
    this.settings = settings;
    this.election = settings.election();
    this.shared = new Shared(settings.eventCapacity());
    this.requests = election == null ? null : new StandbyRequests(settings.store(), settings.ownerId(),
        election.candidate(), settings.callTimeout(), settings.time());
    shared.requests = requests;
    if (election == null) {
      ControlPlane p = new ControlPlane(settings, shared);
      plane = p;
      leading = true;
      p.started().whenComplete((v, e) -> complete(e));
      return;
    }
    synchronized (this) {
      try {
        standBy();
      } catch (RuntimeException e) { // the store's watch could not be made: nothing of this one is left running
        cancelTimers();
        ControlPlane p = plane;
        plane = null;
        if (p != null) {
          p.close();
        }
        throw e;
      }
    }
    election.start(new LeaderElection.Listener() {
      @Override
      public void elected(LeaderElection.Term term) {
        // Built off the election's thread, which must go on renewing the lease meanwhile.
        settings.time().schedule(Duration.ZERO, () -> lead(term));
      }

      @Override
      public void revoked(LeaderElection.Term term, String why) {
        stepDown(term, why);
      }
    });
  }

  private void complete(@Nullable Throwable e) {
    if (e == null) {
      started.complete(null);
    } else {
      started.completeExceptionally(e);
    }
  }

  /** A standby's engine in place of the current one, and a watch of the store to follow the leader. Locked. */
  private void standBy() {
    ControlPlane old = plane;
    try {
      plane = new ControlPlane(settings.standby(() -> leaderNow().map(l -> l + " leads")
          .orElse("no leader is known")), shared);
      storeProblem = "";
      if (unreadable) {
        unreadable = false;
        LOG.info("orchestrator {}: a standby that reads the store again", settings.ownerId());
      }
    } catch (RuntimeException e) {
      plane = null;
      storeProblem = "; and the store cannot be read (" + e.getMessage() + ")";
      if (!unreadable) { // said once; it tries again every second, quietly, until it reads it
        unreadable = true;
        LOG.warn("orchestrator {}: a standby that cannot read the store: {}; trying again every second",
            settings.ownerId(), e.getMessage());
      }
      retry = settings.time().schedule(Duration.ofSeconds(1), this::refreshNow);
    }
    if (old != null) {
      old.close();
    }
    if (storeWatch == null) {
      storeWatch = settings.store().watch(settings.ownerId() + "/", e -> scheduleRefresh());
    }
  }

  private synchronized void scheduleRefresh() {
    if (closed || leading || refresh != null) {
      return;
    }
    refresh = settings.time().schedule(REFRESH_DELAY, this::refreshNow);
  }

  private synchronized void refreshNow() {
    refresh = null;
    if (!closed && !leading) {
      standBy();
    }
  }

  /** Elected: an engine on the store fenced by {@code term}, unless the store cannot be read (then again in 1 s). */
  private synchronized void lead(LeaderElection.Term term) {
    if (closed || leading || !term.isValid()) {
      return;
    }
    ControlPlane p;
    EngineSettings acting;
    try {
      acting = settings.underTerm(term);
    } catch (UnsupportedOperationException | IllegalArgumentException e) {
      // The store cannot fence this election's terms: leading would be unsafe, and holding the lease would keep
      // every other candidate from leading. Give the election up, for good.
      standby = "elected (" + term + "), but " + e.getMessage() + ": it gave the election up";
      LOG.error("orchestrator {}: {}", settings.ownerId(), standby);
      settings.time().schedule(Duration.ZERO, election::close);
      return;
    }
    try {
      p = new ControlPlane(acting, shared);
    } catch (RuntimeException e) {
      standby = "elected (" + term + "), but could not start on the store: " + e.getMessage();
      LOG.warn("orchestrator {}: {}; trying again in 1 s", settings.ownerId(), standby);
      retry = settings.time().schedule(Duration.ofSeconds(1), () -> lead(term));
      return;
    }
    ControlPlane old = plane;
    plane = p;
    leading = true;
    cancelTimers();
    if (old != null) {
      old.close();
    }
    LOG.info("orchestrator {} ({}) leads: {}", settings.ownerId(), term.holder(), term);
    p.started().whenComplete((v, e) -> {
      complete(e);
      if (e == null) {
        serveRequests(p, acting);
      }
    });
  }

  /** Once the acting engine has started: the standbys' requests waiting, then each new one. */
  private synchronized void serveRequests(ControlPlane p, EngineSettings acting) {
    if (closed || plane != p || requests == null) {
      return;
    }
    try {
      serving = requests.serve(p, acting.store());
    } catch (RuntimeException e) {
      LOG.warn("orchestrator {}: the standbys' requests could not be read ({}); the next leadership takes them",
          settings.ownerId(), e.getMessage());
    }
  }

  /**
   * Told to stop: the acting engine goes at once (it makes no runtime call from now on, its term having ended; its
   * workers stop; its containers keep running), then a standby's engine takes its place.
   */
  private void stepDown(LeaderElection.Term term, String why) {
    ControlPlane p;
    Subscription requestsWatch;
    synchronized (this) {
      if (!leading) {
        return;
      }
      leading = false;
      standby = "stopped leading (" + term + "): " + why;
      LOG.warn("orchestrator {}: {}", settings.ownerId(), standby);
      requestsWatch = serving;
      serving = null;
      p = plane;
      plane = null;
    }
    if (requestsWatch != null) {
      requestsWatch.close(); // not under the lock, as the store's watch in close()
    }
    if (p != null) {
      p.close(); // not under the lock: a pass it waits for may read this orchestrator meanwhile
    }
    if (!closed) { // the standby's engine reads the store: not on the election's thread, which must go on renewing
      synchronized (this) {
        retry = settings.time().schedule(Duration.ZERO, this::refreshNow);
      }
    }
  }

  private void cancelTimers() {
    if (retry != null) {
      retry.cancel();
      retry = null;
    }
    if (refresh != null) {
      refresh.cancel();
      refresh = null;
    }
  }

  /**
   * The engine to read through: the acting one, or a standby's.
   *
   * @throws IllegalStateException when closed, or a standby whose store cannot be read
   */
  public ControlPlane plane(String what) {
    ControlPlane p = plane;
    if (p == null) {
      throw refusal(what);
    }
    return p;
  }

  /**
   * The engine to act through.
   *
   * @throws IllegalStateException on a standby, naming who leads, and when closed
   */
  public ControlPlane acting(String what) {
    ControlPlane p = plane;
    if (p == null || !leading) {
      throw refusal(what);
    }
    return p;
  }

  /** Applies {@code spec}: through the acting engine, or (a standby) validated and kept for the leader. */
  public void apply(dev.orch.api.spec.ServiceSpec spec) {
    ControlPlane p = plane("apply " + spec.name());
    if (leading || requests == null) {
      p.apply(spec);
      return;
    }
    p.requireRunnable(spec);
    requests.apply(spec);
  }

  /** Scales service {@code name}: through the acting engine, or (a standby) kept for the leader. */
  public void scale(String name, int replicas) {
    ControlPlane p = plane("scale " + name);
    if (leading || requests == null) {
      p.ensureOpen("scale " + name);
      p.scale(name, replicas);
      return;
    }
    ServiceSpec now = p.desired(name).orElseThrow(() -> new dev.orch.core.UnknownServiceException("scale", name));
    now.withReplicas(replicas).requireValid(); // a negative count is refused here, naming the field
    requests.scale(name, replicas);
  }

  /** Deletes service {@code name}: through the acting engine, or (a standby) kept for the leader. */
  public boolean delete(String name) {
    ControlPlane p = plane("delete " + name);
    if (leading || requests == null) {
      return p.delete(name);
    }
    boolean known = p.desired(name).isPresent() || p.servicesWithContainers().contains(name);
    requests.delete(name);
    return known;
  }

  /**
   * {@code op} ({@code pause}, {@code resume}, {@code promote} or {@code abort}) on service {@code name}'s rollout:
   * through the acting engine, or (a standby) checked against the rollout as the store holds it and kept for the
   * leader.
   */
  public void rollout(String op, String name) {
    ControlPlane p = plane(op + " " + name);
    if (leading || requests == null) {
      p.ensureOpen(op + " " + name);
      p.rollouts().ask(op, name);
      return;
    }
    p.rollouts().requireAskable(op, name);
    requests.rollout(op, name);
  }

  /** Cordons ({@code on}) or uncordons node {@code node}: through the acting engine, or (a standby) for the leader. */
  public void cordon(String node, boolean on) {
    ControlPlane p = plane((on ? "cordon " : "uncordon ") + node);
    if (leading || requests == null) {
      p.nodeOperations().cordon(node, on);
      return;
    }
    p.nodeOperations().requireNode(on ? "cordon" : "uncordon", node);
    requests.cordon(node, on);
  }

  private IllegalStateException refusal(String what) {
    if (closed) {
      return new IllegalStateException(what + ": the orchestrator is closed");
    }
    return new IllegalStateException(what + ": orchestrator " + settings.ownerId() + " (" + candidate()
        + ") is a standby, " + leaderNow().map(l -> l + " leads").orElse("no leader known") + " (" + standby
        + storeProblem + "); call the leader, or wait for this one to be elected (Orchestrator.leadership())");
  }

  /**
   * The endpoints of service {@code name} as this orchestrator's engines publish them: one source for its life,
   * whichever engine publishes.
   */
  public EndpointSource endpoints(String name) {
    return EndpointPublisher.readOnly(shared.registry.source(name));
  }

  /** The preview endpoints of service {@code name}, as {@link #endpoints}. */
  public EndpointSource previewEndpoints(String name) {
    return endpoints(EndpointPublisher.previewKey(name));
  }

  /** The event log of every engine of this orchestrator, one for its life. */
  public EventLog events() {
    return shared.events;
  }

  /** Completes once an engine acts: at once without an election, once elected and started with one. */
  public CompletableFuture<Void> started() {
    return started;
  }

  /** Whether this orchestrator acts now: always without an election, while it leads with one. */
  public boolean leading() {
    return leading;
  }

  /** This candidate's name in the election; the owner id without one. */
  public String candidate() {
    return election == null ? settings.ownerId() : election.candidate();
  }

  /** Who leads, as the election says now (this orchestrator without an election); empty when unknown yet. */
  public Optional<String> leaderNow() {
    if (election == null) {
      return Optional.of(settings.ownerId());
    }
    CompletableFuture<Optional<String>> asked = election.leader().toCompletableFuture();
    if (asked.isDone()) {
      leader = asked.getNow(leader);
    } else {
      asked.thenAccept(l -> leader = l); // the next call tells it
    }
    return leading ? Optional.of(candidate()) : leader;
  }

  /** Why this orchestrator does not act, when it does not. */
  public String standbyReason() {
    return leading ? "" : standby + storeProblem;
  }

  /** Closes the election (resigning if leading) and the engine, then what the orchestrator owns. */
  @Override
  public void close() {
    Subscription watch;
    synchronized (this) {
      if (closed) {
        return;
      }
      closed = true;
      cancelTimers();
      watch = storeWatch;
    }
    if (watch != null) {
      // Outside the lock: closing waits for a delivery in progress, which may be waiting for this lock (a refresh).
      watch.close();
    }
    if (election == null) {
      ControlPlane p = plane;
      if (p != null) {
        p.close(); // kept: its calls say it is closed
      }
      return;
    }
    election.close(); // tells stepDown, which closes the acting engine
    ControlPlane p;
    synchronized (this) {
      p = plane;
      plane = null;
    }
    if (p != null) {
      p.close();
    }
    settings.closeOwned(); // the engines under a term, and the standbys', own nothing
  }
}
