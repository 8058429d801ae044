/**
 * The Docker {@link dev.orch.api.runtime.ContainerRuntime}: Orch over one or many real Docker Engines, each
 * engine a node, through docker-java's zerodep transport.
 *
 * <p>Start with {@link dev.orch.docker.DockerRuntime#builder()} and one {@link dev.orch.docker.DockerEngine}
 * per engine; or let {@link java.util.ServiceLoader} find {@link dev.orch.docker.DockerRuntimeProvider}
 * under the name {@code docker}.
 */
@NullMarked
package dev.orch.docker;

import org.jspecify.annotations.NullMarked;
