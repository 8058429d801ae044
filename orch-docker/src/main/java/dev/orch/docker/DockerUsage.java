package dev.orch.docker;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.dockerjava.transport.DockerHttpClient;
import dev.orch.api.runtime.ContainerRuntimeException;
import dev.orch.api.runtime.ContainerUsage;
import dev.orch.api.runtime.NoSuchContainerException;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;

/**
 * A container's usage from its engine's stats, one sample without waiting for a second
 * ({@code GET /containers/{id}/stats?stream=false&one-shot=true}, API 1.41): the CPU time used
 * ({@code cpu_stats.cpu_usage.total_usage}, nanoseconds) and the working set ({@code memory_stats.usage} less the
 * inactive file cache, as {@code docker stats} shows it). Stateless and thread-safe.
 */
final class DockerUsage {
  private static final ObjectMapper JSON = new ObjectMapper();

  private DockerUsage() {
  }

  /** Reads the usage of engine {@code n}'s container {@code dockerId}, Orch's {@code containerId}. */
  static ContainerUsage read(EngineNode n, EngineNode.Clients c, String containerId, String dockerId) {
    String version = n.apiVersion();
    DockerHttpClient.Request request = DockerHttpClient.Request.builder().method(DockerHttpClient.Request.Method.GET)
        .path((version.isEmpty() ? "" : "/v" + version) + "/containers/" + dockerId
            + "/stats?stream=false&one-shot=true").build();
    try (DockerHttpClient.Response r = c.apiHttp().execute(request); InputStream body = r.getBody()) {
      if (r.getStatusCode() == 404) {
        throw new NoSuchContainerException(n.id() + ": usage of " + containerId + " failed: no such container");
      }
      if (r.getStatusCode() != 200) {
        throw new ContainerRuntimeException(n.id() + ": usage of " + containerId + " failed: engine answered HTTP "
            + r.getStatusCode() + ": " + new String(body.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8));
      }
      return parse(containerId, JSON.readTree(body), Instant.now());
    } catch (IOException e) {
      throw new UncheckedIOException(n.id() + ": usage of " + containerId + " failed", e);
    }
  }

  /** The usage in a stats answer; {@code now} when the answer says no time (a container that does not run). */
  static ContainerUsage parse(String containerId, JsonNode stats, Instant now) {
    long cpu = stats.path("cpu_stats").path("cpu_usage").path("total_usage").asLong(0);
    JsonNode memory = stats.path("memory_stats");
    long usage = memory.path("usage").asLong(0);
    JsonNode detail = memory.path("stats");
    long cache = detail.has("inactive_file") ? detail.path("inactive_file").asLong(0)
        : detail.path("total_inactive_file").asLong(0);
    Instant at = now;
    String read = stats.path("read").asText("");
    try {
      Instant stamped = read.isEmpty() ? now : Instant.parse(read);
      at = stamped.isBefore(Instant.EPOCH) ? now : stamped; // 0001-01-01: it does not run
    } catch (DateTimeParseException unreadable) {
      // keep now
    }
    return new ContainerUsage(containerId, Duration.ofNanos(Math.max(0, cpu)), Math.max(0, usage - cache), at);
  }
}
