package dev.orch.api.runtime;

import java.util.Map;

/**
 * Makes a {@link ContainerRuntime}; found by {@link java.util.ServiceLoader} (list the implementation in
 * {@code META-INF/services/dev.orch.api.runtime.RuntimeProvider}). A runtime passed explicitly to the
 * orchestrator's builder always wins over discovery; with several providers found, the user names one.
 * Implementations are thread-safe and stateless.
 */
public interface RuntimeProvider {
  /** The runtime's name, by which a user may ask for it ({@code in-memory}, {@code docker}). */
  String name();

  /**
   * A hint for tools that list providers; the orchestrator no longer picks by it: with several providers on
   * the class path it asks the user to name one (see {@code OrchestratorBuilder.runtime}).
   */
  default int priority() {
    return 0;
  }

  /**
   * Creates a runtime.
   *
   * @param properties provider-specific settings (for example {@code docker.hosts}); may be empty
   * @throws ContainerRuntimeException when the runtime cannot be created from these settings
   */
  ContainerRuntime create(Map<String, String> properties);
}
