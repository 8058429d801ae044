package dev.orch.etcd;

import dev.orch.api.state.StateEvent;
import dev.orch.api.state.StateRecord;
import dev.orch.api.runtime.Subscription;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.Watch;
import io.etcd.jetcd.common.exception.CompactedException;
import io.etcd.jetcd.options.WatchOption;
import io.etcd.jetcd.watch.WatchEvent;
import io.etcd.jetcd.watch.WatchResponse;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The watches of one {@link EtcdStateStore}: each an etcd watch on a prefix from a revision, whose changes are
 * delivered on one thread of the store's, one at a time, in revision order. A watch whose stream fails resumes
 * from the revision after the last change it delivered (after a compaction, from the oldest revision etcd still
 * has, and says so in the log). Thread-safe.
 */
final class EtcdWatches implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(EtcdWatches.class);

  private static final String NOTIFIER = "orch-etcd-watch";

  private final Client client;
  private final String name;
  private final ScheduledExecutorService notifier;
  private final List<One> open = new CopyOnWriteArrayList<>();

  EtcdWatches(Client client, String name) {
    this.client = client;
    this.name = name;
    this.notifier = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, NOTIFIER);
      t.setDaemon(true);
      return t;
    });
  }

  /** Watches keys under {@code root + prefix} from {@code revision} on, calling {@code listener} with each change. */
  Subscription watch(String root, String prefix, long revision, Consumer<StateEvent> listener) {
    One w = new One(root, prefix, listener, revision);
    open.add(w);
    w.start();
    return w::close;
  }

  /** Runs {@code task} on the notifier, unless the store is closing. */
  private void run(Runnable task) {
    try {
      notifier.execute(task);
    } catch (RejectedExecutionException closing) {
      // the store is closing: nothing more is delivered
    }
  }

  @Override
  public void close() {
    for (One w : open) {
      w.close();
    }
    notifier.shutdownNow();
  }

  /** One watch. Its fields other than the final ones are touched on the notifier's thread only. */
  private final class One {
    private final String root;
    private final String prefix;
    private final Consumer<StateEvent> listener;
    private long next;
    private volatile boolean closed;
    private volatile Watch.@Nullable Watcher watcher;

    One(String root, String prefix, Consumer<StateEvent> listener, long from) {
      this.root = root;
      this.prefix = prefix;
      this.listener = listener;
      this.next = from;
    }

    void start() {
      if (closed) {
        return;
      }
      WatchOption option = WatchOption.builder().isPrefix(true).withRevision(next).build();
      Watch.Watcher w = client.getWatchClient().watch(EtcdStateStore.bytes(root + prefix), option,
          Watch.listener(r -> run(() -> deliver(r)), e -> run(() -> failed(e))));
      watcher = w;
      if (closed) {
        w.close(); // closed while it was being made (a resume racing the close)
      }
    }

    private void deliver(WatchResponse r) {
      long from = next; // the events of one transaction share a revision: skip only what came before this response
      for (WatchEvent e : r.getEvents()) {
        KeyValue kv = e.getKeyValue();
        long revision = kv.getModRevision();
        if (closed || revision < from) {
          continue; // closed, or seen before a resume
        }
        next = Math.max(next, revision + 1);
        String key = EtcdStateStore.string(kv.getKey()).substring(root.length());
        StateEvent event = e.getEventType() == WatchEvent.EventType.DELETE ? StateEvent.delete(key, revision)
            : StateEvent.put(new StateRecord(key, EtcdStateStore.string(kv.getValue()), revision));
        try {
          listener.accept(event);
        } catch (RuntimeException x) {
          LOG.warn("{}: a watch on \"{}\" threw on {}; it keeps watching", name, prefix, event, x);
        }
      }
    }

    private void failed(Throwable e) {
      if (closed) {
        return;
      }
      Watch.Watcher w = watcher;
      if (w != null) {
        w.close();
      }
      if (e instanceof CompactedException c) {
        LOG.warn("{}: the watch on \"{}\" fell behind a compaction: changes from revision {} to {} are lost to it;"
            + " it resumes from {}", name, prefix, next, c.getCompactedRevision() - 1, c.getCompactedRevision());
        next = c.getCompactedRevision();
      } else {
        LOG.info("{}: the watch on \"{}\" lost its stream ({}); it resumes from revision {}", name, prefix,
            e.toString(), next);
      }
      try {
        notifier.schedule(this::start, 500, TimeUnit.MILLISECONDS);
      } catch (RejectedExecutionException closing) {
        // the store is closing
      }
    }

    /** Ends the watch: once this returns, no call of its listener starts (one running now has ended). */
    void close() {
      closed = true;
      open.remove(this);
      Watch.Watcher w = watcher;
      if (w != null) {
        w.close();
      }
      if (!Thread.currentThread().getName().equals(NOTIFIER)) {
        try { // a delivery under way ends before this returns: the notifier runs one task at a time
          notifier.submit(() -> { }).get(5, TimeUnit.SECONDS);
        } catch (RejectedExecutionException | java.util.concurrent.ExecutionException
                 | java.util.concurrent.TimeoutException e) {
          // closing, or a listener that does not return: nothing more starts either way
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
    }
  }
}
