package dev.orch.api.runtime;

import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * Decides whether a connection between two containers of a runtime goes through
 * ({@link ContainerRuntime#filterConnections}). The runtime asks; the filter decides, so that one evaluator
 * (Orch's network policy) gives every verdict and the runtime evaluates nothing itself. Called on the caller's
 * thread, perhaps under the runtime's lock: fast, thread-safe, and never blocking.
 */
@FunctionalInterface
public interface ConnectionFilter {
  /**
   * Why the connection from the container labelled {@code fromLabels} to the one labelled {@code toLabels}
   * on container port {@code port} is refused, in words naming the rule; null to let it through.
   *
   * @param fromLabels the calling container's labels (Orch's {@link OrchLabels} among them)
   * @param toLabels   the called container's labels
   * @param port       the called container's port
   * @param protocol   {@code tcp} or {@code udp}
   */
  @Nullable String refusal(Map<String, String> fromLabels, Map<String, String> toLabels, int port, String protocol);
}
