/**
 * Orch's public API: the {@link dev.orch.core.Orchestrator} facade (built by
 * {@link dev.orch.core.OrchestratorBuilder}) and the value types it returns: service, replica and rollout
 * status, events, revisions and rollout plans.
 *
 * <p>The primitives are usable alone and live in their own packages: {@code scheduler}, {@code reconcile},
 * {@code probe} and {@code lb}. The facade delegates to {@code dev.orch.core.engine}, which is not API.
 */
@NullMarked
package dev.orch.core;

import org.jspecify.annotations.NullMarked;
