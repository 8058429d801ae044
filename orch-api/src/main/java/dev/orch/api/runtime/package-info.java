/**
 * The runtime SPI: what a runtime author implements ({@link dev.orch.api.runtime.ContainerRuntime},
 * {@link dev.orch.api.runtime.RuntimeProvider}) and the values it exchanges with Orch.
 */
@NullMarked
package dev.orch.api.runtime;

import org.jspecify.annotations.NullMarked;
