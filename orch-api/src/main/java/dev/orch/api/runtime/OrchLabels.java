package dev.orch.api.runtime;

/**
 * The labels Orch puts on everything it creates, in its own {@code orch.} namespace. Orch never stops or
 * removes a container, volume or network without {@link #OWNER}; on start it adopts what carries its
 * owner id.
 */
public final class OrchLabels {
  /** The namespace prefix of every Orch label. */
  public static final String PREFIX = "orch.";
  /** The id of the orchestrator that owns the object. */
  public static final String OWNER = "orch.owner";
  /** The service a replica belongs to. */
  public static final String SERVICE = "orch.service";
  /** The revision (template hash) a replica runs. */
  public static final String REVISION = "orch.revision";
  /** The replica's ordinal within its service, {@code 0..replicas-1}. */
  public static final String ORDINAL = "orch.ordinal";
  /** On a service's endpoints (not on containers): the runtime id of the endpoint's container. */
  public static final String CONTAINER_ID = "orch.container-id";
  /** A hash of the whole spec the replica was created from. */
  public static final String SPEC_HASH = "orch.spec-hash";

  private OrchLabels() {
  }
}
