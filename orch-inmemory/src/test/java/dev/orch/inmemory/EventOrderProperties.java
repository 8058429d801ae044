package dev.orch.inmemory;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.orch.api.runtime.ContainerInfo;
import dev.orch.api.runtime.ContainerState;
import dev.orch.api.runtime.LabelSelector;
import dev.orch.api.runtime.RuntimeEvent;
import dev.orch.api.spec.ContainerSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * Invariants over random sequences of calls, crashes, node faults and clock steps: each container's events
 * follow its lifecycle, in time order; what inspect reports agrees with the last event; and the same seed
 * with the same operations gives the same event log.
 */
class EventOrderProperties {
  private static final String[] IMAGES = {"web", "job", "stubborn", "leaky"};

  /** One step: {@code kind} selects the operation, {@code a} and {@code b} its arguments. */
  record Op(int kind, int a, int b) {
  }

  @Provide
  Arbitrary<List<Op>> ops() {
    Arbitrary<Op> op = Combinators.combine(Arbitraries.integers().between(0, 11),
        Arbitraries.integers().between(0, 5), Arbitraries.integers().between(0, 3000)).as(Op::new);
    return op.list().ofMinSize(1).ofMaxSize(40);
  }

  @Property(tries = 200)
  void eventsOfEachContainerFollowItsLifecycle(@ForAll("ops") List<Op> ops) {
    try (SimFixture f = fixture(42)) {
      execute(f, ops);
      Map<String, List<RuntimeEvent>> byContainer = new LinkedHashMap<>();
      for (RuntimeEvent e : f.events) {
        if (e instanceof RuntimeEvent.ContainerEvent ce) {
          byContainer.computeIfAbsent(ce.containerId(), k -> new ArrayList<>()).add(e);
        }
      }
      Map<String, ContainerInfo> alive = new HashMap<>();
      for (ContainerInfo c : SimFixture.join(f.runtime.list(LabelSelector.ALL))) {
        alive.put(c.id(), c);
      }
      for (Map.Entry<String, List<RuntimeEvent>> e : byContainer.entrySet()) {
        String last = checkLifecycle(e.getValue());
        ContainerInfo info = alive.get(e.getKey());
        if (info != null) {
          ContainerState expected = switch (last) {
            case "created" -> ContainerState.CREATED;
            case "running" -> ContainerState.RUNNING;
            case "exited" -> ContainerState.EXITED;
            default -> throw new AssertionError("a listed container's last event is " + last);
          };
          assertEquals(expected, info.state(), "container " + e.getKey() + " after " + describe(e.getValue()));
          if (expected == ContainerState.EXITED) {
            RuntimeEvent.ContainerExited x = (RuntimeEvent.ContainerExited) e.getValue().get(e.getValue().size() - 1);
            assertEquals(x.exitCode(), info.exitCode().orElseThrow());
            assertEquals(x.oomKilled(), info.oomKilled());
          }
        }
      }
      for (String id : alive.keySet()) {
        assertTrue(byContainer.containsKey(id), "a listed container had events");
      }
    }
  }

  @Property(tries = 100)
  void theSameSeedAndOperationsGiveTheSameEventLog(@ForAll("ops") List<Op> ops) {
    assertEquals(log(ops, 7), log(ops, 7));
  }

  private static List<String> log(List<Op> ops, long seed) {
    try (SimFixture f = fixture(seed)) {
      execute(f, ops);
      List<String> out = new ArrayList<>();
      for (RuntimeEvent e : f.events) {
        String id = e instanceof RuntimeEvent.ContainerEvent ce ? ce.containerId() : "";
        out.add(e.time() + " " + e.nodeId() + " " + id + " "
            + SimFixture.describe(e));
      }
      return out;
    }
  }

  private static SimFixture fixture(long seed) {
    return new SimFixture(3, b -> b.seed(seed)
        .behavior("job", Behaviors.exitAfter(Duration.ofMillis(800), 3))
        .behavior("stubborn", Behaviors.ignoreSigterm())
        .behavior("leaky", Behaviors.leakMemory(1_000_000)));
  }

  /** Runs the operations, ignoring calls that fail (unknown, lost or unreachable containers). */
  private static void execute(SimFixture f, List<Op> ops) {
    Map<Integer, String> ids = new HashMap<>();
    for (Op op : ops) {
      String node = "node-" + (1 + op.a() % 3);
      String id = ids.getOrDefault(op.a(), "missing");
      try {
        switch (op.kind()) {
          case 0, 1 -> {
            ContainerSpec spec = ContainerSpec.builder(IMAGES[op.b() % IMAGES.length]).limits("1", "1M").build();
            ContainerInfo c = SimFixture.join(f.runtime.create(new dev.orch.api.runtime.ContainerCreateRequest(
                "c" + op.a(), node, spec, Map.of())));
            ids.put(op.a(), c.id());
          }
          case 2, 3 -> f.runtime.start(id);
          case 4 -> f.runtime.stop(id, Duration.ofMillis(op.b()));
          case 5 -> f.runtime.kill(id);
          case 6 -> f.runtime.remove(id);
          case 7 -> f.runtime.crashContainer(id, 1 + op.b() % 255);
          case 8 -> f.advance(Duration.ofMillis(op.b()));
          case 9 -> f.runtime.failNode(node);
          case 10 -> f.runtime.recoverNode(node);
          default -> {
            if (op.b() % 2 == 0) {
              f.runtime.partitionNode(node);
            } else {
              f.runtime.healPartition(node);
            }
          }
        }
      } catch (RuntimeException expected) {
        // An operation on a lost container or a node in the wrong state: refused, as it should be.
      }
    }
    for (int n = 1; n <= 3; n++) {
      try {
        f.runtime.healPartition("node-" + n);
      } catch (IllegalStateException failedNode) {
        // A failed node has nothing held.
      }
    }
    f.advance(Duration.ofSeconds(5));
  }

  /** Checks one container's events against its lifecycle; returns the state they end in. */
  static String checkLifecycle(List<RuntimeEvent> events) {
    String state = "none";
    Instant last = Instant.MIN;
    for (RuntimeEvent e : events) {
      if (e.time().isBefore(last)) {
        fail("events out of time order: " + describe(events));
      }
      last = e.time();
      String next;
      if (e instanceof RuntimeEvent.ContainerCreated) {
        next = state.equals("none") ? "created" : null;
      } else if (e instanceof RuntimeEvent.ContainerStarted) {
        next = state.equals("created") || state.equals("exited") ? "running" : null;
      } else if (e instanceof RuntimeEvent.ContainerOomKilled) {
        next = state.equals("running") ? "oom" : null;
      } else if (e instanceof RuntimeEvent.ContainerExited x) {
        next = state.equals("running") && !x.oomKilled() || state.equals("oom") && x.oomKilled() ? "exited" : null;
      } else {
        next = state.equals("created") || state.equals("exited") ? "removed" : null;
      }
      if (next == null) {
        fail(SimFixture.describe(e) + " cannot follow state " + state + ": " + describe(events));
      }
      state = next;
    }
    return state;
  }

  private static String describe(List<RuntimeEvent> events) {
    return events.stream().map(SimFixture::describe).toList().toString();
  }
}
