package dev.orch.core.probe;

import java.util.Locale;

/** The three probes of a container. */
enum ProbeKind {
  STARTUP, LIVENESS, READINESS;

  final String label = name().toLowerCase(Locale.ROOT);
}
