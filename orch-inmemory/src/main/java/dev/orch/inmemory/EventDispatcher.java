package dev.orch.inmemory;

import dev.orch.api.runtime.RuntimeEvent;
import dev.orch.api.runtime.RuntimeListener;
import dev.orch.api.runtime.Subscription;
import dev.orch.api.time.TimeSource;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.concurrent.CopyOnWriteArrayList;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Delivers events to listeners through one ordered queue, drained by a task on the time source: events
 * arrive in the order they were published (so in order per container), never on the publishing thread,
 * and at most one drain runs at a time. Thread-safe.
 */
final class EventDispatcher {
  private static final Logger LOG = LoggerFactory.getLogger(EventDispatcher.class);

  private final TimeSource time;
  private final ArrayDeque<RuntimeEvent> queue = new ArrayDeque<>();
  private final CopyOnWriteArrayList<Registration> listeners = new CopyOnWriteArrayList<>();
  private boolean drainScheduled;
  private boolean closed;

  EventDispatcher(TimeSource time) {
    this.time = time;
  }

  void publish(RuntimeEvent event) {
    synchronized (this) {
      if (closed) {
        return;
      }
      queue.add(event);
      if (drainScheduled) {
        return;
      }
      drainScheduled = true;
    }
    time.schedule(Duration.ZERO, this::drain);
  }

  Subscription subscribe(RuntimeListener listener) {
    Registration r = new Registration(listener);
    listeners.add(r);
    return r;
  }

  void close() {
    synchronized (this) {
      closed = true;
      queue.clear();
    }
    listeners.clear();
  }

  private void drain() {
    while (true) {
      RuntimeEvent e;
      synchronized (this) {
        e = queue.poll();
        if (e == null) {
          drainScheduled = false;
          return;
        }
      }
      for (Registration r : listeners) {
        if (r.active) {
          try {
            r.listener.onEvent(e);
          } catch (RuntimeException ex) {
            LOG.warn("runtime listener {} failed on {}", r.listener, e, ex);
          }
        }
      }
    }
  }

  private final class Registration implements Subscription {
    final RuntimeListener listener;
    volatile boolean active = true;

    Registration(RuntimeListener listener) {
      this.listener = listener;
    }

    @Override
    public void close() {
      active = false;
      listeners.remove(this);
    }
  }
}
