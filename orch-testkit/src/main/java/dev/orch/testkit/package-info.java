/**
 * Tests that every {@link dev.orch.api.runtime.ContainerRuntime} must pass: extend
 * {@link dev.orch.testkit.RuntimeConformanceKit} and say how to make the runtime and its test containers.
 */
@NullMarked
package dev.orch.testkit;

import org.jspecify.annotations.NullMarked;
