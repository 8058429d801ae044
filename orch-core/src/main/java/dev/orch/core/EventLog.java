package dev.orch.core;

import dev.orch.api.runtime.Subscription;
import java.util.List;
import java.util.function.Consumer;

/**
 * The orchestrator's recent events, in a bounded ring (the oldest are dropped), with subscribers that see
 * every event as it is recorded. Thread-safe. Subscribers are called on the recording thread and must
 * return quickly; one that throws is logged and does not stop the others.
 */
public interface EventLog {
  /** The events still in the ring, oldest first. */
  List<OrchEvent> recent();

  /** The last {@code n} events concerning {@code service}, oldest first. */
  List<OrchEvent> recent(String service, int n);

  /** How many events were recorded since the start, dropped ones included. */
  long recordedCount();

  /** The ring's capacity. */
  int capacity();

  /** Calls {@code subscriber} with every event from now on, until the subscription is closed. */
  Subscription subscribe(Consumer<OrchEvent> subscriber);
}
