/**
 * The control loop behind {@link dev.orch.core.Orchestrator}. Not API: public only so that the facade,
 * in another package, can reach {@link dev.orch.core.engine.ControlPlane}; it may change in any release.
 *
 * <p>{@code ControlPlane} owns the desired specs, the per-service records, the observed state, the work
 * queue's handler, event intake, the events and the conditions. Every worker ({@code ReplicaActions},
 * {@code ReplicaLifecycle}, {@code ReplicaProbes}, {@code EndpointPublisher}, {@code StatusReport}) takes
 * narrow interfaces of what it needs ({@code EngineEvents}, {@code KeyQueue}, {@code ServiceDirectory},
 * {@code RolloutEffects}), never the facade. One reconcile skeleton ({@code ReconcilePass}) runs plain and
 * sliced services with the strategy's steps plugged in. Nothing here depends on the facade (ArchUnit
 * enforces it).
 */
package dev.orch.core.engine;
