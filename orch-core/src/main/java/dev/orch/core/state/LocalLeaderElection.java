package dev.orch.core.state;

import dev.orch.api.state.LeaderElection;
import dev.orch.api.time.ScheduledTask;
import dev.orch.api.time.TimeSource;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashSet;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.jspecify.annotations.Nullable;

/**
 * Leader election among orchestrators of one JVM, on a {@link TimeSource}: as etcd's, held in memory by an
 * {@link Arena} the candidates share. Each candidate holds a key with a lease the arena ends once it went
 * {@code leaseTtl} without renewal; the live key made first leads. A candidate renews every retry period, and a
 * leader that has had no renewal reach the arena for the renew deadline is told to stop before its lease can end.
 * For tests and simulations of failover on virtual time: {@link Arena#cut} keeps a candidate's renewals from the
 * arena (a partition, or a process that stopped: it still acts until it gives up), {@link Arena#mend} lets them
 * through again.
 *
 * <pre>{@code
 * LocalLeaderElection.Arena arena = LocalLeaderElection.arena(time);
 * Orchestrator a = Orchestrator.builder().runtime(rt).timeSource(time).stateStore(store)
 *     .leaderElection(arena.candidate("a")).build();
 * }</pre>
 *
 * <p>{@link InMemoryStateStore#fencedBy} and {@link FileStateStore#fencedBy} fence writes by this election's terms:
 * a write after the arena ended the term's lease fails. Thread-safe; the listener is called on the thread that
 * advances the time source (or a timer thread of system time), one call at a time per candidate.
 */
public final class LocalLeaderElection implements LeaderElection {
  private final Arena arena;
  private final String candidate;
  /** Held while the listener is told something, so that it hears one thing at a time. */
  private final Object telling = new Object();
  private @Nullable Listener listener;
  private @Nullable ScheduledTask ticks;
  /** The key this candidate holds in the arena, 0 when none. */
  private long key;
  private Instant lastRenewed = Instant.MIN;
  private @Nullable LocalTerm leading;
  private boolean closed;

  private LocalLeaderElection(Arena arena, String candidate) {
    this.arena = arena;
    this.candidate = candidate;
  }

  /** A new arena on {@code time}, with Kubernetes' defaults: lease 15 s, renew deadline 10 s, retry period 2 s. */
  public static Arena arena(TimeSource time) {
    return new Arena(time, Duration.ofSeconds(15), Duration.ofSeconds(10), Duration.ofSeconds(2));
  }

  @Override
  public String candidate() {
    return candidate;
  }

  @Override
  public Duration leaseTtl() {
    return arena.ttl;
  }

  @Override
  public void start(Listener listener) {
    Objects.requireNonNull(listener, "listener");
    synchronized (this) {
      if (closed || this.listener != null) {
        throw new IllegalStateException("election of " + candidate + ": " + (closed ? "closed" : "started already"));
      }
      this.listener = listener;
      ticks = arena.time.schedule(Duration.ZERO, this::tick);
    }
  }

  /** One renewal (or campaign): every retry period. */
  private void tick() {
    LocalTerm elected = null;
    LocalTerm revoked = null;
    String why = null;
    synchronized (this) {
      if (closed) {
        return;
      }
      Instant now = arena.time.now();
      if (arena.reaches(candidate)) {
        long held = key;
        Optional<Instant> renewed = held == 0 ? Optional.empty() : arena.renew(held);
        if (renewed.isEmpty()) { // no key, or its lease ended: a new one, at the back of the line
          if (leading != null) {
            revoked = leading;
            why = "its lease ended";
            leading = null;
          }
          key = arena.join(candidate);
          renewed = arena.renew(key);
        }
        lastRenewed = now;
        if (leading == null && revoked == null && arena.leaderKey() == key) {
          leading = new LocalTerm(candidate, key, this);
          elected = leading;
        }
      } else if (leading != null && Duration.between(lastRenewed, now).compareTo(arena.renewDeadline) > 0) {
        revoked = leading;
        why = "no renewal of its lease reached the election for " + arena.renewDeadline.toSeconds() + " s";
        leading = null;
        key = 0; // its key ends with its lease; it joins anew once it reaches the arena again
      }
      ticks = arena.time.schedule(arena.retryPeriod, this::tick);
    }
    Listener l = listener;
    synchronized (telling) { // one call at a time, as the SPI says, whatever thread closes meanwhile
      if (revoked != null && l != null) {
        l.revoked(revoked, why);
      }
      if (elected != null && l != null) {
        l.elected(elected);
      }
    }
  }

  /** Until when this candidate counts on its lease: from its last renewal, the lease time. */
  private synchronized Instant validUntil(LocalTerm t) {
    return leading != t ? Instant.MIN : lastRenewed.plus(arena.ttl);
  }

  @Override
  public synchronized Optional<LeaderElection.Term> term() {
    LocalTerm t = leading;
    return t != null && t.isValid() ? Optional.of(t) : Optional.empty();
  }

  @Override
  public CompletionStage<Optional<String>> leader() {
    return CompletableFuture.completedFuture(arena.leader());
  }

  @Override
  public void close() {
    LocalTerm revoked;
    synchronized (this) {
      if (closed) {
        return;
      }
      closed = true;
      if (ticks != null) {
        ticks.cancel();
      }
      revoked = leading;
      leading = null;
      if (key != 0 && arena.reaches(candidate)) {
        arena.leave(key);
      }
      key = 0;
    }
    Listener l = listener;
    synchronized (telling) {
      if (revoked != null && l != null) {
        l.revoked(revoked, "the election was closed");
      }
    }
  }

