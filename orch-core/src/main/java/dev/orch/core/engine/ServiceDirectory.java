package dev.orch.core.engine;

import dev.orch.api.spec.ServiceSpec;
import java.util.Collection;
import java.util.Optional;
import java.util.Set;

/** Looks up the services the engine knows: their desired specs and records. Thread-safe. */
interface ServiceDirectory {
  /** The desired spec of {@code service}, if applied. */
  Optional<ServiceSpec> desired(String service);

  /** The record of {@code service}, if Orch knows it (applied, or deleted and still being removed). */
  Optional<ServiceRecord> record(String service);

  /** The names of every service applied or still being removed. */
  Set<String> known();

  /** Every record, in no order. */
  Collection<ServiceRecord> records();

  /** The record of applied service {@code service}, made if it has none. */
  ServiceRecord recordFor(String service);

  /**
   * Forgets deleted service {@code st}, whose replicas are all gone: its record (unless an apply revived it
   * meanwhile) and its key's queue memory.
   */
  void forget(ServiceRecord st);
}
