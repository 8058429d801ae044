package dev.orch.api.spec;

import java.util.Objects;
import java.util.Optional;

/**
 * The probes of a container, as in Kubernetes: a startup probe holds the others back until it passes;
 * liveness failures restart the container; readiness decides whether it receives traffic. Any may be
 * absent: a container with no readiness probe is ready once it runs. Immutable and thread-safe.
 *
 * @param startup   run until it first passes
 * @param liveness  a failure restarts the container
 * @param readiness decides whether the replica is an endpoint
 */
public record Probes(Optional<Probe> startup, Optional<Probe> liveness, Optional<Probe> readiness) {
  /** No probes. */
  public static final Probes NONE = new Probes(Optional.empty(), Optional.empty(), Optional.empty());

  /** Creates probes; use {@link Optional#empty()} for an absent one. */
  public Probes {
    Objects.requireNonNull(startup, "startup");
    Objects.requireNonNull(liveness, "liveness");
    Objects.requireNonNull(readiness, "readiness");
  }

  /** These probes with {@code probe} as the startup probe. */
  public Probes withStartup(Probe probe) {
    Objects.requireNonNull(probe, "probe");
    return new Probes(Optional.of(probe), liveness, readiness);
  }

  /** These probes with {@code probe} as the liveness probe. */
  public Probes withLiveness(Probe probe) {
    Objects.requireNonNull(probe, "probe");
    return new Probes(startup, Optional.of(probe), readiness);
  }

  /** These probes with {@code probe} as the readiness probe. */
  public Probes withReadiness(Probe probe) {
    Objects.requireNonNull(probe, "probe");
    return new Probes(startup, liveness, Optional.of(probe));
  }

  void validate(String path, Violations v, ContainerSpec container) {
    startup.ifPresent(p -> p.validate(path + ".startup", v, container));
    liveness.ifPresent(p -> p.validate(path + ".liveness", v, container));
    readiness.ifPresent(p -> p.validate(path + ".readiness", v, container));
  }
}
