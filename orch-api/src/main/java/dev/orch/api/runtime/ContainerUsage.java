package dev.orch.api.runtime;

import java.time.Duration;
import java.time.Instant;
import java.util.Objects;

/**
 * What a container uses, as its runtime last measured it ({@link ContainerRuntime#usage}): the CPU time it has
 * used since it started (a caller takes two readings and divides their difference by the time between for a rate
 * in cores) and the memory it holds now. A container that does not run uses nothing. Immutable and thread-safe.
 *
 * @param containerId the container
 * @param cpuTime     the CPU time used since it started, never decreasing during one run
 * @param memoryBytes the memory it holds now (its working set: Docker's usage less inactive file cache)
 * @param at          when the runtime measured it
 */
public record ContainerUsage(String containerId, Duration cpuTime, long memoryBytes, Instant at) {
  /** Creates a usage. */
  public ContainerUsage {
    Objects.requireNonNull(containerId, "containerId");
    Objects.requireNonNull(cpuTime, "cpuTime");
    Objects.requireNonNull(at, "at");
  }
}
