package dev.orch.core;

import java.util.Objects;

/**
 * A volume of a stateful service's replica, as {@link Orchestrator#volumes} lists it. Immutable and
 * thread-safe.
 *
 * @param name     the volume's name ({@code <service>-<template>-<ordinal>})
 * @param service  the service it served
 * @param template the volume template it was made from
 * @param ordinal  the ordinal whose replica mounts it
 * @param node     the node holding its data
 * @param inUse    whether the service still wants its ordinal (applied with more replicas than the ordinal);
 *                 one not in use is retained, and {@link Orchestrator#deleteVolume} may remove it
 * @param sizeBytes the bytes its files held when the runtime last said, or -1 when it has not
 */
public record ServiceVolume(String name, String service, String template, int ordinal, String node, boolean inUse,
                            long sizeBytes) {
  /** Creates one. */
  public ServiceVolume {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(service, "service");
    Objects.requireNonNull(template, "template");
    Objects.requireNonNull(node, "node");
  }

  /** {@code db-data-2 on node-1, 4096 bytes (replica 2 of db, retained)}. */
  @Override
  public String toString() {
    return name + " on " + node + (sizeBytes >= 0 ? ", " + sizeBytes + " bytes" : "") + " (replica " + ordinal + " of "
        + service + (inUse ? ")" : ", retained)");
  }
}
