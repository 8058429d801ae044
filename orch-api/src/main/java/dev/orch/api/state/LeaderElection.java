package dev.orch.api.state;

import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletionStage;

/**
 * One candidate in the election of a leader among the orchestrators of one owner: only the leader acts (calls
 * the runtime, writes what it decided). A leadership is a {@link Term} held through a lease: the candidate renews
 * it, and a leader that cannot renew is told to stop ({@link Listener#revoked}) before its lease can end, so that
 * the next leader, elected only once the lease has ended, never acts while the old one still does. A store that can
 * {@linkplain StateStore#fencedBy fence} writes by a term refuses them once the term has ended.
 *
 * <p>{@code orch-etcd}'s {@code EtcdLeaderElection} elects through etcd; {@code orch-core}'s
 * {@code LocalLeaderElection} elects among orchestrators of one JVM (tests, simulations). Implementations are
 * thread-safe and call the listener on a thread of their own, one call at a time.
 */
public interface LeaderElection extends AutoCloseable {
  /** This candidate's name, as {@link #leader()} reports it. */
  String candidate();

  /**
   * Starts campaigning; {@code listener} hears when this candidate is elected and when it must stop. Once.
   *
   * @throws IllegalStateException when started before, or closed
   */
  void start(Listener listener);

  /** This candidate's term while it leads and its lease certainly lasts; empty otherwise. */
  Optional<? extends Term> term();

  /** Who leads now (a candidate's name), as the election's store says; empty when no one does or it cannot tell. */
  CompletionStage<Optional<String>> leader();

  /** How long a lease lasts without renewal: how long a new leader may have to wait out its predecessor's. */
  Duration leaseTtl();

  /** Resigns if leading (telling the listener first), ends the lease and stops. Closing twice does nothing. */
  @Override
  void close();

  /** What a candidate hears, on the election's thread, one call at a time. */
  interface Listener {
    /** This candidate leads, for {@code term}. */
    void elected(Term term);

    /** This candidate no longer leads ({@code why}): stop acting at once. */
    void revoked(Term term, String why);
  }

  /** One leadership. Thread-safe. */
  interface Term {
    /** The candidate that leads. */
    String holder();

    /** A number higher for every later leadership of the same election (a fencing token). */
    long token();

    /**
     * How long the lease certainly lasts from now (zero once the leadership ended): every call the leader makes
     * must end within it.
     */
    Duration remaining();

    /** Whether the lease certainly lasts now. */
    default boolean isValid() {
      return !remaining().isZero();
    }
  }
}
