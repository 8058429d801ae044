package dev.orch.core.engine;

import dev.orch.api.runtime.ContainerRuntime;
import dev.orch.api.runtime.RuntimeCapability;
import dev.orch.api.spec.InvalidSpecException;
import dev.orch.api.spec.Probe;
import dev.orch.api.spec.ProbeAction;
import dev.orch.api.spec.ServiceSpec;
import dev.orch.api.spec.Violation;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/** Checks that a runtime can do what a spec asks of it (volumes, host ports, limits, exec probes). */
final class CapabilityCheck {
  private CapabilityCheck() {
  }

  /**
   * Refuses what {@code spec} asks of {@code runtime} that the runtime cannot do, naming each field.
   *
   * @throws InvalidSpecException listing every such field
   */
  static void require(ServiceSpec spec, ContainerRuntime runtime) {
    Set<RuntimeCapability> caps = runtime.capabilities();
    List<Violation> violations = new ArrayList<>();
    String c = spec.name() + ".container";
    String lacks = "needs the runtime capability %s, which runtime " + runtime.name() + " lacks";
    for (int i = 0; i < spec.container().volumeMounts().size() && !caps.contains(RuntimeCapability.VOLUMES); i++) {
      violations.add(new Violation(c + ".volumeMounts[" + i + "]", spec.container().volumeMounts().get(i).volume(),
          String.format(lacks, RuntimeCapability.VOLUMES)));
    }
    List<dev.orch.api.spec.Stateful.VolumeTemplate> templates = spec.stateful()
        .map(dev.orch.api.spec.Stateful::volumes).orElse(List.of());
    for (int i = 0; i < templates.size() && !caps.contains(RuntimeCapability.VOLUMES); i++) {
      violations.add(new Violation(spec.name() + ".stateful.volumes[" + i + "]", templates.get(i).name(),
          String.format(lacks, RuntimeCapability.VOLUMES)));
    }
    for (int i = 0; i < spec.container().ports().size(); i++) {
      if (spec.container().ports().get(i).hostPort() != 0 && !caps.contains(RuntimeCapability.HOST_PORTS)) {
        violations.add(new Violation(c + ".ports[" + i + "].hostPort",
            String.valueOf(spec.container().ports().get(i).hostPort()), String.format(lacks, RuntimeCapability.HOST_PORTS)));
      }
    }
    if (!spec.container().resources().limits().isZero() && !caps.contains(RuntimeCapability.RESOURCE_LIMITS)) {
      violations.add(new Violation(c + ".resources.limits", spec.container().resources().limits().toString(),
          String.format(lacks, RuntimeCapability.RESOURCE_LIMITS)));
    }
    boolean canExec = caps.contains(RuntimeCapability.EXEC) || caps.contains(RuntimeCapability.PROBE_TRANSPORT);
    Map<String, Optional<Probe>> probes = Map.of("startup", spec.probes().startup(), "liveness",
        spec.probes().liveness(), "readiness", spec.probes().readiness());
    for (var e : new java.util.TreeMap<>(probes).entrySet()) {
      if (e.getValue().isPresent() && e.getValue().get().action() instanceof ProbeAction.Exec && !canExec) {
        violations.add(new Violation(spec.name() + ".probes." + e.getKey() + ".exec",
            e.getValue().get().action().toString(), String.format(lacks, RuntimeCapability.EXEC)));
      }
    }
    if (!violations.isEmpty()) {
      throw new InvalidSpecException(violations);
    }
  }
}
