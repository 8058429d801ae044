package dev.orch.core.state;

import dev.orch.api.runtime.Subscription;
import dev.orch.api.state.StateEvent;
import dev.orch.api.state.StateRecord;
import dev.orch.api.state.StateStore;
import dev.orch.api.state.StateStoreException;
import dev.orch.api.state.VersionConflictException;
import dev.orch.core.util.Json;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A store whose records all live in this JVM's memory, in a sorted map, with a hook that makes each write
 * durable before it is visible. Calls do their work on the caller's thread and return completed stages;
 * watches are served by one thread of the store's, in version order. Thread-safe.
 */
abstract class LocalStateStore implements StateStore {
  private static final Logger LOG = LoggerFactory.getLogger(LocalStateStore.class);

  private final String name;
  /** Guarded by this. */
  private final TreeMap<String, StateRecord> records = new TreeMap<>();
  /** The revision of the last write; guarded by this. */
  private long revision;
  /** Guarded by this. */
  private boolean closed;
  /** Why a write's outcome became unknown, after which writes are refused until the store is reopened. */
  private @Nullable String uncertain;
  private final List<Watch> watches = new CopyOnWriteArrayList<>();
  private final ExecutorService notifier;

  LocalStateStore(String name) {
    this.name = name;
    this.notifier = Executors.newSingleThreadExecutor(r -> {
      Thread t = new Thread(r, "orch-state-watch-" + name);
      t.setDaemon(true);
      return t;
    });
  }

  /** Makes {@code record} durable before it is visible; a failure leaves the store as it was. */
  abstract void persistPut(StateRecord record) throws IOException;

  /** Makes the delete of {@code key}, at revision {@code revision}, durable. */
  abstract void persistDelete(String key, long revision) throws IOException;

  /** Releases what the subclass holds (a lock on a directory); called once, by {@link #close}. */
  abstract void release();

  /** Throws, to fail a write, when the store is told to (fault injection); does nothing by default. */
  void beforeWrite(String key) {
  }

  /** Loads {@code record}, read back at start-up, before the store is used. */
  final synchronized void load(StateRecord record) {
    records.put(record.key(), record);
    revision = Math.max(revision, record.version());
  }

  /** Raises the revision counter to at least {@code atLeast}, at start-up. */
  final synchronized void raiseRevision(long atLeast) {
    revision = Math.max(revision, atLeast);
  }

  /**
   * {@inheritDoc} Here for the terms of a {@link LocalLeaderElection}: a write made once the term's arena ended its
   * lease fails.
   *
   * @throws IllegalArgumentException when {@code term} is not a {@link LocalLeaderElection}'s
   */
  @Override
  public StateStore fencedBy(dev.orch.api.state.LeaderElection.Term term) {
    return new FencedStateStore(this, java.util.Objects.requireNonNull(term, "term"));
  }

  @Override
  public final String name() {
    return name;
  }

  @Override
  public final synchronized CompletionStage<Optional<StateRecord>> get(String key) {
    StateStore.requireValidKey(key);
    if (closed) {
      return closedStage();
    }
    return CompletableFuture.completedFuture(Optional.ofNullable(records.get(key)));
  }

  @Override
  public final synchronized CompletionStage<List<StateRecord>> list(String prefix) {
    Objects.requireNonNull(prefix, "prefix");
    if (closed) {
      return closedStage();
    }
    List<StateRecord> out = new ArrayList<>();
    for (StateRecord r : records.tailMap(prefix, true).values()) {
      if (!r.key().startsWith(prefix)) {
        break;
      }
      out.add(r);
    }
    return CompletableFuture.completedFuture(List.copyOf(out));
  }

  @Override
  public final CompletionStage<StateRecord> put(String key, String value, long expectedVersion) {
    StateStore.requireValidKey(key);
    Objects.requireNonNull(value, "value");
    requireExpected(expectedVersion);
    try {
      Json.parse(value);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("value of " + key + ": " + e.getMessage(), e);
    }
    StateRecord written;
    synchronized (this) {
      if (closed) {
        return closedStage();
      }
      StateRecord current = records.get(key);
      long actual = current == null ? ABSENT : current.version();
      if (expectedVersion != ANY && expectedVersion != actual) {
        return CompletableFuture.failedFuture(new VersionConflictException(key, expectedVersion, actual));
      }
      if (uncertain != null) {
        return CompletableFuture.failedFuture(new StateStoreException(uncertain));
      }
      written = new StateRecord(key, value, revision + 1);
      try {
        beforeWrite(key);
        persistPut(written);
      } catch (IOException | RuntimeException e) {
        return CompletableFuture.failedFuture(failure("writing " + key, e));
      }
      revision = written.version();
      records.put(key, written);
      dispatch(StateEvent.put(written));
    }
    return CompletableFuture.completedFuture(written);
  }

