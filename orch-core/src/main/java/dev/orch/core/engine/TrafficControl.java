package dev.orch.core.engine;

import dev.orch.core.lb.CallerGate;
import dev.orch.core.lb.LoadBalancer;
import dev.orch.core.reconcile.ReconcileResult;
import java.time.Duration;
import java.util.List;

/**
 * Traffic between services, for the control plane: the wiring of the runtime's networks (discovery and policy,
 * {@link ServiceNetworks}) and the enforcement points that see each connection ({@link PolicyEnforcement}), both
 * judged again whenever the policies or the services change. Thread-safe as its parts are.
 */
final class TrafficControl implements AutoCloseable {
  private final EngineSettings settings;
  private final ServiceNetworks networks;
  private final PolicyEnforcement enforcement;

  TrafficControl(EngineSettings settings, RuntimeCalls calls, ObservedState observed, DesiredState state,
                 PolicyOperations policies, EndpointPublisher endpoints, KeyQueue keys, EngineEvents events,
                 Shared shared) {
    this.settings = settings;
    this.networks = new ServiceNetworks(settings, calls, observed, state, policies::evaluator, endpoints, keys,
        new ServiceNetworks.Conditions() {
          @Override
          public void set(String service, String type, boolean status, String reason, String message) {
            state.record(service).ifPresent(st -> st.setCondition(type, status, reason, message,
                settings.time().now()));
          }

          @Override
          public void clear(String service, String type) {
            state.record(service).ifPresent(st -> st.clearCondition(type));
          }
        });
    endpoints.onPublished(networks::published);
    this.enforcement = new PolicyEnforcement(settings, policies::evaluator, state::desired, events,
        shared.gated);
  }

  /** The wiring, for the replicas' lifecycle (environment, joins before start, names released before stop). */
  ServiceNetworks networks() {
    return networks;
  }

  /** Whether {@code key} is the wiring's work-queue key rather than a service's. */
  static boolean isKey(String key) {
    return key.equals(ServiceNetworks.KEY);
  }

  /** The wiring's pass. */
  ReconcileResult sync() {
    return networks.sync();
  }

  /** {@code b} with a gate of its own, which the network policies hold once a caller names itself. */
  LoadBalancer.Builder gated(LoadBalancer.Builder b) {
    CallerGate gate = new CallerGate();
    return b.gate(gate).onBuild(lb -> enforcement.track(lb, gate));
  }

  /** The policies or the services changed: the wiring and the load balancers' callers are judged again. */
  void changed() {
    networks.changed();
    enforcement.refresh();
  }

  /** What the runtime cannot do about connections {@code from -> to}, for {@code check}'s verdict. */
  List<String> limits(String from, String to) {
    return networks.limits(from, to);
  }

  /**
   * Ends the connection filter, and (on real time) waits a little for network creations in flight, so that a
   * removal of everything after the close sees the networks they make.
   */
  @Override
  public void close() {
    enforcement.close();
    if (!settings.deterministic()) { // (on virtual time nothing completes while close waits)
      Duration ten = Duration.ofSeconds(10);
      networks.awaitCreations(settings.callTimeout().compareTo(ten) < 0 ? settings.callTimeout() : ten);
    }
  }
}
