package dev.orch.etcd;

import dev.orch.api.state.LeaderElection;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.common.exception.ErrorCode;
import io.etcd.jetcd.common.exception.EtcdException;
import io.etcd.jetcd.election.LeaderKey;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Leader election among the orchestrators of one owner, on etcd: each candidate holds an etcd lease (the lease
 * TTL, default 15 s) and campaigns with it through etcd's election API; the candidate whose key is oldest leads,
 * and when its lease ends (it stopped renewing, it closed, its process died) etcd deletes its key and the next
 * candidate leads.
 *
 * <p>Fencing, so that two leaders never act at once. A candidate renews its lease every retry period (default
 * 2 s) and counts the lease as lasting from when it <em>sent</em> the last renewal that was answered, which is no
 * later than when etcd received it. A leader that has had no renewal answered for the renew deadline (default
 * 10 s) gives up before its lease can expire (the deadline plus one retry period must stay below the TTL):
 * {@link LeaderElection.Listener#revoked} tells it to stop acting. {@link Term#remaining()} is how long its lease certainly
 * lasts, the bound of any call it makes; and {@link EtcdStateStore#fencedBy} makes every store write carry the
 * term's election key as a condition, so a write after the lease ended fails ({@link dev.orch.api.state.NotLeaderException}).
 *
 * <pre>{@code
 * EtcdLeaderElection election = EtcdLeaderElection.builder().client(store.client()).owner("orders-platform")
 *     .candidate("host-a").build();
 * election.start(new LeaderElection.Listener() {
 *   public void elected(LeaderElection.Term term) { ... act, writing through store.fencedBy(term) ... }
 *   public void revoked(LeaderElection.Term term, String why) { ... stop acting ... }
 * });
 * }</pre>
 *
 * <p>Thread-safe; the listener is called on a thread of the election's, one call at a time. {@link #close}
 * resigns (the next candidate leads at once) and revokes the lease.
 */
public final class EtcdLeaderElection implements LeaderElection {
  private static final Logger LOG = LoggerFactory.getLogger(EtcdLeaderElection.class);

  private final Client client;
  private final boolean ownsClient;
  private final ByteSequence election;
  private final String owner;
  private final String candidate;
  private final Duration ttl;
  private final Duration renewDeadline;
  private final Duration retryPeriod;
  private final ScheduledExecutorService loop;
  /** The current attempt (a lease and its campaign); null before start and after close. Loop thread only. */
  private @Nullable Attempt attempt;
  private @Nullable Listener listener;
  private volatile @Nullable Term leading;
  private volatile boolean closed;

  private EtcdLeaderElection(Builder b, Client client, boolean ownsClient) {
    this.client = client;
    this.ownsClient = ownsClient;
    this.owner = Objects.requireNonNull(b.owner);
    this.election = EtcdStateStore.bytes("/orch-election/" + owner);
    this.candidate = b.candidate;
    this.ttl = b.ttl;
    this.renewDeadline = b.renewDeadline;
    this.retryPeriod = b.retryPeriod;
    this.loop = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "orch-etcd-election-" + owner);
      t.setDaemon(true);
      return t;
    });
  }

  /** Starts an election; name the endpoints (or a client) and the owner. */
  public static Builder builder() {
    return new Builder();
  }

  @Override
  public String candidate() {
    return candidate;
  }

  @Override
  public Duration leaseTtl() {
    return ttl;
  }

  /**
   * Starts campaigning: {@code listener} hears when this candidate is elected and when it must stop. Call once.
   *
   * @throws IllegalStateException when started before or closed
   */
  @Override
  public void start(Listener listener) {
    Objects.requireNonNull(listener, "listener");
    synchronized (this) {
      if (closed || this.listener != null) {
        throw new IllegalStateException("election of " + owner + " for " + candidate + ": "
            + (closed ? "closed" : "started already"));
      }
      this.listener = listener;
    }
    run(this::campaign);
  }

  @Override
  public Optional<Term> term() {
    Term t = leading;
    return t != null && t.isValid() ? Optional.of(t) : Optional.empty();
  }

  @Override
  public CompletionStage<Optional<String>> leader() {
    return client.getElectionClient().leader(election).orTimeout(retryPeriod.toMillis(), TimeUnit.MILLISECONDS)
        .handle((r, e) -> {
      if (e != null || r == null || r.getKv() == null || r.getKv().getValue().isEmpty()) {
        return Optional.<String>empty(); // "election: no leader", or etcd unreachable: no one known to lead
      }
      return Optional.of(EtcdStateStore.string(r.getKv().getValue()));
    });
  }

  // ------------------------------------------------------------------------------------------ the loop

  /** Grants a lease and campaigns with it; renews it every retry period from the grant on. Loop thread. */
  private void campaign() {
    if (closed) {
      return;
    }
    long sent = System.nanoTime();
    Attempt a = new Attempt();
    attempt = a;
    client.getLeaseClient().grant(ttl.toSeconds()).orTimeout(retryPeriod.toMillis(), TimeUnit.MILLISECONDS)
        .whenComplete((g, e) -> run(() -> {
          if (attempt != a || closed) {
            return;
          }
          if (e != null) {
            LOG.info("election of {}: {} could not get a lease ({}); it tries again in {}", owner, candidate,
                describe(e), retryPeriod);
            retry(a);
            return;
          }
          a.lease = g.getID();
          a.validUntil = sent + TimeUnit.SECONDS.toNanos(g.getTTL());
          a.lastRenewSent = sent;
          a.renewals = loop.scheduleWithFixedDelay(() -> renew(a), retryPeriod.toMillis(), retryPeriod.toMillis(),
              TimeUnit.MILLISECONDS);
          client.getElectionClient().campaign(election, a.lease, EtcdStateStore.bytes(candidate))
              .whenComplete((c, x) -> run(() -> campaigned(a, c == null ? null : c.getLeader(), x)));
        }));
  }

  private void campaigned(Attempt a, @Nullable LeaderKey key, @Nullable Throwable e) {
    if (attempt != a || closed) {
      if (key != null) {
        client.getElectionClient().resign(key); // won after giving up: hand it on
      }
      return;
    }
    if (e != null || key == null) {
      LOG.info("election of {}: {}'s campaign failed ({}); it tries again in {}", owner, candidate,
          e == null ? "no key" : describe(e), retryPeriod);
      retry(a);
      return;
    }
    // Won: but only a lease that still holds makes a leader (the key may have gone with an expired lease).
    long sent = System.nanoTime();
    client.getLeaseClient().keepAliveOnce(a.lease).orTimeout(retryPeriod.toMillis(), TimeUnit.MILLISECONDS)
        .whenComplete((r, x) -> run(() -> {
          if (attempt != a || closed) {
            client.getElectionClient().resign(key);
            return;
          }
          if (x != null || r.getTTL() <= 0) {
            LOG.info("election of {}: {} won with a lease it could not renew ({}); it tries again", owner,
                candidate, x == null ? "expired" : describe(x));
            retry(a);
            return;
          }
          a.renewed(sent, r.getTTL());
          Term t = new Term(EtcdStateStore.string(key.getKey()), key.getRevision(), candidate, a);
          a.term = t;
          a.key = key;
          leading = t;
          LOG.info("election of {}: {} leads ({})", owner, candidate, t);
          tell(l -> l.elected(t));
        }));
  }

  /** One renewal of the attempt's lease; gives up leadership once none has been answered for the renew deadline. */
  private void renew(Attempt a) {
    if (attempt != a || closed) {
      return;
    }
    long sent = System.nanoTime();
    if (sent - a.lastRenewSent > renewDeadline.toNanos()) {
      giveUp(a, "no renewal of its lease was answered for " + renewDeadline.toSeconds() + " s");
      return;
    }
    client.getLeaseClient().keepAliveOnce(a.lease).orTimeout(retryPeriod.toMillis(), TimeUnit.MILLISECONDS)
        .whenComplete((r, e) -> run(() -> {
          if (attempt != a || closed) {
            return;
          }
          if (e == null && r.getTTL() > 0) {
            a.renewed(sent, r.getTTL());
          } else if (e == null || leaseGone(e)) {
            giveUp(a, "its lease is gone (expired, or revoked)");
          } else {
            LOG.debug("election of {}: {}'s lease renewal failed: {}", owner, candidate, describe(e));
          }
        }));
  }

  /** Stops leading (or campaigning) with attempt {@code a}, and campaigns again after the retry period. */
  private void giveUp(Attempt a, String why) {
    Term t = a.term;
    if (t != null) {
      a.validUntil = 0; // no call made from now on counts on it
      leading = null;
      LOG.warn("election of {}: {} stops leading ({}): {}", owner, candidate, t, why);
      tell(l -> l.revoked(t, why));
    } else {
      LOG.info("election of {}: {} campaigns again: {}", owner, candidate, why);
    }
    retry(a);
  }

  private void retry(Attempt a) {
    end(a);
    if (!closed) {
      try {
        loop.schedule(this::campaign, retryPeriod.toMillis(), TimeUnit.MILLISECONDS);
      } catch (RejectedExecutionException closing) {
        // closed meanwhile
      }
    }
  }

  /** Ends attempt {@code a}: no more renewals; its lease revoked, best effort (it expires anyway). */
  private void end(Attempt a) {
    if (attempt == a) {
      attempt = null;
    }
    if (a.renewals != null) {
      a.renewals.cancel(false);
    }
    if (a.lease != 0) {
      client.getLeaseClient().revoke(a.lease);
    }
  }

  private void tell(java.util.function.Consumer<Listener> call) {
    Listener l = listener;
    if (l == null) {
      return;
    }
    try {
      call.accept(l);
    } catch (RuntimeException e) {
      LOG.warn("election of {}: the listener threw", owner, e);
    }
  }

  private void run(Runnable task) {
    try {
      loop.execute(task);
    } catch (RejectedExecutionException closing) {
      // closed: nothing more happens
    }
  }

  /** Whether etcd answered that the lease does not exist (it expired, or was revoked). */
  private static boolean leaseGone(Throwable e) {
    for (Throwable c = e; c != null; c = c.getCause()) {
      if (c instanceof EtcdException x && x.getErrorCode() == ErrorCode.NOT_FOUND) {
        return true;
      }
    }
    return false;
  }

  private static String describe(Throwable e) {
    Throwable c = e instanceof java.util.concurrent.CompletionException && e.getCause() != null ? e.getCause() : e;
    return c instanceof java.util.concurrent.TimeoutException ? "no answer in time" : String.valueOf(c.getMessage());
  }

  /**
   * Resigns if leading (the next candidate leads at once), revokes the lease and stops; the listener hears
   * {@link Listener#revoked} first if this candidate led. Closing twice does nothing.
   */
  @Override
  public void close() {
    synchronized (this) {
      if (closed) {
        return;
      }
      closed = true;
    }
    CompletableFuture<Void> done = new CompletableFuture<>();
    try {
      loop.execute(() -> {
        Attempt a = attempt;
        List<CompletableFuture<?>> calls = new ArrayList<>();
        if (a != null) {
          Term t = a.term;
          if (t != null) {
            a.validUntil = 0;
            leading = null;
            tell(l -> l.revoked(t, "the election was closed"));
            calls.add(client.getElectionClient().resign(a.key));
          }
          if (a.renewals != null) {
            a.renewals.cancel(false);
          }
          if (a.lease != 0) {
            calls.add(client.getLeaseClient().revoke(a.lease));
          }
          attempt = null;
        }
        CompletableFuture.allOf(calls.toArray(CompletableFuture[]::new))
            .orTimeout(retryPeriod.toMillis(), TimeUnit.MILLISECONDS).whenComplete((v, e) -> done.complete(null));
      });
      done.get(retryPeriod.toMillis() * 2, TimeUnit.MILLISECONDS);
    } catch (Exception e) {
      LOG.debug("election of {}: closing {}: {}", owner, candidate, e.toString());
    } finally {
      loop.shutdownNow();
      if (ownsClient) {
        client.close();
      }
    }
  }

  @Override
  public String toString() {
    return "EtcdLeaderElection[" + owner + " as " + candidate + "]";
  }

  /** One lease and its campaign. Loop thread, but for {@link #validUntil}, read by any thread. */
  private static final class Attempt {
    long lease;
    long lastRenewSent;
    volatile long validUntil;
    @Nullable ScheduledFuture<?> renewals;
    @Nullable Term term;
    @Nullable LeaderKey key;

    void renewed(long sent, long ttlSeconds) {
      lastRenewSent = sent;
      validUntil = Math.max(validUntil, sent + TimeUnit.SECONDS.toNanos(ttlSeconds));
    }
  }

  /**
   * One leadership: the election key etcd made for it, the key's creation revision (grows with every new
   * leadership: a fencing token), the candidate and how long its lease certainly lasts. Thread-safe.
   */
  public static final class Term implements LeaderElection.Term {
    private final String key;
    private final long revision;
    private final String holder;
    private final Attempt attempt;

    private Term(String key, long revision, String holder, Attempt attempt) {
      this.key = key;
      this.revision = revision;
      this.holder = holder;
      this.attempt = attempt;
    }

    /** The election key of this leadership, in etcd. */
    public String key() {
      return key;
    }

    /** The key's creation revision: higher for every later leadership. */
    public long revision() {
      return revision;
    }

    /** {@link #revision()}. */
    @Override
    public long token() {
      return revision;
    }

    @Override
    public String holder() {
      return holder;
    }

    /**
     * How long the lease certainly lasts from now, counted from the last renewal answered as from when it was
     * sent; zero once the leadership ended. A call the leader makes must end within it.
     */
    @Override
    public Duration remaining() {
      return Duration.ofNanos(Math.max(0, attempt.validUntil - System.nanoTime()));
    }

    @Override
    public boolean isValid() {
      return attempt.validUntil - System.nanoTime() > 0;
    }

    @Override
    public String toString() {
      return holder + " at revision " + revision;
    }
  }

  /** Builds an {@link EtcdLeaderElection}; not thread-safe. */
  public static final class Builder {
    private final List<String> endpoints = new ArrayList<>();
    private @Nullable Client client;
    private @Nullable String owner;
    private String candidate = ManagementFactory.getRuntimeMXBean().getName(); // pid@host
    private Duration ttl = Duration.ofSeconds(15);
    private Duration renewDeadline = Duration.ofSeconds(10);
    private Duration retryPeriod = Duration.ofSeconds(2);

    private Builder() {
    }

    /** The etcd members' client URLs; the election makes a client over them and closes it with itself. */
    public Builder endpoints(String... urls) {
      EtcdOptions.addEndpoints(endpoints, urls);
      return this;
    }

    /** A client of the caller's (a store's {@link EtcdStateStore#client()}), used and not closed. */
    public Builder client(Client client) {
      this.client = Objects.requireNonNull(client, "client");
      return this;
    }

    /** The owner the candidates share (the orchestrators' {@code ownerId}). */
    public Builder owner(String owner) {
      this.owner = EtcdOptions.owner(owner);
      return this;
    }

    /** This candidate's name, as {@link #leader()} reports it (default {@code pid@host}). */
    public Builder candidate(String candidate) {
      Objects.requireNonNull(candidate, "candidate");
      if (candidate.isBlank()) {
        throw new IllegalArgumentException("candidate: \"" + candidate + "\": must not be blank");
      }
      this.candidate = candidate;
      return this;
    }

    /** The lease's time to live, whole seconds (default 15 s). */
    public Builder leaseTtl(Duration ttl) {
      this.ttl = Objects.requireNonNull(ttl, "leaseTtl");
      return this;
    }

    /** How long a leader goes without an answered renewal before it gives up (default 10 s). */
    public Builder renewDeadline(Duration deadline) {
      this.renewDeadline = Objects.requireNonNull(deadline, "renewDeadline");
      return this;
    }

    /** How often the lease is renewed, and how long a failed campaign waits to try again (default 2 s). */
    public Builder retryPeriod(Duration period) {
      this.retryPeriod = Objects.requireNonNull(period, "retryPeriod");
      return this;
    }

    /**
     * Builds the election (it campaigns once {@link #start started}).
     *
     * @throws IllegalArgumentException when the lease is not whole seconds of at least 2, or the renew deadline
     *                                  plus the retry period does not stay below it, or either is not positive
     * @throws IllegalStateException    when no owner, or neither endpoints nor a client, was given
     */
    public EtcdLeaderElection build() {
      if (owner == null) {
        throw new IllegalStateException("owner: not set: name the owner the candidates share");
      }
      EtcdOptions.requireMembers(client, endpoints);
      if (ttl.toSeconds() < 2 || ttl.toNanos() % 1_000_000_000L != 0) {
        throw new IllegalArgumentException("leaseTtl: " + ttl + ": must be whole seconds, at least 2 (etcd's"
            + " leases count seconds)");
      }
      if (retryPeriod.isNegative() || retryPeriod.isZero()) {
        throw new IllegalArgumentException("retryPeriod: " + retryPeriod + ": must be positive");
      }
      if (renewDeadline.isNegative() || renewDeadline.isZero()) {
        throw new IllegalArgumentException("renewDeadline: " + renewDeadline + ": must be positive");
      }
      if (renewDeadline.plus(retryPeriod).compareTo(ttl) >= 0) {
        throw new IllegalArgumentException("renewDeadline: " + renewDeadline + ": plus retryPeriod " + retryPeriod
            + " must stay below leaseTtl " + ttl + ", so that a leader gives up before its lease can expire");
      }
      boolean owns = client == null;
      Client c = EtcdOptions.connect(client, endpoints);
      return new EtcdLeaderElection(this, c, owns);
    }
  }
}