  @Override
  public final CompletionStage<Boolean> delete(String key, long expectedVersion) {
    StateStore.requireValidKey(key);
    requireExpected(expectedVersion);
    synchronized (this) {
      if (closed) {
        return closedStage();
      }
      StateRecord current = records.get(key);
      long actual = current == null ? ABSENT : current.version();
      if (expectedVersion != ANY && expectedVersion != actual) {
        return CompletableFuture.failedFuture(new VersionConflictException(key, expectedVersion, actual));
      }
      if (current == null) {
        return CompletableFuture.completedFuture(false);
      }
      if (uncertain != null) {
        return CompletableFuture.failedFuture(new StateStoreException(uncertain));
      }
      long at = revision + 1;
      try {
        beforeWrite(key);
        persistDelete(key, at);
      } catch (IOException | RuntimeException e) {
        return CompletableFuture.failedFuture(failure("deleting " + key, e));
      }
      revision = at;
      records.remove(key);
      dispatch(StateEvent.delete(key, at));
    }
    return CompletableFuture.completedFuture(true);
  }

  @Override
  public final Subscription watch(String prefix, Consumer<StateEvent> listener) {
    Objects.requireNonNull(prefix, "prefix");
    Objects.requireNonNull(listener, "listener");
    synchronized (this) {
      if (closed) {
        throw new StateStoreException(name + " is closed");
      }
      Watch w = new Watch(prefix, listener);
      watches.add(w);
      return w;
    }
  }

  @Override
  public final void close() {
    synchronized (this) {
      if (closed) {
        return;
      }
      closed = true;
    }
    for (Watch w : watches) {
      w.close();
    }
    notifier.shutdown();
    release();
  }

  /** Whether {@link #close} was called. */
  final synchronized boolean isClosed() {
    return closed;
  }

  @Override
  public String toString() {
    synchronized (this) {
      return name + " (" + records.size() + " records, revision " + revision + (closed ? ", closed" : "") + ")";
    }
  }

  private void dispatch(StateEvent event) { // under the store's lock: the notifier's queue keeps version order
    for (Watch w : watches) {
      if (event.key().startsWith(w.prefix)) {
        notifier.execute(() -> w.deliver(event));
      }
    }
  }

  private StateStoreException failure(String what, Throwable e) { // under the store's lock
    if (e instanceof UncertainWriteException) {
      uncertain = name + " takes no more writes: " + what + " may or may not have been kept (" + e.getMessage()
          + "); reopen the store to read what the disk holds";
      return new StateStoreException(uncertain, e);
    }
    return e instanceof StateStoreException ? (StateStoreException) e
        : new StateStoreException(name + ": " + what + " failed: " + e, e);
  }

  private <T> CompletionStage<T> closedStage() {
    return CompletableFuture.failedFuture(new StateStoreException(name + " is closed"));
  }

  private static void requireExpected(long expectedVersion) {
    if (expectedVersion < ANY) {
      throw new IllegalArgumentException("expectedVersion: " + expectedVersion
          + ": must be a version (>= 1), ABSENT (0) or ANY (-1)");
    }
  }

  /** One watch: delivers one event at a time, and none once closed. */
  private final class Watch implements Subscription {
    final String prefix;
    private final Consumer<StateEvent> listener;
    private final ReentrantLock lock = new ReentrantLock();
    private boolean closed;

    Watch(String prefix, Consumer<StateEvent> listener) {
      this.prefix = prefix;
      this.listener = listener;
    }

    void deliver(StateEvent event) {
      lock.lock();
      try {
        if (closed) {
          return;
        }
        listener.accept(event);
      } catch (RuntimeException e) {
        LOG.warn("{}: a watch on \"{}\" threw on {}; it keeps watching", name, prefix, event, e);
      } finally {
        lock.unlock();
      }
    }

    @Override
    public void close() {
      lock.lock(); // waits for a delivery in progress, so that none starts after this returns
      try {
        closed = true;
      } finally {
        lock.unlock();
      }
      watches.remove(this);
    }
  }
}
