package dev.orch.samples;

import static dev.orch.samples.PrometheusMetricsSample.OWNER;
import static dev.orch.samples.PrometheusMetricsSample.SERVICE;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * Scrapes the sample's endpoint as Prometheus would, over HTTP on 127.0.0.1, and reads Orch's meters from the
 * text format: they are there with their owner tag, and they move when the cluster does.
 */
class PrometheusMetricsSampleTest {
  private static final Duration WAIT = Duration.ofSeconds(30);
  private static final Map<String, String> BY_OWNER = Map.of("owner", OWNER);

  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  @Test
  void theEndpointServesOrchMetersInPrometheusTextFormatAndTheyMove() throws Exception {
    try (PrometheusMetricsSample sample = PrometheusMetricsSample.start()) {
      URI uri = sample.metricsUri();
      assertEquals("127.0.0.1", uri.getHost(), uri::toString);
      assertEquals("/metrics", uri.getPath(), uri::toString);
      assertTrue(sample.orchestrator().awaitReady(SERVICE, WAIT), () -> SERVICE + " not ready: "
          + sample.orchestrator().status(SERVICE).orElseThrow());

      HttpResponse<String> response = get(uri, "GET");
      assertEquals(200, response.statusCode());
      assertEquals("text/plain; version=0.0.4; charset=utf-8",
          response.headers().firstValue("Content-Type").orElse("none"));
      String body = response.body();
      for (String line : List.of("# HELP orch_reconcile_count_total reconcile passes",
          "# TYPE orch_reconcile_count_total counter",
          "# TYPE orch_queue_depth gauge",
          "# TYPE orch_scheduler_placements_total counter",
          "# TYPE orch_probe_results_total counter",
          "# TYPE orch_restarts_total counter")) {
        assertTrue(body.lines().anyMatch(line::equals), () -> "no line '" + line + "' in:\n" + body);
      }
      PrometheusText scraped = PrometheusText.parse(body);
      assertTrue(scraped.value("orch_reconcile_count_total", BY_OWNER) > 0, body);
      assertTrue(scraped.value("orch_reconcile_duration_seconds_count", BY_OWNER) > 0, body);
      scraped.value("orch_queue_depth", BY_OWNER); // present once, with the owner (its value may be 0 by now)
      assertTrue(scraped.value("orch_probe_results_total", Map.of("probe", "readiness", "outcome", "success")) > 0,
          body);
      assertTrue(scraped.value("orch_probe_transitions_total", Map.of("type", "ready")) >= 2, body);
      double placed = scraped.value("orch_scheduler_placements_total", Map.of());
      assertTrue(placed >= 2, body);
      double reconciled = scraped.value("orch_reconcile_count_total", BY_OWNER);
      assertEquals(0.0, scraped.value("orch_restarts_total", BY_OWNER), body);

      // A third replica: one more placement, and more reconcile passes.
      sample.orchestrator().scale(SERVICE, 3);
      await("orch_scheduler_placements_total to count the third replica").atMost(WAIT)
          .pollInterval(Duration.ofMillis(50))
          .until(() -> scrape(uri).value("orch_scheduler_placements_total", Map.of()) >= placed + 1);
      assertTrue(scrape(uri).value("orch_reconcile_count_total", BY_OWNER) > reconciled);

      // A crashed container: Orch restarts it, and the restart is counted under the owner.
      String crashed = sample.orchestrator().status(SERVICE).orElseThrow().replicas().get(0).containerId();
      assertTrue(sample.runtime().crashContainer(crashed, 1), crashed);
      await("orch_restarts_total to count the restart of " + crashed).atMost(WAIT)
          .pollInterval(Duration.ofMillis(50))
          .until(() -> scrape(uri).value("orch_restarts_total", BY_OWNER) >= 1);
    }
  }

  @Test
  void onlyGetAndHeadOfMetricsAreServed() throws Exception {
    try (PrometheusMetricsSample sample = PrometheusMetricsSample.start()) {
      URI uri = sample.metricsUri();
      assertEquals(404, get(uri.resolve("/metricsx"), "GET").statusCode());
      assertEquals(404, get(uri.resolve("/"), "GET").statusCode());
      assertEquals(405, get(uri, "POST").statusCode());
      HttpResponse<String> head = get(uri, "HEAD");
      assertEquals(200, head.statusCode());
      assertEquals("", head.body());
    }
  }

  private PrometheusText scrape(URI uri) throws IOException, InterruptedException {
    HttpResponse<String> response = get(uri, "GET");
    assertEquals(200, response.statusCode(), response::body);
    return PrometheusText.parse(response.body());
  }

  private HttpResponse<String> get(URI uri, String method) throws IOException, InterruptedException {
    HttpRequest request = HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(10))
        .method(method, HttpRequest.BodyPublishers.noBody()).build();
    return http.send(request, HttpResponse.BodyHandlers.ofString());
  }

  /** The samples of a scrape in Prometheus' text format 0.0.4: one per line that is not a comment. */
  private record PrometheusText(List<Sample> samples, String body) {
    private static final Pattern LINE = Pattern.compile("([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\\{(.*)})? (\\S+)( \\d+)?");
    private static final Pattern LABEL = Pattern.compile("([a-zA-Z_][a-zA-Z0-9_]*)=\"((?:[^\"\\\\]|\\\\.)*)\",?");

    record Sample(String name, Map<String, String> labels, double value) {
    }

    static PrometheusText parse(String body) {
      List<Sample> samples = new ArrayList<>();
      for (String line : body.lines().toList()) {
        if (line.isBlank() || line.startsWith("#")) {
          continue;
        }
        Matcher m = LINE.matcher(line);
        assertTrue(m.matches(), () -> "not a sample line of the text format: " + line);
        Map<String, String> labels = new LinkedHashMap<>();
        if (m.group(2) != null) {
          Matcher l = LABEL.matcher(m.group(2));
          int end = 0;
          while (l.lookingAt()) {
            labels.put(l.group(1), l.group(2));
            end = l.end();
            l.region(end, m.group(2).length());
          }
          int parsed = end;
          assertEquals(m.group(2).length(), parsed, () -> "bad labels in: " + line);
        }
        samples.add(new Sample(m.group(1), labels, number(m.group(3))));
      }
      return new PrometheusText(samples, body);
    }

    private static double number(String s) {
      return switch (s) {
        case "+Inf" -> Double.POSITIVE_INFINITY;
        case "-Inf" -> Double.NEGATIVE_INFINITY;
        default -> Double.parseDouble(s);
      };
    }

    /** The value of the one sample named {@code name} whose labels include {@code labels}; fails unless one. */
    double value(String name, Map<String, String> labels) {
      List<Sample> matching = samples.stream().filter(s -> s.name().equals(name)
          && s.labels().entrySet().containsAll(labels.entrySet())).toList();
      assertEquals(1, matching.size(), () -> matching.size() + " samples " + name + labels + " in:\n" + body);
      return matching.get(0).value();
    }
  }
}
