package dev.orch.etcd;

import dev.orch.api.state.LeaderElection;
import dev.orch.api.state.NotLeaderException;
import dev.orch.api.state.StateEvent;
import dev.orch.api.state.StateRecord;
import dev.orch.api.state.StateSchema;
import dev.orch.api.state.StateStore;
import dev.orch.api.state.StateStoreException;
import dev.orch.api.state.VersionConflictException;
import dev.orch.api.runtime.Subscription;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.KV;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.Txn;
import io.etcd.jetcd.kv.GetResponse;
import io.etcd.jetcd.kv.TxnResponse;
import io.etcd.jetcd.op.Cmp;
import io.etcd.jetcd.op.CmpTarget;
import io.etcd.jetcd.op.Op;
import io.etcd.jetcd.options.DeleteOption;
import io.etcd.jetcd.options.GetOption;
import io.etcd.jetcd.options.PutOption;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;

/**
 * A {@link StateStore} on etcd, through jetcd: every key under a prefix of its owner's
 * ({@code /orch/<owner>/}), a record's version its etcd {@code mod_revision}, a compare-and-set an etcd
 * transaction comparing it, a listing one range request (one revision), and a watch an etcd watch from the
 * revision the store had when the watch was made. Several orchestrators (other JVMs, other hosts) with the same
 * owner share the records.
 *
 * <pre>{@code
 * try (EtcdStateStore store = EtcdStateStore.builder()
 *     .endpoints("http://127.0.0.1:20379", "http://127.0.0.1:21379", "http://127.0.0.1:22379")
 *     .owner("orders-platform").build()) {
 *   Orchestrator orch = Orchestrator.builder().runtime(runtime).stateStore(store).build();
 * }
 * }</pre>
 *
 * <p>A store made {@linkplain #fencedBy fenced by a leader's term} adds to every write's transaction the
 * condition that the term's election key still exists with its creation revision, so a leader whose lease expired
 * cannot write ({@link NotLeaderException}).
 *
 * <p>Failures: a call etcd does not answer within the call timeout (default 10 s) fails with
 * {@link StateStoreException}; a write that failed that way may have been made (its outcome is unknown: the
 * message says so), so read before writing again. A watch that loses its stream resumes from the revision after
 * the last change it delivered. Thread-safe; watches are called on a thread of the store's, one change at a time,
 * in version order.
 */
public final class EtcdStateStore implements StateStore {
  private final Client client;
  private final boolean ownsClient;
  private final KV kv;
  private final String root;
  private final ByteSequence rootKey;
  private final Duration callTimeout;
  private final String name;
  private final @Nullable Fence fence;
  private final EtcdWatches watches;
  private volatile boolean closed;

  private EtcdStateStore(Client client, boolean ownsClient, String root, Duration callTimeout, String name,
                         @Nullable Fence fence, EtcdWatches watches) {
    this.client = client;
    this.ownsClient = ownsClient;
    this.kv = client.getKVClient();
    this.root = root;
    this.rootKey = bytes(root);
    this.callTimeout = callTimeout;
    this.name = name;
    this.fence = fence;
    this.watches = watches;
  }

  /** Starts a store; name the endpoints (or a client) and the owner. */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * {@inheritDoc} Here every write's transaction also compares the term's election key with the creation revision
   * it had when elected: once the lease ended etcd has deleted the key (a later leadership's key has another
   * revision), and the write fails.
   *
   * @throws IllegalArgumentException when {@code term} is not an {@link EtcdLeaderElection}'s
   */
  @Override
  public EtcdStateStore fencedBy(LeaderElection.Term term) {
    Objects.requireNonNull(term, "term");
    if (!(term instanceof EtcdLeaderElection.Term t)) {
      throw new IllegalArgumentException("term: " + term + ": not of an EtcdLeaderElection, so etcd cannot judge it");
    }
    return new EtcdStateStore(client, false, root, callTimeout, name + " (fenced by " + t + ")",
        new Fence(bytes(t.key()), t.revision(), t.toString()), watches);
  }

  /** The prefix of every key of this store's, in etcd: {@code /orch/<owner>/}. */
  public String prefix() {
    return root;
  }

