package dev.orch.docker;

import dev.orch.api.runtime.ContainerRuntime;
import dev.orch.api.state.LeaderElection;
import dev.orch.core.Orchestrator;
import dev.orch.etcd.EtcdLeaderElection;
import dev.orch.etcd.EtcdStateStore;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletionStage;

/**
 * One orchestrator of a failover test, run as a process of its own: on the engines of {@code ORCH_DOCKER_HOSTS},
 * the etcd store and election of {@code ORCH_ETCD_ENDPOINTS}, for owner {@code args[0]} as candidate
 * {@code args[1]}, with a short lease (3 s). It prints {@code READY} once built, {@code LEADING} once it leads, and
 * runs until killed.
 */
public final class FailoverLeader {
  /** The lease of both candidates, and the renew deadline and retry period under it. */
  static final Duration TTL = Duration.ofSeconds(3);
  static final Duration RENEW_DEADLINE = Duration.ofSeconds(2);
  static final Duration RETRY_PERIOD = Duration.ofMillis(500);

  private FailoverLeader() {
  }

  /** An orchestrator of {@code owner} as {@code candidate}, on what the environment names. */
  static Orchestrator orchestrator(String owner, String candidate, ContainerRuntime runtime) {
    return orchestrator(owner, candidate, runtime, () -> { });
  }

  /** As {@link #orchestrator(String, String, ContainerRuntime)}, running {@code onElected} as each term begins. */
  static Orchestrator orchestrator(String owner, String candidate, ContainerRuntime runtime, Runnable onElected) {
    String[] endpoints = System.getenv("ORCH_ETCD_ENDPOINTS").split(",");
    EtcdStateStore store = EtcdStateStore.builder().endpoints(endpoints).owner(owner)
        .callTimeout(Duration.ofSeconds(2)).build();
    EtcdLeaderElection election = EtcdLeaderElection.builder().client(store.client()).owner(owner)
        .candidate(candidate).leaseTtl(TTL).renewDeadline(RENEW_DEADLINE).retryPeriod(RETRY_PERIOD).build();
    return Orchestrator.builder().runtime(runtime).stateStore(store).ownerId(owner)
        .leaderElection(new Noted(election, onElected)).callTimeout(Duration.ofSeconds(10))
        .terminationGrace(Duration.ofSeconds(2)).build();
  }

  /** An election that runs {@code onElected} before it tells its listener of a term. */
  private record Noted(LeaderElection election, Runnable onElected) implements LeaderElection {
    @Override
    public String candidate() {
      return election.candidate();
    }

    @Override
    public void start(Listener listener) {
      election.start(new Listener() {
        @Override
        public void elected(Term term) {
          onElected.run();
          listener.elected(term);
        }

        @Override
        public void revoked(Term term, String why) {
          listener.revoked(term, why);
        }
      });
    }

    @Override
    public Optional<? extends Term> term() {
      return election.term();
    }

    @Override
    public CompletionStage<Optional<String>> leader() {
      return election.leader();
    }

    @Override
    public Duration leaseTtl() {
      return election.leaseTtl();
    }

    @Override
    public void close() {
      election.close();
    }
  }

  /** Runs the orchestrator until the process is killed. */
  public static void main(String[] args) throws InterruptedException {
    Orchestrator orch = orchestrator(args[0], args[1], DockerTestEngines.runtime(1));
    System.out.println("READY " + orch.leadership());
    orch.started().join(); // completes once this one leads and has started
    System.out.println("LEADING");
    System.out.flush();
    Thread.currentThread().join(); // until killed
  }
}
