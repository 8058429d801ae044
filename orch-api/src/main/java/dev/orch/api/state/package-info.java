/**
 * The state store SPI: where an orchestrator keeps what it knows (desired specs, revision history, rollout
 * positions) so that a restart, or another orchestrator, resumes from it. A store author implements
 * {@link dev.orch.api.state.StateStore} and proves it with the store conformance kit in orch-testkit.
 */
@NullMarked
package dev.orch.api.state;

import org.jspecify.annotations.NullMarked;
