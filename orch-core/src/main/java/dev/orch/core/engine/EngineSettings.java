package dev.orch.core.engine;

import dev.orch.api.runtime.ContainerRuntime;
import dev.orch.api.spec.Analysis;
import dev.orch.api.state.StateStore;
import dev.orch.api.time.TimeSource;
import dev.orch.core.CrashLoopBackoff;
import dev.orch.core.probe.HealthProber;
import dev.orch.core.scheduler.Scheduler;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.Map;
import java.util.function.Predicate;
import org.jspecify.annotations.Nullable;

/**
 * Everything an engine is built from, checked already by the orchestrator's builder. Immutable.
 *
 * @param runtime              the runtime to drive
 * @param ownsRuntime          whether closing the engine closes the runtime (it was discovered)
 * @param time                 the time source of every timer
 * @param ownsTime             whether closing the engine closes the time source (it is the default one)
 * @param meterRegistry        where metrics go (never null: an empty composite for none)
 * @param userRegistry         whether {@code meterRegistry} is the user's (the default prober reports to it)
 * @param ownerId              the {@code orch.owner} label value
 * @param shards               reconcile shards (worker threads)
 * @param deterministic        whether reconciles run as tasks on the time source rather than on threads
 * @param nodeLostGrace        how long a node may be lost before its replicas move
 * @param terminationGrace     how long a stopping container may take before it is killed
 * @param resyncPeriod         how often everything is re-listed and reconciled
 * @param callTimeout          how long one runtime call may go unanswered
 * @param drainTimeout         how long a leaving replica may finish its requests in flight
 * @param revisionHistoryLimit how many revisions each service remembers
 * @param autoRollback         whether failed rollouts return to the last good revision
 * @param crashLoop            the restart backoff of crashing containers
 * @param eventCapacity        how many recent events the event log keeps
 * @param seed                 the seed of every random choice
 * @param scheduler            the scheduler that places replicas
 * @param prober               the prober of every replica's probes
 * @param ownsProber           whether closing the engine closes the prober
 * @param analysisChecks       the analysis checks registered by name
 * @param store                where the engine keeps what it knows
 * @param ownsStore            whether closing the engine closes the store (it is the default one)
 * @param discovery            whether the engine wires the runtime's networks for discovery and policy
 * @param nameDrainDelay       how long a replica that left its service's name runs on before it stops
 * @param lastWords            how many of an exited container's last log lines its status and event keep
 * @param observations         where the engine's observations go (NOOP: none)
 * @param election             the election this orchestrator leads through; null when it always acts
 * @param term                 the leadership the engine acts under (its runtime calls end within it, its writes are
 *                             fenced by it); null when it always acts
 */
public record EngineSettings(ContainerRuntime runtime, boolean ownsRuntime, TimeSource time, boolean ownsTime,
                             MeterRegistry meterRegistry, boolean userRegistry, String ownerId, int shards,
                             boolean deterministic, Duration nodeLostGrace, Duration terminationGrace,
                             Duration resyncPeriod, Duration callTimeout, Duration drainTimeout,
                             int revisionHistoryLimit, boolean autoRollback, CrashLoopBackoff crashLoop,
                             int eventCapacity, long seed, Scheduler scheduler, HealthProber prober,
                             boolean ownsProber, Map<String, Predicate<Analysis.Metrics>> analysisChecks,
                             StateStore store, boolean ownsStore, boolean discovery, Duration nameDrainDelay,
                             int lastWords, io.micrometer.observation.ObservationRegistry observations,
                             dev.orch.api.state.@Nullable LeaderElection election,
                             dev.orch.api.state.LeaderElection.@Nullable Term term) {

  /**
   * These settings for an engine that acts under {@code term}: writes through the store fenced by it, and owning
   * nothing (the orchestrator closes what it owns once it is closed, whichever engines led meanwhile).
   */
  EngineSettings underTerm(dev.orch.api.state.LeaderElection.Term term) {
    return under(term, store.fencedBy(term));
  }

  /**
   * These settings for the engine of a standby: it reads the store and the runtime, probes and publishes endpoints,
   * and writes and calls nothing; {@code leader} says who leads, for the refusals.
   */
  EngineSettings standby(java.util.function.Supplier<String> leader) {
    return under(null, new ReadOnlyStore(store, leader));
  }

  /** Whether an engine on these settings is a standby's: an election, and no term to act under. */
  boolean passive() {
    return election != null && term == null;
  }

  private EngineSettings under(dev.orch.api.state.LeaderElection.@Nullable Term term, StateStore store) {
    return new EngineSettings(runtime, false, time, false, meterRegistry, userRegistry, ownerId, shards,
        deterministic, nodeLostGrace, terminationGrace, resyncPeriod, callTimeout, drainTimeout,
        revisionHistoryLimit, autoRollback, crashLoop, eventCapacity, seed, scheduler, prober, false, analysisChecks,
        store, false, discovery, nameDrainDelay, lastWords, observations, election, term);
  }

  /** Closes what the builder made for the engine, and the caller did not pass: prober, runtime, time, store. */
  void closeOwned() {
    if (ownsProber) {
      prober.close();
    }
    if (ownsRuntime) {
      runtime.close(); // it was discovered, so it is ours to close
    }
    if (ownsTime) {
      time.close();
    }
    if (ownsStore) {
      store.close();
    }
  }
}
