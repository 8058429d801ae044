package dev.orch.core.engine;

import dev.orch.api.runtime.ContainerRuntime;
import dev.orch.api.runtime.LabelSelector;
import dev.orch.api.runtime.OrchLabels;
import dev.orch.api.runtime.RuntimeEvent;
import dev.orch.api.time.ScheduledTask;
import dev.orch.core.OrchEvent;
import dev.orch.core.util.Failures;
import java.time.Duration;
import java.time.Instant;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the engine learns from the runtime: start-up (the nodes, and adoption of what carries the owner label),
 * the periodic resync, and the runtime's events (containers, nodes lost and back), each written into the
 * observed state and queueing the services it concerns. Never touches a container that lacks the owner label.
 * Thread-safe: events arrive on the runtime's threads, listings complete on any.
 */
final class RuntimeIntake {
  private static final Logger LOG = LoggerFactory.getLogger(RuntimeIntake.class);

  private final EngineSettings settings;
  private final ObservedState observed;
  private final ServiceDirectory services;
  private final KeyQueue keys;
  private final EngineEvents events;
  private final BooleanSupplier closed;
  private final CompletableFuture<Void> started = new CompletableFuture<>();
  private volatile ScheduledTask resyncTask;

  RuntimeIntake(EngineSettings settings, ObservedState observed, ServiceDirectory services, KeyQueue keys,
                EngineEvents events, BooleanSupplier closed) {
    this.settings = settings;
    this.observed = observed;
    this.services = services;
    this.keys = keys;
    this.events = events;
    this.closed = closed;
  }

  /** Completes when start-up is done. */
  CompletableFuture<Void> started() {
    return started;
  }

  /** Re-lists nodes and owned containers into the observed state; completes with {nodes, containers}. */
  private CompletionStage<int[]> relist(boolean startUp) {
    ContainerRuntime runtime = settings.runtime();
    Instant t0 = settings.time().now();
    long mark = observed.mark();
    return runtime.nodes().thenCombine(runtime.listing(LabelSelector.of(OrchLabels.OWNER, settings.ownerId())),
        (nodes, listing) -> {
          observed.setNodes(nodes, t0);
          // What a node that did not answer runs is unknown, not gone: its containers are kept as they were.
          observed.replaceAll(listing.containers(), mark, listing.unansweredNodes());
          if (startUp) {
            observed.adopted(listing.containers());
          }
          if (!listing.isComplete()) {
            LOG.info("orchestrator {}: nodes {} did not answer the listing; what they run is kept as it was known",
                settings.ownerId(), listing.unansweredNodes());
          }
          return new int[] {nodes.size(), listing.containers().size()};
        });
  }

  /** Lists the nodes and adopts what this owner owns, retrying every second; then resyncs periodically. */
  void startUp() {
    relist(true).whenComplete((counts, error) -> {
      if (error != null) {
        LOG.warn("orchestrator {}: start-up listing failed, retrying: {}", settings.ownerId(), Failures.describe(error));
        events.emit(OrchEvent.Type.WARNING, "StartupFailed", "", "", "", Failures.describe(error));
        if (!closed.getAsBoolean()) {
          settings.time().schedule(Duration.ofSeconds(1), this::startUp);
        }
        return;
      }
      LOG.info("orchestrator {} started on runtime {}: {} nodes, adopted {} containers", settings.ownerId(),
          settings.runtime().name(), counts[0], counts[1]);
      events.emit(OrchEvent.Type.NORMAL, "Started", "", "", "", counts[0] + " nodes, adopted " + counts[1]
          + " containers");
      reportOrphans(); // before started() completes: a service applied once it has cannot look orphaned
      started.complete(null);
      services.known().forEach(keys::enqueue);
      scheduleResync();
    });
  }

  /** Says which owned services nobody applied: apply them to adopt their replicas, or delete them. */
  private void reportOrphans() {
    Set<String> known = services.known();
    for (String service : observed.services()) {
      int n = observed.containersOf(service).size();
      if (n > 0 && !known.contains(service)) {
        events.emit(OrchEvent.Type.WARNING, "Orphaned", service, "", "", n + " owned containers of a service that "
            + "is not applied; apply it to adopt them, or delete it to remove them");
      }
    }
  }

  private void scheduleResync() {
    if (closed.getAsBoolean()) {
      return;
    }
    resyncTask = settings.time().schedule(settings.resyncPeriod(), () -> {
      resync();
      scheduleResync();
    });
  }

  /** Cancels the periodic resync. */
  void close() {
    ScheduledTask r = resyncTask;
    if (r != null) {
      r.cancel();
    }
  }

  /** Re-lists nodes and owned containers, then reconciles every service. */
  void resync() {
    relist(false).whenComplete((counts, error) -> {
      if (error != null) {
        events.emit(OrchEvent.Type.WARNING, "ResyncFailed", "", "", "", Failures.describe(error));
      }
      services.known().forEach(keys::enqueue);
    });
  }

  /** Takes one runtime event. */
  void onRuntimeEvent(RuntimeEvent e) {
    if (closed.getAsBoolean()) {
      return;
    }
    if (e instanceof RuntimeEvent.ContainerEvent ce) {
      if (!settings.ownerId().equals(ce.labels().get(OrchLabels.OWNER))) {
        return; // never ours: never touched
      }
      observed.apply(ce);
      String service = ce.labels().getOrDefault(OrchLabels.SERVICE, "");
      if (services.record(service).isPresent()) {
        keys.enqueue(service);
      }
    } else if (e instanceof RuntimeEvent.NodeLost lost) {
      observed.nodeLost(lost.nodeId(), lost.reason(), settings.time().now());
      events.emit(OrchEvent.Type.WARNING, "NodeLost", "", "", lost.nodeId(), lost.reason() + "; replicas move after "
          + settings.nodeLostGrace().toSeconds() + "s");
      for (String s : services.known()) {
        keys.enqueue(s);
        keys.enqueueAfter(s, settings.nodeLostGrace());
      }
    } else if (e instanceof RuntimeEvent.NodeReady ready) {
      observed.nodeReady(ready.nodeId());
      events.emit(OrchEvent.Type.NORMAL, "NodeReady", "", "", ready.nodeId(), "node is ready");
      resync(); // what the node still runs (or no longer runs) is learnt by listing
    }
  }
}
