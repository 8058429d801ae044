/**
 * The state stores Orch ships: {@link dev.orch.core.state.InMemoryStateStore}, the embedded default, and
 * {@link dev.orch.core.state.FileStateStore}, for one JVM that must survive its own restart. Both implement the
 * {@link dev.orch.api.state.StateStore} SPI and are usable alone.
 */
@NullMarked
package dev.orch.core.state;

import org.jspecify.annotations.NullMarked;