  /** The jetcd client this store calls through (shared with an {@link EtcdLeaderElection}). */
  public Client client() {
    return client;
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public CompletionStage<Optional<StateRecord>> get(String key) {
    StateStore.requireValidKey(key);
    return call("get " + key, () -> kv.get(bytes(root + key)).thenApply(r -> r.getKvs().isEmpty()
        ? Optional.<StateRecord>empty() : Optional.of(record(r.getKvs().get(0)))));
  }

  @Override
  public CompletionStage<List<StateRecord>> list(String prefix) {
    Objects.requireNonNull(prefix, "prefix");
    GetOption all = GetOption.builder().isPrefix(true).withSortField(GetOption.SortTarget.KEY)
        .withSortOrder(GetOption.SortOrder.ASCEND).build();
    return call("list " + (prefix.isEmpty() ? "everything" : prefix), () -> kv.get(bytes(root + prefix), all)
        .thenApply(r -> {
          List<StateRecord> out = new ArrayList<>(r.getKvs().size());
          for (KeyValue k : r.getKvs()) {
            out.add(record(k));
          }
          return out;
        }));
  }

  @Override
  public CompletionStage<StateRecord> put(String key, String value, long expectedVersion) {
    StateStore.requireValidKey(key);
    StateStore.requireValidValue(key, value);
    requireExpected(expectedVersion);
    ByteSequence k = bytes(root + key);
    ByteSequence v = bytes(value);
    return write("put " + key, k, expectedVersion, Op.put(k, v, PutOption.DEFAULT))
        .thenApply(r -> new StateRecord(key, value, r.getHeader().getRevision()));
  }

  @Override
  public CompletionStage<Boolean> delete(String key, long expectedVersion) {
    StateStore.requireValidKey(key);
    requireExpected(expectedVersion);
    ByteSequence k = bytes(root + key);
    return write("delete " + key, k, expectedVersion, Op.delete(k, DeleteOption.DEFAULT))
        .thenApply(r -> r.getDeleteResponses().get(0).getDeleted() > 0);
  }

  /**
   * One transaction: if {@code k} is at {@code expected} (and the fence holds), {@code op}; otherwise reads what
   * refused it, to fail with {@link VersionConflictException} or {@link NotLeaderException}.
   */
  private CompletionStage<TxnResponse> write(String what, ByteSequence k, long expected, Op op) {
    List<Cmp> conditions = new ArrayList<>(2);
    if (expected == ABSENT) {
      conditions.add(new Cmp(k, Cmp.Op.EQUAL, CmpTarget.version(0)));
    } else if (expected != ANY) {
      conditions.add(new Cmp(k, Cmp.Op.EQUAL, CmpTarget.modRevision(expected)));
    }
    if (fence != null) {
      conditions.add(new Cmp(fence.key, Cmp.Op.EQUAL, CmpTarget.createRevision(fence.revision)));
    }
    List<Op> otherwise = new ArrayList<>(2);
    otherwise.add(Op.get(k, GetOption.DEFAULT));
    if (fence != null) {
      otherwise.add(Op.get(fence.key, GetOption.DEFAULT));
    }
    String key = what.substring(what.indexOf(' ') + 1);
    return call(what, () -> {
      Txn txn = kv.txn().If(conditions.toArray(Cmp[]::new)).Then(op).Else(otherwise.toArray(Op[]::new));
      return txn.commit().thenApply(r -> {
        if (r.isSucceeded()) {
          return r;
        }
        List<GetResponse> seen = r.getGetResponses();
        if (fence != null && !holds(seen.get(1), fence)) {
          throw new NotLeaderException(name + ": " + what + " refused: the leadership of " + fence.term
              + " is gone (its lease expired or was revoked): nothing was written");
        }
        long actual = seen.get(0).getKvs().isEmpty() ? ABSENT : seen.get(0).getKvs().get(0).getModRevision();
        throw new VersionConflictException(key, expected, actual);
      });
    });
  }

  private static boolean holds(GetResponse fenceKey, Fence fence) {
    return !fenceKey.getKvs().isEmpty() && fenceKey.getKvs().get(0).getCreateRevision() == fence.revision;
  }

  @Override
  public Subscription watch(String prefix, Consumer<StateEvent> listener) {
    Objects.requireNonNull(prefix, "prefix");
    Objects.requireNonNull(listener, "listener");
    requireOpen("watch " + prefix);
    // From the revision after now: a change made once this returns is delivered, whenever etcd registers the watch.
    long now = join(call("watch " + prefix, () -> kv.get(rootKey, GetOption.builder().withCountOnly(true)
        .build()).thenApply(r -> r.getHeader().getRevision())));
    return watches.watch(root, prefix, now + 1, listener);
  }

  /** Reads the schema record, refusing a store newer than this version of Orch reads. */
  private void checkSchema() {
    Optional<StateRecord> schema = join(get(StateSchema.KEY));
    schema.ifPresent(r -> StateSchema.requireReadable(name, r.value()));
  }

  private <T> T join(CompletionStage<T> stage) {
    try {
      return stage.toCompletableFuture().join();
    } catch (CompletionException e) {
      throw e.getCause() instanceof RuntimeException r ? r : new StateStoreException(name + ": " + e.getMessage(), e);
    }
  }

  /**
   * Runs {@code call} with the call timeout; turns jetcd's failures into {@link StateStoreException}s that say
   * what failed (a write's outcome unknown when it did not answer).
   */
  private <T> CompletionStage<T> call(String what, Supplier<CompletableFuture<T>> call) {
    if (closed) {
      return CompletableFuture.failedFuture(new StateStoreException(name + ": " + what + ": the store is closed"));
    }
    CompletableFuture<T> out = new CompletableFuture<>();
    CompletableFuture<T> attempt;
    try {
      attempt = call.get();
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(failure(what, e));
    }
    attempt.orTimeout(callTimeout.toMillis(), TimeUnit.MILLISECONDS).whenComplete((v, e) -> {
      if (e == null) {
        out.complete(v);
      } else {
        out.completeExceptionally(failure(what, e));
      }
    });
    return out;
  }

  private StateStoreException failure(String what, Throwable e) {
    Throwable c = e instanceof CompletionException && e.getCause() != null ? e.getCause() : e;
    if (c instanceof StateStoreException s) {
      return s;
    }
    boolean write = what.startsWith("put ") || what.startsWith("delete ");
    String why = c instanceof java.util.concurrent.TimeoutException ? "etcd did not answer in "
        + callTimeout.toMillis() + "ms" : String.valueOf(c.getMessage() != null ? c.getMessage() : c);
    return new StateStoreException(name + ": " + what + " failed: " + why
        + (write ? " (its outcome is unknown: read the key before writing it again)" : ""), c);
  }

  private void requireOpen(String what) {
    if (closed) {
      throw new StateStoreException(name + ": " + what + ": the store is closed");
    }
  }

  private static void requireExpected(long expectedVersion) {
    if (expectedVersion < ANY) {
      throw new IllegalArgumentException("expectedVersion: " + expectedVersion + ": must be >= " + ANY
          + " (ANY), " + ABSENT + " (ABSENT) or a version");
    }
  }

  private StateRecord record(KeyValue k) {
    return new StateRecord(string(k.getKey()).substring(root.length()), string(k.getValue()), k.getModRevision());
  }

  static ByteSequence bytes(String s) {
    return ByteSequence.from(s, StandardCharsets.UTF_8);
  }

  static String string(ByteSequence b) {
    return b.toString(StandardCharsets.UTF_8);
  }

  /**
   * Closes the store: later calls fail, watches end; the client too when the store made it. A fenced view closes
   * only itself.
   */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    if (fence != null) {
      return;
    }
    watches.close();
    if (ownsClient) {
      client.close();
    }
  }

