package dev.orch.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.orch.api.spec.ContainerSpec;
import dev.orch.api.spec.Resources;
import dev.orch.api.spec.ServiceSpec;
import dev.orch.api.time.VirtualTimeSource;
import dev.orch.inmemory.InMemoryRuntime;
import io.micrometer.common.KeyValue;
import io.micrometer.observation.Observation;
import io.micrometer.observation.ObservationHandler;
import io.micrometer.observation.ObservationRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Orch's observations, recorded by a handler of the test's own: one apply is one tree, the apply at its root,
 * the passes it queued under it, the placement and the runtime calls under them, each with its low-cardinality
 * key values (service, node, outcome) and Orch's events on the observation current when they happened.
 */
class TracesTest {
  /** What a stopped observation was. */
  record Seen(Observation.Context context, String name, Map<String, String> tags, List<String> events) {
  }

  private final List<Seen> seen = new CopyOnWriteArrayList<>();
  private final Map<Observation.Context, List<String>> events = new java.util.concurrent.ConcurrentHashMap<>();
  private final VirtualTimeSource time = new VirtualTimeSource();
  private final InMemoryRuntime runtime = InMemoryRuntime.builder().timeSource(time).nodes(2, Resources.of("4",
      "8Gi")).build();
  private Orchestrator orch;

  @AfterEach
  void close() {
    if (orch != null) {
      orch.close();
    }
    runtime.close();
  }

  private ObservationRegistry recording() {
    ObservationRegistry registry = ObservationRegistry.create();
    registry.observationConfig().observationHandler(new ObservationHandler<>() {
      @Override
      public boolean supportsContext(Observation.Context context) {
        return true;
      }

      @Override
      public void onEvent(Observation.Event event, Observation.Context context) {
        events.computeIfAbsent(context, c -> new CopyOnWriteArrayList<>()).add(event.getName());
      }

      @Override
      public void onStop(Observation.Context context) {
        Map<String, String> tags = new HashMap<>();
        for (KeyValue kv : context.getLowCardinalityKeyValues()) {
          tags.put(kv.getKey(), kv.getValue());
        }
        seen.add(new Seen(context, context.getName(), tags, events.getOrDefault(context, List.of())));
      }
    });
    return registry;
  }

  /** The names from {@code s} up to its root, root last. */
  private List<String> ancestry(Observation.Context s) {
    List<String> out = new ArrayList<>();
    for (Observation.ContextView c = s; c != null; c = c.getParentObservation() == null ? null
        : c.getParentObservation().getContextView()) {
      out.add(c.getName() + tagsOf(c));
    }
    return out;
  }

  private static String tagsOf(Observation.ContextView c) {
    KeyValue service = c.getLowCardinalityKeyValue("service");
    return service == null ? "" : "[" + service.getValue() + "]";
  }

  @Test
  void oneApplyIsOneTreeOfPassesPlacementsAndRuntimeCalls() {
    orch = Orchestrator.builder().runtime(runtime).timeSource(time).observationRegistry(recording()).build();
    time.runDue();
    orch.apply(ServiceSpec.builder("web").replicas(2).container(ContainerSpec.builder("web:1").build()).build());
    for (int i = 0; i < 50; i++) {
      time.advance(Duration.ofMillis(100));
    }
    assertEquals(2, orch.status("web").orElseThrow().running());

    Seen apply = seen.stream().filter(s -> s.name().equals("orch.apply")).findFirst().orElseThrow();
    assertEquals(Map.of("kind", "service", "service", "web", "outcome", "applied"), apply.tags());
    assertTrue(apply.events().contains("orch.Applied"), () -> "Orch's event on the apply: " + apply.events());

    Seen pass = seen.stream().filter(s -> s.name().equals("orch.reconcile") && "web".equals(s.tags().get("service"))
        && ancestry(s.context()).size() == 2)
        .findFirst().orElseThrow(() -> new AssertionError("no pass under the apply: " + describe()));
    assertEquals(List.of("orch.reconcile[web]", "orch.apply[web]"), ancestry(pass.context()));
    assertEquals("ok", pass.tags().get("outcome"));

    Seen placement = seen.stream().filter(s -> s.name().equals("orch.placement")).findFirst().orElseThrow();
    assertEquals(List.of("orch.placement[web]", "orch.reconcile[web]", "orch.apply[web]"),
        ancestry(placement.context()));
    assertEquals("placed", placement.tags().get("outcome"));

    List<Seen> creates = seen.stream().filter(s -> s.name().equals("orch.runtime.call")
        && "create".equals(s.tags().get("operation"))).toList();
    assertEquals(2, creates.size(), this::describe);
    for (Seen c : creates) {
      List<String> up = ancestry(c.context());
      assertEquals("orch.apply[web]", up.get(up.size() - 1), () -> "a create of the apply's trace: " + up);
      assertEquals("ok", c.tags().get("outcome"));
      assertTrue(c.tags().get("node").startsWith("node-"), c.tags()::toString);
    }
    assertTrue(seen.stream().anyMatch(s -> s.name().equals("orch.runtime.call")
        && "start".equals(s.tags().get("operation"))
        && ancestry(s.context()).get(ancestry(s.context()).size() - 1).equals("orch.apply[web]")),
        () -> "the starts too: " + describe());
  }

