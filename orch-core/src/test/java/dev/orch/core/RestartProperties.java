package dev.orch.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.orch.api.runtime.ContainerInfo;
import dev.orch.api.runtime.LabelSelector;
import dev.orch.api.runtime.OrchLabels;
import dev.orch.api.spec.Analysis;
import dev.orch.api.spec.ContainerSpec;
import dev.orch.api.spec.Resources;
import dev.orch.api.spec.RolloutStrategy;
import dev.orch.api.spec.ServiceSpec;
import dev.orch.api.state.StateStoreException;
import dev.orch.api.time.VirtualTimeSource;
import dev.orch.core.state.InMemoryStateStore;
import dev.orch.inmemory.Behaviors;
import dev.orch.inmemory.InMemoryRuntime;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.ShrinkingMode;
import net.jqwik.api.Tuple;
import net.jqwik.api.lifecycle.AddLifecycleHook;

/**
 * Restarts lose nothing: random applies (rolling, blue/green and canary), pauses, resumes, deletes, store
 * outages and orchestrator restarts (each a clean close between passes) on one store, on virtual time. After
 * each restart every service's spec and revision history equal what they were before it, and its rollout goes
 * on from where it was (the same target and stable revision, the steps taken so far, paused if it was paused
 * at that step); a call the store could not keep was refused and changed nothing; and once the store heals,
 * rollouts are resumed and time passes, every service runs its desired revision, ready, with one replica per
 * ordinal. ({@code OrchestratorRestartTest} checks pauses asked just before a restart, the analysis count, the
 * pause clock, an owed rollback and deletions.)
 */
class RestartProperties {
  static final List<String> SERVICES = List.of("alpha", "beta");
  static final Analysis ALWAYS = Analysis.builder().interval(Duration.ofSeconds(5)).count(2).minRequests(0)
      .check("always").build();
  static final List<RolloutStrategy> STRATEGIES = List.of(RolloutStrategy.RollingUpdate.DEFAULT,
      RolloutStrategy.canary().setWeight(25).pause(Duration.ofSeconds(20)).setWeight(50).analyze(ALWAYS).build(),
      RolloutStrategy.canary().setWeight(50).pause().build(),
      RolloutStrategy.blueGreen().withPrePromotionAnalysis(ALWAYS).withScaleDownDelay(Duration.ofSeconds(5)));

  sealed interface Op {
  }

  record Apply(int service, int replicas, int image, int strategy) implements Op {
  }

  record Pause(int service) implements Op {
  }

  record Resume(int service) implements Op {
  }

  record Delete(int service) implements Op {
  }

  record Restart() implements Op {
  }

  record FailStore() implements Op {
  }

  record HealStore() implements Op {
  }

  record Advance(int seconds) implements Op {
  }

  @Provide
  Arbitrary<List<Op>> runs() {
    Arbitrary<Integer> svc = Arbitraries.integers().between(0, SERVICES.size() - 1);
    Arbitrary<Op> op = Arbitraries.frequencyOf(
        Tuple.of(4, Combinators.combine(svc, Arbitraries.integers().between(1, 4), Arbitraries.integers().between(1, 3),
            Arbitraries.integers().between(0, STRATEGIES.size() - 1)).as(Apply::new)),
        Tuple.of(1, svc.map(Pause::new)),
        Tuple.of(1, svc.map(Resume::new)),
        Tuple.of(1, svc.map(Delete::new)),
        Tuple.of(3, Arbitraries.just(new Restart())),
        Tuple.of(1, Arbitraries.just(new FailStore())),
        Tuple.of(1, Arbitraries.just(new HealStore())),
        Tuple.of(4, Arbitraries.integers().between(1, 40).map(Advance::new)));
    return op.list().ofMinSize(1).ofMaxSize(20);
  }

  @Property(tries = 200, shrinking = ShrinkingMode.BOUNDED)
  @AddLifecycleHook(FaultScheduleTries.class)
  void aRestartLosesNothingAndEveryServiceConverges(@ForAll("runs") List<Op> ops) {
    World w = new World();
    try {
      w.play(ops);
      w.quiesce();
      w.assertConverged();
    } finally {
      w.close();
    }
  }

