package dev.orch.core.engine;

import dev.orch.api.runtime.ContainerInfo;
import dev.orch.api.runtime.OrchLabels;
import dev.orch.api.runtime.PortBinding;
import dev.orch.api.runtime.Subscription;
import dev.orch.api.spec.PortSpec;
import dev.orch.api.spec.ServiceSpec;
import dev.orch.api.time.TimeSource;
import dev.orch.core.rollout.RevisionTraffic;
import dev.orch.core.lb.Endpoint;
import dev.orch.core.lb.EndpointRegistry;
import dev.orch.core.lb.EndpointSource;
import dev.orch.core.lb.Endpoints;
import dev.orch.core.lb.LoadBalancer;
import dev.orch.core.lb.Picker;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.ToIntFunction;

/**
 * The services' endpoints as Orch publishes them (each service's, and its blue/green preview's), the load
 * balancers Orch made over them (whose requests in flight it drains), and the traffic reported through
 * those balancers per revision (which analyses read). Thread-safe.
 */
final class EndpointPublisher {
  private final TimeSource time;
  private final ReplicaProbes probes;
  private final ObservedState observed;
  /** Kept across the orchestrator's engines (see {@link Shared}). */
  final EndpointRegistry registry;
  /** Requests, failures and latency per service revision, as reported through the balancers below. */
  final RevisionTraffic traffic;
  /** Requests and latency per replica, recorded only for the services in {@link #latencyServices}. */
  final RevisionTraffic replicaTraffic;
  private final java.util.Set<String> latencyServices;
  private final CopyOnWriteArrayList<LoadBalancer> balancers;
  /** Whether a replica ready in what an earlier engine published stays so until this one's probes judge it. */
  private final boolean carryReadiness;
  /** Told the service's name after each publication of its (not preview) endpoints. */
  private volatile Consumer<String> onPublished = service -> { };

  EndpointPublisher(TimeSource time, ReplicaProbes probes, ObservedState observed, Shared shared,
                    boolean carryReadiness) {
    this.carryReadiness = carryReadiness;
    this.registry = shared.registry;
    this.traffic = shared.traffic;
    this.replicaTraffic = shared.replicaTraffic;
    this.latencyServices = shared.latencyServices;
    this.balancers = shared.balancers;
    this.time = time;
    this.probes = probes;
    this.observed = observed;
  }

  /** Tells {@code listener} the service's name after each publication of its endpoints (preview ones aside). */
  void onPublished(Consumer<String> listener) {
    this.onPublished = listener;
  }

  /** The endpoint-registry key of service {@code name}'s preview endpoints. */
  static String previewKey(String name) {
    return name + "/preview";
  }

  /** A read-only view of the endpoints published under {@code key}. */
  EndpointSource source(String key) {
    return readOnly(registry.source(key));
  }

  /** {@code source} without the registry's other methods, so that a caller cannot publish through it. */
  static EndpointSource readOnly(EndpointSource source) {
    return new EndpointSource() {
      @Override
      public Endpoints current() {
        return source.current();
      }

      @Override
      public Subscription subscribe(Consumer<Endpoints> listener) {
        return source.subscribe(listener);
      }
    };
  }

  /**
   * A balancer builder over the endpoints under {@code key}, wired for service {@code service}: the
   * orchestrator's time source, its outcomes counted per revision (for analyses), and, once built, its
   * requests in flight counted for drains.
   */
  LoadBalancer.Builder balancer(String key, String service) {
    return LoadBalancer.builder(source(key)).timeSource(time).outcomeListener(traffic.listener(service))
        .outcomeListener((endpoint, success, latencyNanos) -> {
          if (latencyServices.contains(service)) {
            replicaTraffic.record(service, endpoint.id(), success, latencyNanos);
          }
        })
        .onBuild(balancers::add);
  }

  /** Records each replica's latencies for {@code service} from now on, or stops and forgets them. */
  void recordReplicaLatency(String service, boolean on) {
    if (on) {
      latencyServices.add(service);
    } else if (latencyServices.remove(service)) {
      replicaTraffic.forget(service);
    }
  }

