package dev.orch.inmemory;

import java.util.Objects;

/**
 * A request to a simulated container, as {@link InMemoryRuntime#call} sends it. Immutable and thread-safe.
 *
 * @param method the HTTP method, such as {@code GET}
 * @param path   the path, such as {@code /orders/42}
 * @param caller who calls: a service name, or empty for a caller outside the cluster (what a network policy
 *               judges)
 */
public record SimRequest(String method, String path, String caller) {
  /** Creates a request. */
  public SimRequest {
    Objects.requireNonNull(method, "method");
    Objects.requireNonNull(path, "path");
    Objects.requireNonNull(caller, "caller");
  }

  /** A GET of {@code path} from outside the cluster. */
  public static SimRequest get(String path) {
    return new SimRequest("GET", path, "");
  }

  /** This request, made by service {@code caller}. */
  public SimRequest from(String caller) {
    return new SimRequest(method, path, caller);
  }
}