  @Test
  void aPassQueuedByTwoAppliesIsAChildOfTheFirstAndLinksTheSecond() {
    orch = Orchestrator.builder().runtime(runtime).timeSource(time).observationRegistry(recording()).build();
    time.runDue();
    orch.apply(ServiceSpec.builder("web").replicas(1).container(ContainerSpec.builder("web:1").build()).build());
    orch.apply(ServiceSpec.builder("web").replicas(2).container(ContainerSpec.builder("web:1").build()).build());
    for (int i = 0; i < 50; i++) {
      time.advance(Duration.ofMillis(100));
    }
    List<Seen> applies = seen.stream().filter(s -> s.name().equals(OrchObservations.APPLY)).toList();
    assertEquals(2, applies.size(), this::describe);
    Seen pass = seen.stream().filter(s -> s.name().equals(OrchObservations.PASS)
        && s.context().getParentObservation() != null
        && s.context().getParentObservation().getContextView() == applies.get(0).context())
        .findFirst().orElseThrow(() -> new AssertionError("no pass under the first apply: " + describe()));
    assertEquals(List.of(applies.get(1).context()), OrchObservations.linkedCauses(pass.context()),
        "the second apply is linked, not a second parent");
    assertEquals("2", pass.context().getHighCardinalityKeyValue("orch.causes").getValue());
    assertEquals(List.of(), OrchObservations.linkedCauses(applies.get(0).context()), "only passes link");
    assertEquals(2, orch.status("web").orElseThrow().running());
  }

  @Test
  void probesRolloutStepsAndAutoscalingDecisionsAreObservedUnderTheirPasses() {
    orch = Orchestrator.builder().runtime(runtime).timeSource(time).observationRegistry(recording()).build();
    time.runDue();
    orch.apply(web("web:1"));
    orch.autoscaling().apply(dev.orch.api.spec.AutoscalePolicy.builder("web").minReplicas(1).maxReplicas(4)
        .utilization("cpu", 50).syncPeriod(Duration.ofSeconds(5)).build());
    advance(10);
    orch.apply(web("web:2")); // a rolling update
    advance(20);
    assertEquals(dev.orch.core.RolloutStatus.Phase.COMPLETE, orch.status("web").orElseThrow().rollout().phase(),
        this::describe);

    List<Seen> probes = seen.stream().filter(s -> s.name().equals(OrchObservations.PROBE)).toList();
    assertTrue(!probes.isEmpty(), this::describe);
    assertEquals(Map.of("service", "web", "probe", "readiness", "action", "http", "outcome", "passed"),
        probes.get(0).tags());

    List<Seen> steps = seen.stream().filter(s -> s.name().equals(OrchObservations.ROLLOUT_STEP)).toList();
    List<String> kinds = steps.stream().map(s -> s.tags().get("step")).distinct().toList();
    assertTrue(kinds.containsAll(List.of("started", "step", "completed")), () -> kinds + describe());
    for (Seen step : steps) {
      assertEquals(OrchObservations.PASS + "[web]", ancestry(step.context()).get(1), () -> "a step under the pass"
          + " that took it: " + ancestry(step.context()));
      assertTrue(step.events().stream().anyMatch(e -> e.startsWith("orch.Rollout")), step.events()::toString);
    }

    Seen decision = seen.stream().filter(s -> s.name().equals(OrchObservations.AUTOSCALE)).findFirst()
        .orElseThrow(() -> new AssertionError("no autoscaling decision observed: " + describe()));
    assertEquals("web", decision.tags().get("service"));
    assertTrue(decision.tags().containsKey("outcome"), decision.tags()::toString);
    Observation.ContextView parent = decision.context().getParentObservation().getContextView();
    assertEquals(OrchObservations.PASS, parent.getName());
    assertEquals("autoscaling", parent.getLowCardinalityKeyValue("kind").getValue());
  }

  private static ServiceSpec web(String image) {
    return ServiceSpec.builder("web").replicas(2).container(ContainerSpec.builder(image).port("http", 8080)
        .requests("500m", "64Mi").build()).readiness(dev.orch.api.spec.Probe.http("/", "http")
        .withPeriod(Duration.ofSeconds(1))).build();
  }

  private void advance(int seconds) {
    for (int i = 0; i < seconds * 10; i++) {
      time.advance(Duration.ofMillis(100));
    }
  }

  private String describe() {
    StringBuilder b = new StringBuilder();
    for (Seen s : seen) {
      b.append("\n  ").append(ancestry(s.context())).append(' ').append(s.tags());
    }
    return b.toString();
  }
}
