/**
 * The in-memory {@link dev.orch.api.runtime.ContainerRuntime}: simulated nodes, scriptable containers,
 * fault injection and virtual time, with no thread per container.
 *
 * <p>Start with {@link dev.orch.inmemory.InMemoryRuntime#builder()}; script what an image does with a
 * {@link dev.orch.inmemory.ContainerBehavior} (built-ins in {@link dev.orch.inmemory.Behaviors}); break
 * things on purpose with {@link dev.orch.inmemory.InMemoryRuntime#failNode(String)},
 * {@link dev.orch.inmemory.InMemoryRuntime#partitionNode(String)} and
 * {@link dev.orch.inmemory.InMemoryRuntime#injectFault(CallFault)}.
 */
@NullMarked
package dev.orch.inmemory;

import org.jspecify.annotations.NullMarked;
