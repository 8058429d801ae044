package dev.orch.core.engine;

import dev.orch.api.runtime.Subscription;
import dev.orch.core.EventLog;
import dev.orch.core.OrchEvent;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@link EventLog} of an engine: a bounded ring of recent events and their subscribers. Thread-safe;
 * {@link #record} calls the subscribers on the recording thread.
 */
final class EventRing implements EventLog {
  private static final Logger LOG = LoggerFactory.getLogger(EventRing.class);

  private final int capacity;
  private final ArrayDeque<OrchEvent> ring;
  private final CopyOnWriteArrayList<Consumer<OrchEvent>> subscribers = new CopyOnWriteArrayList<>();
  private long recorded;

  EventRing(int capacity) {
    this.capacity = capacity;
    this.ring = new ArrayDeque<>(Math.min(capacity, 1024));
  }

  void record(OrchEvent event) {
    synchronized (this) {
      if (ring.size() == capacity) {
        ring.pollFirst();
      }
      ring.addLast(event);
      recorded++;
    }
    for (Consumer<OrchEvent> s : subscribers) {
      try {
        s.accept(event);
      } catch (RuntimeException e) {
        LOG.warn("event subscriber failed on {}", event, e);
      }
    }
  }

  /** The events still in the ring, oldest first. */
  @Override
  public synchronized List<OrchEvent> recent() {
    return List.copyOf(ring);
  }

  /** The last {@code n} events concerning {@code service}, oldest first. */
  @Override
  public synchronized List<OrchEvent> recent(String service, int n) {
    List<OrchEvent> out = new ArrayList<>();
    var it = ring.descendingIterator();
    while (it.hasNext() && out.size() < n) {
      OrchEvent e = it.next();
      if (e.service().equals(service)) {
        out.add(0, e);
      }
    }
    return out;
  }

  /** How many events were recorded since the start, dropped ones included. */
  @Override
  public synchronized long recordedCount() {
    return recorded;
  }

  /** The ring's capacity. */
  @Override
  public int capacity() {
    return capacity;
  }

  /** Calls {@code subscriber} with every event from now on, until the subscription is closed. */
  @Override
  public Subscription subscribe(Consumer<OrchEvent> subscriber) {
    subscribers.add(subscriber);
    return () -> subscribers.remove(subscriber);
  }
}