  @Override
  public String toString() {
    return "LocalLeaderElection[" + candidate + "]";
  }

  /** A leadership of a {@link LocalLeaderElection}. */
  static final class LocalTerm implements LeaderElection.Term {
    private final String holder;
    private final long key;
    private final LocalLeaderElection election;

    LocalTerm(String holder, long key, LocalLeaderElection election) {
      this.holder = holder;
      this.key = key;
      this.election = election;
    }

    @Override
    public String holder() {
      return holder;
    }

    @Override
    public long token() {
      return key;
    }

    @Override
    public Duration remaining() {
      Duration d = Duration.between(election.arena.time.now(), election.validUntil(this));
      return d.isNegative() ? Duration.ZERO : d;
    }

    /**
     * The fence's judge: {@code write} if the arena still holds this term's key with its lease, else
     * {@code refused}. The arena's lock is held from the check to the end of {@code write} (a local store writes
     * before its call returns), so no other term can begin in between: a write of this term lands before the next
     * term's first, or not at all, as etcd's transaction on the lease makes it. (A file store's fsync is so made
     * under the arena's lock: the candidates' renewals wait for it.)
     */
    <T> java.util.concurrent.CompletionStage<T> whileHolding(
        java.util.function.Supplier<java.util.concurrent.CompletionStage<T>> write,
        java.util.function.Supplier<java.util.concurrent.CompletionStage<T>> refused) {
      synchronized (election.arena) {
        return election.arena.alive(key) ? write.get() : refused.get();
      }
    }

    @Override
    public String toString() {
      return holder + " (term " + key + ")";
    }
  }

  /**
   * What the candidates of one election share, as etcd would hold it: their keys in the order they were made,
   * each with its lease's end. Thread-safe.
   */
  public static final class Arena {
    private final TimeSource time;
    private final Duration ttl;
    private final Duration renewDeadline;
    private final Duration retryPeriod;
    /** Live keys, oldest first, to their candidate and their lease's end. */
    private final TreeMap<Long, Held> keys = new TreeMap<>();
    private final Set<String> cut = new LinkedHashSet<>();
    private long lastKey;

    private Arena(TimeSource time, Duration ttl, Duration renewDeadline, Duration retryPeriod) {
      this.time = time;
      this.ttl = ttl;
      this.renewDeadline = renewDeadline;
      this.retryPeriod = retryPeriod;
    }

    /**
     * This arena with other timings.
     *
     * @throws IllegalArgumentException when one is not positive, or the renew deadline plus the retry period does not
     *                                  stay below the lease TTL (a leader must give up before its lease can end)
     */
    public Arena withTimings(Duration leaseTtl, Duration renewDeadline, Duration retryPeriod) {
      for (Duration d : new Duration[] {leaseTtl, renewDeadline, retryPeriod}) {
        if (d.isNegative() || d.isZero()) {
          throw new IllegalArgumentException("timings: " + d + ": must be positive");
        }
      }
      if (renewDeadline.plus(retryPeriod).compareTo(leaseTtl) >= 0) {
        throw new IllegalArgumentException("renewDeadline: " + renewDeadline + ": plus retryPeriod " + retryPeriod
            + " must stay below leaseTtl " + leaseTtl + ", so that a leader gives up before its lease can end");
      }
      synchronized (this) {
        if (!keys.isEmpty()) {
          throw new IllegalStateException("timings: candidates campaign already");
        }
      }
      return new Arena(time, leaseTtl, renewDeadline, retryPeriod);
    }

    /** A new candidate named {@code name} (not started). */
    public LocalLeaderElection candidate(String name) {
      Objects.requireNonNull(name, "name");
      if (name.isBlank()) {
        throw new IllegalArgumentException("candidate: \"" + name + "\": must not be blank");
      }
      return new LocalLeaderElection(this, name);
    }

    /** Keeps candidate {@code name}'s renewals and campaigns from reaching the arena, until {@link #mend}. */
    public synchronized void cut(String name) {
      cut.add(name);
    }

    /** Lets candidate {@code name} reach the arena again. */
    public synchronized void mend(String name) {
      cut.remove(name);
    }

    /** Who leads, as the arena says: the candidate of the oldest live key. */
    public synchronized Optional<String> leader() {
      sweep();
      return keys.isEmpty() ? Optional.empty() : Optional.of(keys.firstEntry().getValue().candidate);
    }

    synchronized boolean reaches(String name) {
      return !cut.contains(name);
    }

    synchronized long join(String name) {
      sweep();
      long k = ++lastKey;
      keys.put(k, new Held(name, time.now().plus(ttl)));
      return k;
    }

    /** Renews key {@code k}'s lease; empty when it has ended. */
    synchronized Optional<Instant> renew(long k) {
      sweep();
      Held h = keys.get(k);
      if (h == null) {
        return Optional.empty();
      }
      h.until = time.now().plus(ttl);
      return Optional.of(h.until);
    }

    synchronized void leave(long k) {
      keys.remove(k);
    }

    synchronized long leaderKey() {
      sweep();
      return keys.isEmpty() ? 0 : keys.firstKey();
    }

    synchronized boolean alive(long k) {
      sweep();
      return keys.containsKey(k);
    }

    /** Ends the leases that went the lease time without renewal. */
    private void sweep() {
      Instant now = time.now();
      keys.values().removeIf(h -> !h.until.isAfter(now));
    }

    /** A live key: its candidate and its lease's end. */
    private static final class Held {
      final String candidate;
      Instant until;

      Held(String candidate, Instant until) {
        this.candidate = candidate;
        this.until = until;
      }
    }
  }
}
