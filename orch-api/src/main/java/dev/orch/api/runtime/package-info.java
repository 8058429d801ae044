/**
 * The runtime SPI: what a runtime author implements ({@link dev.orch.api.runtime.ContainerRuntime},
 * {@link dev.orch.api.runtime.RuntimeProvider}) and the values it exchanges with Orch.
 */
package dev.orch.api.runtime;
