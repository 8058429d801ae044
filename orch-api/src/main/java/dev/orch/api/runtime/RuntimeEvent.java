package dev.orch.api.runtime;

import java.time.Instant;
import java.util.Map;
import java.util.Objects;

/**
 * Something that happened in a runtime: a container's lifecycle step, or a node lost or back.
 * A runtime delivers the events of one container in the order they happened. Immutable and thread-safe.
 */
public sealed interface RuntimeEvent {
  /** When it happened, by the runtime's time source. */
  Instant time();

  /** The node it happened on. */
  String nodeId();

  /** An event about one container. */
  sealed interface ContainerEvent extends RuntimeEvent {
    /** The container's id. */
    String containerId();

    /** The container's labels. */
    Map<String, String> labels();
  }

  /**
   * A container was created.
   *
   * @param time        when
   * @param nodeId      where
   * @param containerId which
   * @param labels      its labels
   */
  record ContainerCreated(Instant time, String nodeId, String containerId, Map<String, String> labels)
      implements ContainerEvent {
    /** Creates the event, copying the labels. */
    public ContainerCreated {
      Objects.requireNonNull(time, "time");
      Objects.requireNonNull(nodeId, "nodeId");
      Objects.requireNonNull(containerId, "containerId");
      Objects.requireNonNull(labels, "labels");
      labels = Map.copyOf(labels);
    }
  }

  /**
   * A container started running.
   *
   * @param time        when
   * @param nodeId      where
   * @param containerId which
   * @param labels      its labels
   */
  record ContainerStarted(Instant time, String nodeId, String containerId, Map<String, String> labels)
      implements ContainerEvent {
    /** Creates the event, copying the labels. */
    public ContainerStarted {
      Objects.requireNonNull(time, "time");
      Objects.requireNonNull(nodeId, "nodeId");
      Objects.requireNonNull(containerId, "containerId");
      Objects.requireNonNull(labels, "labels");
      labels = Map.copyOf(labels);
    }
  }

  /**
   * A container's process ended.
   *
   * @param time        when
   * @param nodeId      where
   * @param containerId which
   * @param labels      its labels
   * @param exitCode    its exit code (137 after a kill)
   * @param oomKilled   whether it was killed for exceeding its memory limit
   */
  record ContainerExited(Instant time, String nodeId, String containerId, Map<String, String> labels,
                         int exitCode, boolean oomKilled) implements ContainerEvent {
    /** Creates the event, copying the labels. */
    public ContainerExited {
      Objects.requireNonNull(time, "time");
      Objects.requireNonNull(nodeId, "nodeId");
      Objects.requireNonNull(containerId, "containerId");
      Objects.requireNonNull(labels, "labels");
      labels = Map.copyOf(labels);
    }
  }

  /**
   * A container exceeded its memory limit and was killed; a {@link ContainerExited} with
   * {@code oomKilled} follows.
   *
   * @param time        when
   * @param nodeId      where
   * @param containerId which
   * @param labels      its labels
   */
  record ContainerOomKilled(Instant time, String nodeId, String containerId, Map<String, String> labels)
      implements ContainerEvent {
    /** Creates the event, copying the labels. */
    public ContainerOomKilled {
      Objects.requireNonNull(time, "time");
      Objects.requireNonNull(nodeId, "nodeId");
      Objects.requireNonNull(containerId, "containerId");
      Objects.requireNonNull(labels, "labels");
      labels = Map.copyOf(labels);
    }
  }

  /**
   * A container was removed.
   *
   * @param time        when
   * @param nodeId      where
   * @param containerId which
   * @param labels      its labels
   */
  record ContainerRemoved(Instant time, String nodeId, String containerId, Map<String, String> labels)
      implements ContainerEvent {
    /** Creates the event, copying the labels. */
    public ContainerRemoved {
      Objects.requireNonNull(time, "time");
      Objects.requireNonNull(nodeId, "nodeId");
      Objects.requireNonNull(containerId, "containerId");
      Objects.requireNonNull(labels, "labels");
      labels = Map.copyOf(labels);
    }
  }

  /**
   * A node stopped answering; what it runs is unknown until it is back.
   *
   * @param time   when it was noticed
   * @param nodeId which node
   * @param reason what was observed, in words
   */
  record NodeLost(Instant time, String nodeId, String reason) implements RuntimeEvent {
    /** Creates the event; every component is required. */
    public NodeLost {
      Objects.requireNonNull(time, "time");
      Objects.requireNonNull(nodeId, "nodeId");
      Objects.requireNonNull(reason, "reason");
    }
  }

  /**
   * A node answers (again).
   *
   * @param time   when
   * @param nodeId which node
   */
  record NodeReady(Instant time, String nodeId) implements RuntimeEvent {
    /** Creates the event; both components are required. */
    public NodeReady {
      Objects.requireNonNull(time, "time");
      Objects.requireNonNull(nodeId, "nodeId");
    }
  }
}
