package dev.orch.core.engine;

import dev.orch.api.policy.NetworkPolicy;
import dev.orch.api.spec.Protocol;
import dev.orch.core.OrchEvent;
import dev.orch.core.engine.journal.StateJournal;
import dev.orch.core.policy.PolicyEvaluator;
import dev.orch.core.policy.PolicySubject;
import dev.orch.core.policy.Verdict;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * The network policies applied to the orchestrator: applied, listed and deleted like specs, each kept in the
 * state store before it takes effect, and checked by one {@link PolicyEvaluator} over the applied services
 * (names, labels, ports), which every enforcement point asks: the wiring of the runtime's networks
 * ({@link ServiceNetworks}), the runtime's connection filter and the load balancers' caller check
 * ({@link PolicyEnforcement}). Thread-safe: changes are serialised; checks read the current evaluator.
 */
public final class PolicyOperations {
  private final StateJournal journal;
  private final DesiredState state;
  private final ControlPlane plane;
  /** The current evaluator: replaced whole (a policy, or the services, changed), read without a lock. */
  private final java.util.concurrent.atomic.AtomicReference<PolicyEvaluator> evaluator;

  PolicyOperations(StateJournal journal, DesiredState state, ControlPlane plane, List<NetworkPolicy> kept) {
    this.journal = journal;
    this.state = state;
    this.plane = plane;
    this.evaluator = new java.util.concurrent.atomic.AtomicReference<>(PolicyEvaluator.of(kept, List.of()));
  }

  /**
   * Applies {@code policy} (see {@code Orchestrator.policies}): kept in the store first, then in effect; replaces
   * the policy of that name. Idempotent.
   *
   * @throws dev.orch.api.state.StateStoreException when the store cannot keep it; nothing changed
   */
  public void apply(NetworkPolicy policy) {
    Objects.requireNonNull(policy, "policy");
    plane.observe("policy", policy.name(), () -> applyObserved(policy));
  }

  private synchronized void applyObserved(NetworkPolicy policy) {
    plane.ensureOpen("apply policy " + policy.name());
    StandbyRequests forLeader = plane.standbyRequests();
    if (forLeader != null) {
      forLeader.applyPolicy(policy); // a standby's: kept for the leader, which applies it
      return;
    }
    Optional<NetworkPolicy> was = get(policy.name());
    if (was.isPresent() && was.get().equals(policy)) {
      return;
    }
    journal.savePolicy(policy.name(), policy);
    evaluator.updateAndGet(e -> e.withPolicy(policy));
    plane.policiesChanged();
    plane.emit(OrchEvent.Type.NORMAL, was.isPresent() ? "PolicyUpdated" : "PolicyApplied", "", "", "",
        "network policy " + policy.name() + (policy.mode() == dev.orch.api.policy.PolicyMode.AUDIT ? " (audit)" : "")
            + " applied");
  }

  /**
   * Deletes policy {@code name}, kept in the store first; returns false when there is none.
   *
   * @throws dev.orch.api.state.StateStoreException when the store cannot forget it; nothing changed
   */
  public synchronized boolean delete(String name) {
    Objects.requireNonNull(name, "name");
    plane.ensureOpen("delete policy " + name);
    StandbyRequests forLeader = plane.standbyRequests();
    if (forLeader != null) {
      boolean known = get(name).isPresent();
      forLeader.deletePolicy(name); // a standby's: kept for the leader, which deletes it
      return known;
    }
    if (get(name).isEmpty()) {
      return false;
    }
    journal.savePolicy(name, null);
    evaluator.updateAndGet(e -> e.withoutPolicy(name));
    plane.policiesChanged();
    plane.emit(OrchEvent.Type.NORMAL, "PolicyDeleted", "", "", "", "network policy " + name + " deleted");
    return true;
  }

  /** The policies applied, by name. */
  public List<NetworkPolicy> list() {
    return evaluator.get().policies();
  }

  /** Policy {@code name}, if applied. */
  public Optional<NetworkPolicy> get(String name) {
    Objects.requireNonNull(name, "name");
    return list().stream().filter(p -> p.name().equals(name)).findFirst();
  }

  /**
   * The verdict on a connection {@code from -> to:port/protocol} between services, by the policies applied and
   * the services as applied now (their labels and named ports); see {@link PolicyEvaluator#check}.
   */
  public Verdict check(String from, String to, int port, Protocol protocol) {
    Objects.requireNonNull(from, "from");
    Objects.requireNonNull(to, "to");
    Objects.requireNonNull(protocol, "protocol");
    return evaluator().check(from, to, port, protocol).withLimits(plane.trafficLimits(from, to));
  }

  /** The evaluator over the services applied now, recompiled when they changed since the last look. */
  PolicyEvaluator evaluator() {
    List<PolicySubject> subjects = new ArrayList<>();
    for (String name : state.known()) {
      state.desired(name).map(PolicySubject::of).ifPresent(subjects::add);
    }
    subjects.sort(java.util.Comparator.comparing(PolicySubject::name));
    // No lock: an enforcement point may ask under a runtime's lock, while a change holds this one over the store.
    return evaluator.updateAndGet(e -> e.services().equals(subjects) ? e : e.withServices(subjects));
  }
}
