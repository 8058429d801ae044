package dev.orch.docker;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.dockerjava.transport.DockerHttpClient;
import dev.orch.api.runtime.VolumeInfo;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The sizes of volumes, from each engine's disk usage ({@code GET /system/df}, {@code Volumes[].UsageData.Size}):
 * Docker's volume list has none, and API 1.41 cannot ask the disk usage for volumes alone. A size the engine
 * does not give, or an engine whose disk usage fails or does not answer, leaves -1: sizes never fail a listing,
 * nor count against an engine's health. Stateless and thread-safe.
 */
final class VolumeSizes {
  private static final Logger log = LoggerFactory.getLogger(VolumeSizes.class);
  private static final ObjectMapper JSON = new ObjectMapper();

  private VolumeSizes() {
  }

  /** {@code volumes} with their sizes, asked of each of their engines at once. */
  static CompletionStage<List<VolumeInfo>> fill(List<VolumeInfo> volumes, Function<String, @Nullable EngineNode> nodes) {
    Map<String, CompletableFuture<Map<String, Long>>> sizes = new LinkedHashMap<>();
    for (VolumeInfo v : volumes) {
      EngineNode n = nodes.apply(v.nodeId());
      if (n != null && !sizes.containsKey(n.id())) {
        // Disk usage never throws, so that only a time-out fails the call, and a time-out of the future does
        // not reach the circuit breaker.
        sizes.put(n.id(), n.call("disk usage", false, null, null, c -> read(n, c))
            .exceptionally(e -> {
              log.debug("{}: disk usage did not answer: {}; volume sizes unknown", n.id(),
                  DockerErrors.unwrap(e).toString());
              return Map.of();
            }));
      }
    }
    return CompletableFuture.allOf(sizes.values().toArray(CompletableFuture[]::new)).thenApply(done -> {
      List<VolumeInfo> out = new ArrayList<>(volumes.size());
      for (VolumeInfo v : volumes) {
        CompletableFuture<Map<String, Long>> s = sizes.get(v.nodeId());
        long size = s == null ? -1 : s.join().getOrDefault(v.name(), -1L);
        out.add(new VolumeInfo(v.name(), v.nodeId(), v.labels(), size));
      }
      return out;
    });
  }

  /** The volume sizes engine {@code n} reports, by name; empty when it does not say. */
  static Map<String, Long> read(EngineNode n, EngineNode.Clients c) {
    String version = n.apiVersion();
    DockerHttpClient.Request request = DockerHttpClient.Request.builder().method(DockerHttpClient.Request.Method.GET)
        .path((version.isEmpty() ? "" : "/v" + version) + "/system/df").build();
    try (DockerHttpClient.Response r = c.apiHttp().execute(request); InputStream body = r.getBody()) {
      if (r.getStatusCode() != 200) {
        log.debug("{}: disk usage answered HTTP {}; volume sizes unknown", n.id(), r.getStatusCode());
        return Map.of();
      }
      return parse(JSON.readTree(body));
    } catch (Exception e) { // a failure of any kind leaves the sizes unknown
      log.debug("{}: disk usage failed: {}; volume sizes unknown", n.id(), e.toString());
      return Map.of();
    }
  }

  /** The sizes in a {@code /system/df} answer, by volume name; a size of -1 (not computed) is left out. */
  static Map<String, Long> parse(JsonNode df) {
    Map<String, Long> out = new HashMap<>();
    for (JsonNode v : df.path("Volumes")) {
      JsonNode size = v.path("UsageData").path("Size");
      if (v.path("Name").isTextual() && size.canConvertToLong() && size.asLong() >= 0) {
        out.put(v.path("Name").asText(), size.asLong());
      }
    }
    return out;
  }
}
