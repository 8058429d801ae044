package dev.orch.samples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.orch.api.spec.ContainerSpec;
import dev.orch.api.spec.ServiceSpec;
import dev.orch.api.time.VirtualTimeSource;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.sdk.trace.data.LinkData;
import io.opentelemetry.sdk.trace.data.SpanData;
import java.time.Duration;
import java.util.List;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

/**
 * The trace of one apply, as OpenTelemetry spans through Micrometer Tracing's bridge, exported in memory: the
 * apply at the root, the pass it caused under it, and the placement and both replicas' create and start calls
 * under that, in order, with their low-cardinality attributes.
 */
class TracingSampleTest {
  @Test
  void oneApplyIsOneTraceWithThePassThePlacementAndTheRuntimeCallsUnderIt() throws Exception {
    try (TracingSample sample = new TracingSample()) {
      sample.orchestrator().apply(ServiceSpec.builder("orders").replicas(2)
          .container(ContainerSpec.builder("orders:1.0").build()).build());
      assertTrue(sample.orchestrator().awaitReady("orders", Duration.ofSeconds(30)));
      try {
        Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> sample.spans().stream()
            .filter(s -> s.getName().equals("orch.runtime.call") && "start".equals(attribute(s, "operation")))
            .count() >= 2);
      } catch (org.awaitility.core.ConditionTimeoutException e) {
        throw new AssertionError("both starts did not end: " + sample.spans().stream().map(s -> s.getName() + " "
            + attribute(s, "operation") + " " + attribute(s, "call")).toList(), e);
      }

      List<SpanData> applies = sample.spans().stream().filter(s -> s.getName().equals("orch.apply")).toList();
      assertEquals(1, applies.size(), () -> "one apply: " + sample.spans());
      SpanData apply = applies.get(0);
      assertTrue(!apply.getParentSpanContext().isValid(), "the apply is the root of its trace");
      assertEquals("orders", attribute(apply, "service"));

      List<String> tree = sample.tree(apply);
      assertEquals("orch.apply", tree.get(0), tree::toString);
      assertTrue(tree.contains("  orch.reconcile"), () -> "the pass the apply caused, under it: " + tree);
      int pass = tree.indexOf("  orch.reconcile");
      int placement = tree.indexOf("    orch.placement");
      assertTrue(placement > pass, () -> "the placement under the pass: " + tree);
      assertTrue(tree.indexOf("    orch.runtime.call") > placement, () -> "placed, then created: " + tree);
      List<SpanData> calls = sample.spans().stream().filter(s -> s.getTraceId().equals(apply.getTraceId())
          && s.getName().equals("orch.runtime.call")).toList();
      List<SpanData> creates = calls.stream().filter(s -> "create".equals(attribute(s, "operation"))).toList();
      List<SpanData> starts = calls.stream().filter(s -> "start".equals(attribute(s, "operation"))).toList();
      assertEquals(2, creates.size(), () -> "both replicas' creates in the apply's trace: " + tree);
      // Both replicas' starts (a start repeated for a replica, which the runtime ignores, counts once).
      assertEquals(2, starts.stream().map(s -> attribute(s, "call")).distinct().count(),
          () -> "and both starts: " + tree);
      // Each replica is created, then started: in time order, the i-th start comes after the i-th create.
      long[] created = creates.stream().mapToLong(SpanData::getStartEpochNanos).sorted().toArray();
      long[] started = starts.stream().mapToLong(SpanData::getStartEpochNanos).sorted().limit(2).toArray();
      for (int i = 0; i < created.length; i++) {
        int k = i;
        assertTrue(created[k] <= started[k], () -> "created before started: " + tree);
      }
      for (SpanData s : sample.spans()) {
        if (s.getTraceId().equals(apply.getTraceId()) && s.getName().equals("orch.runtime.call")) {
          assertEquals("ok", attribute(s, "outcome"), s::toString);
          assertTrue(attribute(s, "node").startsWith("node-"), s::toString);
        }
      }
    }
  }

  @Test
  void aPassQueuedByTwoAppliesIsUnderTheFirstAndLinksTheSecond() {
    VirtualTimeSource time = new VirtualTimeSource();
    try (TracingSample sample = new TracingSample(time)) {
      time.runDue();
      sample.orchestrator().apply(ServiceSpec.builder("orders").replicas(1)
          .container(ContainerSpec.builder("orders:1.0").build()).build());
      sample.orchestrator().apply(ServiceSpec.builder("orders").replicas(2)
          .container(ContainerSpec.builder("orders:1.0").build()).build());
      for (int i = 0; i < 50; i++) {
        time.advance(Duration.ofMillis(100));
      }
      assertEquals(2, sample.orchestrator().status("orders").orElseThrow().running());
      List<SpanData> applies = sample.spans().stream().filter(s -> s.getName().equals("orch.apply")).toList();
      assertEquals(2, applies.size(), () -> "two applies: " + sample.spans());
      SpanData pass = sample.spans().stream().filter(s -> s.getName().equals("orch.reconcile")
          && s.getParentSpanId().equals(applies.get(0).getSpanId())).findFirst()
          .orElseThrow(() -> new AssertionError("no pass under the first apply: " + sample.spans()));
      assertEquals(List.of(applies.get(1).getSpanContext()), pass.getLinks().stream().map(LinkData::getSpanContext)
          .toList(), () -> "the pass links the second apply: " + pass);
    }
  }

  private static String attribute(SpanData s, String key) {
    String v = s.getAttributes().get(AttributeKey.stringKey(key));
    return v == null ? "" : v;
  }
}