  /** One cluster and store, the orchestrator of the moment, and what the test asked for that was kept. */
  static final class World {
    final VirtualTimeSource time = new VirtualTimeSource();
    final InMemoryRuntime runtime = InMemoryRuntime.builder().timeSource(time).seed(3).nodes(4, Resources.of("4", "8Gi"))
        .defaultBehavior(Behaviors.runForever()).build();
    final InMemoryStateStore store = new InMemoryStateStore();
    final Map<String, ServiceSpec> desired = new TreeMap<>();
    /**
     * The services whose rollout strategy an apply changed since time last passed with the store taking writes: the
     * status may still show the steps of the strategy before (events' passes of one instant are spread over the
     * next 50 ms; a rolling fallback goes on while the store refuses the new strategy's position), and a restart
     * begins the new strategy afresh.
     */
    final java.util.Set<String> strategyChangedNow = new java.util.HashSet<>();
    Orchestrator orch = start();

    Orchestrator start() {
      Orchestrator o = Orchestrator.builder().runtime(runtime).timeSource(time).seed(3).stateStore(store)
          .terminationGrace(Duration.ofSeconds(1)).analysisCheck("always", m -> true).build();
      time.runDue();
      return o;
    }

    void play(List<Op> ops) {
      for (Op op : ops) {
        if (op instanceof Apply a) {
          ServiceSpec spec = ServiceSpec.builder(SERVICES.get(a.service())).replicas(a.replicas())
              .container(ContainerSpec.builder("img:" + a.image()).requests("250m", "256Mi").build())
              .rollout(STRATEGIES.get(a.strategy())).build();
          ServiceSpec was = desired.get(spec.name());
          if (kept(() -> orch.apply(spec))) {
            if (was != null && was.rollout().getClass() != spec.rollout().getClass()) {
              strategyChangedNow.add(spec.name());
            }
            desired.put(spec.name(), spec);
          }
        } else if (op instanceof Pause p && desired.containsKey(SERVICES.get(p.service()))) {
          kept(() -> orch.pause(SERVICES.get(p.service())));
        } else if (op instanceof Resume r && desired.containsKey(SERVICES.get(r.service()))) {
          kept(() -> orch.resume(SERVICES.get(r.service())));
        } else if (op instanceof Delete d && desired.containsKey(SERVICES.get(d.service()))) {
          if (kept(() -> orch.delete(SERVICES.get(d.service())))) {
            desired.remove(SERVICES.get(d.service()));
          }
        } else if (op instanceof Restart) {
          restart();
        } else if (op instanceof FailStore) {
          store.failWrites("injected outage");
        } else if (op instanceof HealStore) {
          store.healWrites();
        } else if (op instanceof Advance adv) {
          if (!store.failsWrites()) {
            strategyChangedNow.clear(); // time passes with the store working: the new strategy's passes are kept
          }
          for (int i = 0; i < adv.seconds(); i++) {
            time.advance(Duration.ofSeconds(1));
          }
        }
        time.runDue();
        for (ServiceSpec spec : desired.values()) {
          assertEquals(Optional.of(spec), orch.spec(spec.name()), "a call the store could not keep changed nothing");
        }
      }
    }

    /** Runs {@code call}; false when the store, or Orch (no rollout to pause), refused it: nothing changed. */
    private boolean kept(Runnable call) {
      try {
        call.run();
        return true;
      } catch (StateStoreException refused) {
        assertTrue(store.failsWrites(), () -> "refused while the store works: " + refused);
        return false;
      } catch (IllegalStateException notNow) {
        return false;
      }
    }

    void restart() {
      Map<String, Snap> before = snapshot();
      orch.close();
      orch = start();
      Map<String, Snap> after = snapshot();
      assertEquals(before.keySet(), after.keySet(), "the services a restart keeps");
      before.forEach((name, b) -> b.assertKeptIn(after.get(name), strategyChangedNow.contains(name)));
    }

