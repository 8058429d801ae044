package dev.orch.core;

import dev.orch.api.spec.ContainerSpec;
import dev.orch.api.spec.Probes;
import java.time.Instant;
import java.util.Objects;

/**
 * One revision of a service: its container template and probes, identified by their hash (the
 * {@code orch.revision} label of its replicas). Immutable and thread-safe.
 *
 * @param id        the template hash
 * @param container the container template
 * @param probes    the probes
 * @param appliedAt when it was first applied
 */
public record Revision(String id, ContainerSpec container, Probes probes, Instant appliedAt) {
  /** Creates a revision. */
  public Revision {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(container, "container");
    Objects.requireNonNull(probes, "probes");
    Objects.requireNonNull(appliedAt, "appliedAt");
  }
}
