/**
 * The Scheduler: filter-and-score placement of replicas on nodes, usable with or without the Orchestrator.
 *
 * <p>The flow a control loop follows:
 * <ol>
 *   <li>{@link dev.orch.core.scheduler.ClusterSnapshot#of} the runtime's nodes;</li>
 *   <li>{@link dev.orch.core.scheduler.ClusterSnapshot#addReplica} each replica already running, with
 *       {@link dev.orch.core.scheduler.ReplicaRequest#of(dev.orch.api.spec.ServiceSpec, String)} (or the
 *       request's builder when you keep your own model);</li>
 *   <li>{@link dev.orch.core.scheduler.Scheduler#place} each missing replica (it reserves at once), or
 *       {@link dev.orch.core.scheduler.Scheduler#placeGang} a group all or nothing;</li>
 *   <li>{@link dev.orch.core.scheduler.Scheduler#release} a placement that failed to start;
 *       {@link dev.orch.core.scheduler.ClusterSnapshot#setReady} and
 *       {@link dev.orch.core.scheduler.ClusterSnapshot#removeNode} when nodes change.</li>
 * </ol>
 * A {@link dev.orch.core.scheduler.Scheduler} is immutable and thread-safe; a
 * {@link dev.orch.core.scheduler.ClusterSnapshot} has one owner.
 */
@NullMarked
package dev.orch.core.scheduler;

import org.jspecify.annotations.NullMarked;