  /** Whether replica {@code endpointId} is on service {@code service}'s endpoints or its preview endpoints. */
  boolean isPublished(String service, String endpointId) {
    return registry.endpoints(service).get(endpointId).isPresent()
        || registry.endpoints(previewKey(service)).get(endpointId).isPresent();
  }

  /** Requests in flight on endpoint {@code endpointId} over every load balancer this orchestrator made. */
  long inFlight(String endpointId) {
    long n = 0;
    for (LoadBalancer lb : balancers) {
      if (lb.isClosed()) {
        balancers.remove(lb);
      } else {
        n += lb.inFlight(endpointId);
      }
    }
    return n;
  }

  /** The ready replicas on service {@code service}'s endpoints (not its preview ones), by name. */
  List<String> readyNames(String service) {
    List<Endpoint> ready = registry.endpoints(service).ready();
    List<String> names = new ArrayList<>(ready.size());
    for (Endpoint e : ready) {
      names.add(e.id());
    }
    return names;
  }

  /** Requests reported done on endpoint {@code endpointId} over every load balancer this orchestrator made. */
  long reported(String endpointId) {
    long n = 0;
    for (LoadBalancer lb : balancers) {
      n += lb.reported(endpointId); // a closed one's count stays: the rate is taken between two readings
    }
    return n;
  }

  /** Publishes, for a rolling update, the endpoints of {@code spec}'s running replicas, each ready or not as its probes say. */
  void publish(ServiceSpec spec, List<ContainerInfo> running) {
    publish(spec.name(), spec, running, c -> spec, c -> Endpoint.DEFAULT_WEIGHT);
    registry.clear(previewKey(spec.name()));
  }

  /**
   * Publishes {@code running} under {@code key}, each replica ready or not as the probes of its revision's
   * spec say, with the weight {@code weightOf} gives it.
   */
  void publish(String key, ServiceSpec spec, List<ContainerInfo> running,
               Function<ContainerInfo, ServiceSpec> specOf, ToIntFunction<ContainerInfo> weightOf) {
    if (spec.container().ports().isEmpty()) {
      registry.clear(key);
      published(key);
      return;
    }
    List<Endpoint> out = new ArrayList<>(running.size());
    for (ContainerInfo c : running) {
      // Each replica listens where its own revision's template says (a new revision may change the port).
      ServiceSpec own = specOf.apply(c);
      PortSpec first = (own.container().ports().isEmpty() ? spec : own).container().ports().get(0);
      String address = c.name();
      int port = first.containerPort();
      for (PortBinding b : c.ports()) {
        if (b.name().equals(first.name())) {
          address = b.hostAddress();
          port = b.hostPort();
        }
      }
      boolean ready = readyToPublish(key, own, c);
      String zone = observed.node(c.nodeId()).map(n -> n.info().labels().getOrDefault("zone", "")).orElse("");
      out.add(new Endpoint(c.name(), address, port, zone, weightOf.applyAsInt(c), ready,
          Map.of(OrchLabels.SERVICE, spec.name(), OrchLabels.REVISION,
              c.labels().getOrDefault(OrchLabels.REVISION, ""), OrchLabels.CONTAINER_ID, c.id())));
    }
    out.sort(Comparator.comparing(Endpoint::id));
    registry.update(key, out);
    published(key);
  }

  /**
   * Whether running replica {@code c}, of revision spec {@code own}, is published ready under {@code key}: its
   * probes pass; or, for an engine that took over from another of this orchestrator (a failover, a standby's
   * refresh), it was ready before and its new probes have not judged it yet (else every replica would drop out at
   * once, and the balancers panic).
   */
  boolean readyToPublish(String key, ServiceSpec own, ContainerInfo c) {
    return probes.passesReadiness(own, c) || (carryReadiness && probes.unjudgedAdopted(c) && wasReady(key, c.name()));
  }

  private boolean wasReady(String key, String name) {
    return registry.endpoints(key).get(name).map(Endpoint::ready).orElse(false);
  }

  private void published(String key) {
    if (!key.endsWith("/preview")) {
      onPublished.accept(key);
    }
  }
}
