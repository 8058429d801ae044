package dev.orch.api.spec;

/** The transport protocol of a container port. */
public enum Protocol {
  /** TCP, the default. */
  TCP,
  /** UDP. */
  UDP
}
