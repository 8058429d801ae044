package dev.orch.core.engine;

import dev.orch.api.state.LeaderElection;
import dev.orch.api.time.ScheduledTask;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The control plane of an orchestrator, and whether it may act. Without an election there is one plane for the
 * orchestrator's life. With one the orchestrator is a standby (no plane) until elected; then a plane is built on
 * the store fenced by the term, as a restarted orchestrator's is (it reads specs, rollout positions and drains
 * from the store and adopts the runtime's containers), and it acts; told to stop, the plane is closed at once
 * (containers keep running) and the orchestrator is a standby again until elected anew. Thread-safe.
 */
public final class Leadership implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(Leadership.class);

  private final EngineSettings settings;
  private final @Nullable LeaderElection election;
  /** Completes once a plane has started (with an election: once this orchestrator leads and has started). */
  private final CompletableFuture<Void> started = new CompletableFuture<>();
  private volatile @Nullable ControlPlane plane;
  private volatile String standby = "not elected yet";
  private @Nullable ScheduledTask retry;
  private boolean closed;

  /** Builds the plane now, or (with an election in {@code settings}) starts campaigning. */
  public Leadership(EngineSettings settings) {
    this.settings = settings;
    this.election = settings.election();
    if (election == null) {
      ControlPlane p = new ControlPlane(settings);
      plane = p;
      p.started().whenComplete((v, e) -> complete(e));
      return;
    }
    election.start(new LeaderElection.Listener() {
      @Override
      public void elected(LeaderElection.Term term) {
        lead(term);
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

  /** Elected: a plane on the store fenced by {@code term}, unless the store cannot be read (then again in 1 s). */
  private synchronized void lead(LeaderElection.Term term) {
    if (closed || plane != null || !term.isValid()) {
      return;
    }
    try {
      ControlPlane p = new ControlPlane(settings.underTerm(term));
      plane = p;
      LOG.info("orchestrator {} ({}) leads: {}", settings.ownerId(), term.holder(), term);
      p.started().whenComplete((v, e) -> complete(e));
    } catch (RuntimeException e) {
      standby = "elected (" + term + "), but could not start on the store: " + e.getMessage();
      LOG.warn("orchestrator {}: {}; trying again in 1 s", settings.ownerId(), standby);
      retry = settings.time().schedule(Duration.ofSeconds(1), () -> lead(term));
    }
  }

  /** Told to stop: the plane goes at once (its workers stop; its containers keep running). */
  private void stepDown(LeaderElection.Term term, String why) {
    ControlPlane p;
    synchronized (this) {
      p = plane;
      plane = null;
      standby = "stopped leading (" + term + "): " + why;
      if (retry != null) {
        retry.cancel();
      }
    }
    if (p != null) {
      LOG.warn("orchestrator {}: {}", settings.ownerId(), standby);
      p.close();
    }
  }

  /**
   * The plane, to act or read through.
   *
   * @throws IllegalStateException on a standby, naming who leads
   */
  public ControlPlane plane(String what) {
    ControlPlane p = plane;
    if (p == null && closed()) {
      throw new IllegalStateException(what + ": the orchestrator is closed");
    }
    if (p == null) {
      throw new IllegalStateException(what + ": orchestrator " + settings.ownerId() + " (" + candidate()
          + ") is a standby, " + leaderNow().map(l -> l + " leads").orElse("no leader known") + " (" + standby
          + "); call the leader, or wait for this one to be elected (Orchestrator.leadership())");
    }
    return p;
  }

  private synchronized boolean closed() {
    return closed;
  }

  /** The plane if there is one now. */
  public Optional<ControlPlane> current() {
    return Optional.ofNullable(plane);
  }

  /** Completes once a plane has started: at once without an election, once elected and started with one. */
  public CompletableFuture<Void> started() {
    return started;
  }

  /** Whether this orchestrator acts now: always without an election, while it leads with one. */
  public boolean leading() {
    return plane != null;
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
    return election.leader().toCompletableFuture().getNow(Optional.empty());
  }

  /** Why this orchestrator does not act, when it does not. */
  public String standbyReason() {
    return plane != null ? "" : standby;
  }

  /** Closes the election (resigning if leading) and the plane, then what the orchestrator owns. */
  @Override
  public void close() {
    ControlPlane p;
    synchronized (this) {
      if (closed) {
        return;
      }
      closed = true;
      if (retry != null) {
        retry.cancel();
      }
    }
    if (election == null) {
      p = plane;
      if (p != null) {
        p.close(); // kept: its calls say it is closed
      }
      return;
    }
    election.close(); // tells stepDown, which closes the plane
    synchronized (this) {
      p = plane;
      plane = null;
    }
    if (p != null) {
      p.close();
    }
    settings.closeOwned(); // the planes under a term own nothing
  }
}
