package dev.orch.core.engine;

import dev.orch.api.runtime.ContainerInfo;
import dev.orch.api.runtime.ContainerRuntime;
import dev.orch.api.runtime.PortBinding;
import dev.orch.api.spec.PortRef;
import dev.orch.api.spec.Probe;
import dev.orch.api.spec.ProbeAction;
import dev.orch.api.spec.Probes;
import dev.orch.api.spec.ServiceSpec;
import dev.orch.core.OrchEvent;
import dev.orch.core.probe.HealthProber;
import dev.orch.core.probe.ProbeHandle;
import dev.orch.core.probe.ProbeState;
import dev.orch.core.probe.ProbeTarget;
import dev.orch.core.probe.ProbeTransition;
import java.time.Instant;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The probes of every running replica: a watch per container run on the {@link HealthProber}, started when
 * the container runs and can be reached, renewed when it restarts or is published elsewhere, closed when it
 * stops. Transitions become events and re-queue the service, so the controller restarts what fails liveness
 * and publishes what is ready. Thread-safe.
 *
 * <p>A run is known by its start time and the ports it was published on. Over the network (a runtime with
 * no probe transport) a container is probed only once every port its probes use is published: a runtime
 * may choose host ports only as the container starts, and anew at each start, so the ports learnt before
 * (none, or the last run's) would send every probe to the wrong place.
 */
final class ReplicaProbes implements AutoCloseable {
  /** A watch and the run it watches: its start time and the ports it probes. */
  private record Watched(String service, ProbeHandle handle, Optional<Instant> startedAt, List<PortBinding> ports) {
  }

  private static final Logger LOG = LoggerFactory.getLogger(ReplicaProbes.class);

  private final ContainerRuntime runtime;
  private final HealthProber prober;
  private final boolean ownsProber;
  private final EngineEvents events;
  private final KeyQueue keys;
  private final ObservedState observed;
  private final ConcurrentHashMap<String, Watched> watches = new ConcurrentHashMap<>();
  /** The ids of {@link #watches} by service, so that a service's sync looks at its own watches only. */
  private final ConcurrentHashMap<String, Set<String>> watchedOf = new ConcurrentHashMap<>();
  /** Containers whose current run failed its startup or liveness probe: they must be restarted. */
  private final Set<String> failed = ConcurrentHashMap.newKeySet();
  /** A running container that cannot be probed: how many passes in a row found so, and why. */
  private record Unprobed(String service, int tries, String why) {
  }

  /** Containers running that cannot be probed (no published port yet), by id. */
  private final ConcurrentHashMap<String, Unprobed> cannotProbe = new ConcurrentHashMap<>();
  /** Passes (about a second apart) a container may go unprobeable before it is reported: its start's inspect. */
  private static final int CANNOT_PROBE_AFTER = 3;
  /** When each watched container last turned ready. */
  private final ConcurrentHashMap<String, Instant> readySince = new ConcurrentHashMap<>();

  ReplicaProbes(ContainerRuntime runtime, HealthProber prober, boolean ownsProber, EngineEvents events,
                KeyQueue keys, ObservedState observed) {
    this.observed = observed;
    this.runtime = runtime;
    this.prober = prober;
    this.ownsProber = ownsProber;
    this.events = events;
    this.keys = keys;
  }

  static boolean hasProbes(ServiceSpec spec) {
    Probes p = spec.probes();
    return p.startup().isPresent() || p.liveness().isPresent() || p.readiness().isPresent();
  }

  /**
   * Makes the watches of {@code service} match {@code running}: one per running container, probed as the
   * spec of its own revision says ({@code specOf} may return null: not probed), renewed after a restart;
   * the others closed. Runs on the service's worker.
   */
  void sync(String service, Collection<ContainerInfo> running, Function<ContainerInfo, ServiceSpec> specOf) {
    Set<String> keep = new HashSet<>();
    for (ContainerInfo c : running) {
      ServiceSpec spec = specOf.apply(c);
      if (spec != null && hasProbes(spec)) {
        keep.add(c.id());
        Watched w = watches.get(c.id());
        if (w != null && w.startedAt().equals(c.startedAt()) && w.ports().equals(c.ports())) {
          continue;
        }
        if (w != null) {
          w.handle().close();
          watches.remove(c.id());
        }
        failed.remove(c.id());
        readySince.remove(c.id());
        Optional<String> unreachable = unreachable(c, spec.probes());
        if (unreachable.isPresent()) {
          // Its ports are not published yet (or not learnt yet): the inspect after its start tells them. If
          // they stay unpublished, the runtime cannot publish them: the status and an event say so.
          String why = "cannot probe: " + unreachable.get() + " by runtime " + runtime.name() + " (published: "
              + c.ports() + ")";
          int tries = cannotProbe.merge(c.id(), new Unprobed(service, 1, why),
              (old, x) -> new Unprobed(service, old.tries() + 1, why)).tries();
          if (tries == CANNOT_PROBE_AFTER) {
            events.emit(OrchEvent.Type.WARNING, "CannotProbe", service, c.name(), c.nodeId(), why
                + "; it is never ready until it can be probed");
          }
          LOG.debug("{}: {} {} yet", service, why, c.name());
          keys.enqueueAfter(service, java.time.Duration.ofSeconds(1));
          continue;
        }
        cannotProbe.remove(c.id());
        ProbeHandle[] self = new ProbeHandle[1];
        // Transitions of a watch that was since replaced (the container restarted) are stale: dropped.
        self[0] = prober.watch(target(c), spec.probes(), t -> {
          Watched current = watches.get(c.id());
          boolean stale = self[0] != null && current != null && current.handle() != self[0];
          if (!stale) {
            onTransition(service, c, t);
          }
        });
        watches.put(c.id(), new Watched(service, self[0], c.startedAt(), c.ports()));
        watchedOf.computeIfAbsent(service, k -> ConcurrentHashMap.newKeySet()).add(c.id());
      }
    }
    cannotProbe.entrySet().removeIf(e -> e.getValue().service().equals(service) && !keep.contains(e.getKey()));
    Set<String> mine = watchedOf.getOrDefault(service, Set.of());
    for (java.util.Iterator<String> it = mine.iterator(); it.hasNext(); ) {
      String id = it.next();
      if (keep.contains(id)) {
        continue;
      }
      it.remove();
      Watched w = watches.get(id);
      if (w != null && w.service().equals(service)) {
        watches.remove(id);
        w.handle().close();
        failed.remove(id);
        readySince.remove(id);
      }
    }
    if (mine.isEmpty()) {
      watchedOf.remove(service, mine);
    }
  }

  /** Why container {@code id} is not probed, once that has lasted a few passes; empty otherwise. */
  Optional<String> cannotProbe(String id) {
    Unprobed u = cannotProbe.get(id);
    return u == null || u.tries() < CANNOT_PROBE_AFTER ? Optional.empty() : Optional.of(u.why());
  }

  /** The probe state of container {@code id}, when it is watched. */
  Optional<ProbeState> state(String id) {
    Watched w = watches.get(id);
    return w == null ? Optional.empty() : Optional.of(w.handle().state());
  }

  /** Whether {@code c} passes readiness as {@code spec}'s probes say (without probes: as soon as it is watched, or at once). */
  boolean passesReadiness(ServiceSpec spec, ContainerInfo c) {
    return state(c.id()).map(ProbeState::ready).orElse(!hasProbes(spec));
  }

  /**
   * Whether {@code c} was adopted running at start-up and its probes have not judged it yet (no readiness
   * pass, no probe failure); once they have, it counts as they say from then on.
   */
  boolean unjudgedAdopted(ContainerInfo c) {
    if (!observed.isAdoptedUnprobed(c.id())) {
      return false;
    }
    Optional<ProbeState> p = state(c.id());
    if (!c.isRunning() || p.map(ProbeState::ready).orElse(false) || p.flatMap(ProbeState::lastFailure).isPresent()) {
      observed.probed(c.id());
      return false;
    }
    return true;
  }

  /** When container {@code id} last turned ready, if it is watched and ready. */
  Optional<Instant> readySince(String id) {
    return Optional.ofNullable(readySince.get(id));
  }

  /** Whether container {@code id}'s current run failed its startup or liveness probe. */
  boolean mustRestart(String id) {
    return failed.contains(id);
  }

  /**
   * Why {@code c} cannot be probed over the network yet: an HTTP or TCP probe uses a port with no published
   * binding (by name, or by container port). Empty when it can be, or when the runtime serves probes itself.
   */
  private Optional<String> unreachable(ContainerInfo c, Probes probes) {
    if (runtime.probeTransport().isPresent()) {
      return Optional.empty();
    }
    for (Optional<Probe> probe : List.of(probes.startup(), probes.liveness(), probes.readiness())) {
      ProbeAction action = probe.map(Probe::action).orElse(null);
      PortRef port = action instanceof ProbeAction.HttpGet h ? h.port()
          : action instanceof ProbeAction.TcpSocket t ? t.port() : null;
      if (port != null && c.ports().stream().noneMatch(p -> published(p) && (port.isNamed()
          ? p.name().equals(port.name()) : p.containerPort() == port.number()))) {
        return Optional.of("port " + port + " is not published");
      }
    }
    return Optional.empty();
  }

  private static boolean published(PortBinding p) {
    return !p.hostAddress().isBlank() && p.hostPort() >= 1 && p.hostPort() <= 65535;
  }

  private ProbeTarget target(ContainerInfo c) {
    String service = c.labels().getOrDefault(dev.orch.api.runtime.OrchLabels.SERVICE, "");
    if (runtime.probeTransport().isPresent()) {
      return ProbeTarget.builder(c.id()).runtime(runtime).transport(runtime.probeTransport().get()).service(service)
          .build();
    }
    ProbeTarget.Builder b = ProbeTarget.builder(c.id()).runtime(runtime).service(service);
    for (PortBinding p : c.ports()) {
      if (published(p)) {
        b.host(p.hostAddress());
        if (!p.name().isBlank()) {
          b.port(p.name(), p.hostPort());
        }
        // A probe may name the container port by number: it goes to where that port is published too.
        if (p.containerPort() >= 1 && p.containerPort() <= 65535) {
          b.port(p.containerPort(), p.hostPort());
        }
      }
    }
    return b.build();
  }

  private void onTransition(String service, ContainerInfo c, ProbeTransition t) {
    if (t.type().requiresRestart()) {
      failed.add(c.id());
    }
    if (t.type() == ProbeTransition.Type.READY) {
      readySince.put(c.id(), t.at());
    } else if (t.type() == ProbeTransition.Type.NOT_READY) {
      readySince.remove(c.id());
    }
    switch (t.type()) {
      case LIVENESS_FAILED, STARTUP_FAILED -> events.emit(OrchEvent.Type.WARNING, "Unhealthy", service, c.name(),
          c.nodeId(), t.reason() + "; the container will be restarted");
      case NOT_READY -> events.emit(OrchEvent.Type.WARNING, "NotReady", service, c.name(), c.nodeId(), t.reason());
      case READY -> events.emit(OrchEvent.Type.NORMAL, "Ready", service, c.name(), c.nodeId(), "passes its readiness probe");
      default -> {
      }
    }
    keys.enqueue(service);
  }

  @Override
  public void close() {
    watches.values().forEach(w -> w.handle().close());
    watches.clear();
    watchedOf.clear();
    if (ownsProber) {
      prober.close();
    }
  }
}
