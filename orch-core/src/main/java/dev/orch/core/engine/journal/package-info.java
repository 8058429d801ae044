/**
 * Not API: the engine's journal, which writes what the control plane knows (desired specs, revision
 * history, rollout positions) to the {@link dev.orch.api.state.StateStore} before the engine acts on it, and
 * reads it back when an orchestrator starts on a store that holds state.
 */
@NullMarked
package dev.orch.core.engine.journal;

import org.jspecify.annotations.NullMarked;
