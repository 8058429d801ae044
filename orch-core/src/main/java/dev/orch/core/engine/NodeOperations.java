package dev.orch.core.engine;

import dev.orch.core.OrchEvent;
import dev.orch.core.engine.journal.StateJournal;
import java.util.List;
import java.util.Objects;

/**
 * What a person asks of nodes: cordon (no new replica is placed there; those there stay) and uncordon, each
 * kept in the state store before it takes effect. Thread-safe: one change at a time.
 */
public final class NodeOperations {
  private final StateJournal journal;
  private final ObservedState observed;
  private final DesiredState state;
  private final ControlPlane plane;

  NodeOperations(StateJournal journal, ObservedState observed, DesiredState state, ControlPlane plane) {
    this.journal = journal;
    this.observed = observed;
    this.state = state;
    this.plane = plane;
  }

  /**
   * Cordons node {@code node} ({@code on}) or uncordons it, keeping that in the state store first (see
   * {@code Orchestrator.cordon}); every service is reconciled again when it changes.
   *
   * @throws IllegalArgumentException naming the known nodes when {@code node} is not one
   */
  public synchronized void cordon(String node, boolean on) {
    Objects.requireNonNull(node, "node");
    plane.ensureOpen((on ? "cordon " : "uncordon ") + node);
    if (!observed.knowsNode(node)) {
      throw new IllegalArgumentException((on ? "cordon" : "uncordon") + ": node: \"" + node + "\": must be one of "
          + observed.nodeIds());
    }
    journal.saveCordon(node, on);
    if (observed.cordon(node, on)) {
      plane.emit(OrchEvent.Type.NORMAL, on ? "NodeCordoned" : "NodeUncordoned", "", "", node, on
          ? "no new replica is placed on " + node + "; those there stay" : node + " takes new replicas again");
      state.known().forEach(plane::enqueue);
    }
  }

  /** The cordoned nodes, sorted. */
  public List<String> cordoned() {
    return observed.cordoned();
  }
}