    /**
     * What a restart must keep of a service: its spec and revisions exactly; its rollout (same revisions) at
     * the same step or further on the same path, since the new orchestrator's first passes may take a step the
     * old one was about to; and a rollout paused at a step still paused there. A service whose last pass could
     * not be kept ({@code StateStored=False}) may have shown one step it never acted on: the new orchestrator
     * resumes from the step before it, on the same path.
     */
    record Snap(ServiceSpec spec, List<Revision> revisions, RolloutStatus rollout, boolean unkept) {
      void assertKeptIn(Snap after, boolean strategyChanged) {
        assertEquals(spec, after.spec, "the spec");
        assertEquals(revisions, after.revisions, "the revision history");
        RolloutStatus a = after.rollout;
        assertEquals(rollout.revision(), a.revision(), () -> "the rollout's target: " + rollout + " / " + a);
        if (strategyChanged) {
          // The stable revision and steps shown may be the old strategy's; the new one begins afresh. A pause shown
          // at the same steps is still kept.
          if (rollout.phase() == RolloutStatus.Phase.PAUSED && a.steps().equals(rollout.steps())) {
            assertEquals(RolloutStatus.Phase.PAUSED, a.phase(), () -> "still paused: " + a);
          }
          return;
        }
        assertTrue(rollout.stable().equals(a.stable()) || a.stable().equals(rollout.revision()),
            () -> "the rollout's stable revision, or its target once promoted: " + rollout + " / " + a);
        // A pass that decided a step the store could not keep (StateStored=False) did not act on it: a restart
        // resumes from the step before it, on the same path. Only that one step may be missing.
        List<RolloutStep> expected = unkept && a.steps().size() < rollout.steps().size()
            ? rollout.steps().subList(0, rollout.steps().size() - 1) : rollout.steps();
        assertTrue(a.steps().size() >= expected.size() && a.steps().subList(0, expected.size()).equals(expected),
            () -> "the steps taken go on from where they were" + (unkept ? " (the last one unkept)" : "") + ": "
                + rollout.steps() + " / " + a.steps());
        if (rollout.phase() == RolloutStatus.Phase.PAUSED && a.steps().equals(rollout.steps())) {
          assertEquals(RolloutStatus.Phase.PAUSED, a.phase(), () -> "still paused: " + a);
        }
      }
    }

    Map<String, Snap> snapshot() {
      Map<String, Snap> s = new LinkedHashMap<>();
      for (String name : orch.services()) {
        ServiceStatus st = orch.status(name).orElseThrow();
        boolean unkept = st.conditions().stream().anyMatch(c -> c.type().equals("StateStored") && !c.status());
        s.put(name, new Snap(orch.spec(name).orElseThrow(), orch.revisions(name), st.rollout(), unkept));
      }
      return s;
    }

    void quiesce() {
      store.healWrites();
      for (int round = 0; round < 3; round++) {
        for (String name : desired.keySet()) {
          if (orch.status(name).orElseThrow().rollout().phase() == RolloutStatus.Phase.PAUSED) {
            orch.resume(name);
          }
        }
        for (int i = 0; i < 120; i++) {
          time.advance(Duration.ofSeconds(1));
        }
      }
    }

    void assertConverged() {
      assertEquals(desired.keySet(), new java.util.TreeSet<>(orch.services()));
      for (ServiceSpec spec : desired.values()) {
        ServiceStatus s = orch.status(spec.name()).orElseThrow();
        assertTrue(s.isReady(), s::toString);
        List<ContainerInfo> mine = runtime.list(LabelSelector.of(OrchLabels.SERVICE, spec.name()))
            .toCompletableFuture().join();
        assertEquals(spec.replicas(), mine.size(), () -> spec.name() + ": " + mine);
        assertEquals(spec.replicas(), mine.stream().map(c -> c.labels().get(OrchLabels.ORDINAL)).distinct().count(),
            "one replica per ordinal");
        for (ContainerInfo c : mine) {
          assertEquals(spec.container().image(), c.image(), () -> spec.name() + " runs its desired revision: " + s);
          assertTrue(c.isRunning(), c::toString);
        }
      }
    }

    void close() {
      orch.close();
      runtime.close();
      store.close();
    }
  }
}