  @Override
  public String toString() {
    return "EtcdStateStore[" + name + "]";
  }

  /** The condition a fenced view adds to every write: the leader's election key, as it was when elected. */
  private record Fence(ByteSequence key, long revision, String term) {
  }

  /** Builds an {@link EtcdStateStore}; not thread-safe. */
  public static final class Builder {
    private final List<String> endpoints = new ArrayList<>();
    private @Nullable Client client;
    private @Nullable String owner;
    private Duration callTimeout = Duration.ofSeconds(10);

    private Builder() {
    }

    /**
     * The etcd members' client URLs ({@code http://127.0.0.1:2379}); the store makes a client over them and closes
     * it with itself.
     *
     * @throws IllegalArgumentException when none is given or one is blank
     */
    public Builder endpoints(String... urls) {
      EtcdOptions.addEndpoints(endpoints, urls);
      return this;
    }

    /** A client of the caller's, which the store uses and does not close (instead of {@link #endpoints}). */
    public Builder client(Client client) {
      this.client = Objects.requireNonNull(client, "client");
      return this;
    }

    /**
     * The owner whose records these are: keys live under {@code /orch/<owner>/}. Orchestrators that share the work
     * name the same owner (their {@code ownerId}).
     *
     * @throws IllegalArgumentException when it is not a key segment (letters, digits, {@code . _ -})
     */
    public Builder owner(String owner) {
      this.owner = EtcdOptions.owner(owner);
      return this;
    }

    /**
     * How long a call may go unanswered before it fails (default 10 s).
     *
     * @throws IllegalArgumentException when not positive
     */
    public Builder callTimeout(Duration timeout) {
      if (timeout.isNegative() || timeout.isZero()) {
        throw new IllegalArgumentException("callTimeout: " + timeout + ": must be positive");
      }
      this.callTimeout = timeout;
      return this;
    }

    /**
     * Connects and reads the schema record.
     *
     * @throws IllegalStateException                        when neither endpoints nor a client, or no owner, was given
     * @throws dev.orch.api.state.UnsupportedSchemaException when the store holds a newer schema than this Orch reads
     * @throws StateStoreException                          when etcd cannot be read
     */
    public EtcdStateStore build() {
      if (owner == null) {
        throw new IllegalStateException("owner: not set: name the owner whose records these are");
      }
      EtcdOptions.requireMembers(client, endpoints);
      boolean owns = client == null;
      Client c = EtcdOptions.connect(client, endpoints);
      String root = "/orch/" + owner + "/";
      String name = "etcd:" + (owns ? String.join(",", endpoints) : "client") + root;
      EtcdStateStore store = new EtcdStateStore(c, owns, root, callTimeout, name, null, new EtcdWatches(c, name));
      try {
        store.checkSchema();
      } catch (RuntimeException e) {
        store.close();
        throw e;
      }
      return store;
    }
  }
}
