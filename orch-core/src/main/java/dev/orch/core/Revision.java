package dev.orch.core;

import dev.orch.api.spec.ContainerSpec;
import dev.orch.api.spec.Probes;
import dev.orch.api.spec.ServiceSpec;
import dev.orch.api.spec.Stateful;
import java.time.Instant;
import java.util.List;
import java.util.Objects;

/**
 * One revision of a service: its container template, probes and (for a stateful service) volume templates,
 * identified by their hash (the {@code orch.revision} label of its replicas). Immutable and thread-safe.
 *
 * @param id        the template hash
 * @param container the container template
 * @param probes    the probes
 * @param appliedAt when it was first applied
 * @param volumes   a stateful service's volume templates; empty for a service that is not stateful
 */
public record Revision(String id, ContainerSpec container, Probes probes, Instant appliedAt,
                       List<Stateful.VolumeTemplate> volumes) {
  /** Creates a revision, copying the volume templates. */
  public Revision {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(container, "container");
    Objects.requireNonNull(probes, "probes");
    Objects.requireNonNull(appliedAt, "appliedAt");
    volumes = List.copyOf(Objects.requireNonNull(volumes, "volumes"));
  }

  /** Creates a revision without volume templates. */
  public Revision(String id, ContainerSpec container, Probes probes, Instant appliedAt) {
    this(id, container, probes, appliedAt, List.of());
  }

  /** Revision {@code id} of {@code spec}'s templates, first applied at {@code appliedAt}. */
  public static Revision of(String id, ServiceSpec spec, Instant appliedAt) {
    return new Revision(id, spec.container(), spec.probes(), appliedAt,
        spec.stateful().map(Stateful::volumes).orElse(List.of()));
  }

  /** {@code spec} with this revision's templates: container, probes and, when stateful, volume templates. */
  public ServiceSpec applyTo(ServiceSpec spec) {
    ServiceSpec.Builder b = spec.toBuilder().container(container).probes(probes);
    spec.stateful().ifPresent(m -> b.stateful(new Stateful(m.podManagement(), m.update(), volumes, m.whenDeleted(),
        m.whenScaled(), m.nodeLoss())));
    return b.build();
  }
}
