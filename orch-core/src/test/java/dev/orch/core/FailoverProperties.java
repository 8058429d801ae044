package dev.orch.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.orch.api.runtime.ContainerInfo;
import dev.orch.api.runtime.ContainerState;
import dev.orch.api.runtime.LabelSelector;
import dev.orch.api.spec.ContainerSpec;
import dev.orch.api.spec.Resources;
import dev.orch.api.spec.ServiceSpec;
import dev.orch.api.state.StateStoreException;
import dev.orch.api.time.VirtualTimeSource;
import dev.orch.core.state.InMemoryStateStore;
import dev.orch.core.state.LocalLeaderElection;
import dev.orch.inmemory.InMemoryRuntime;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * Failover loses nothing and never doubles: three orchestrators of one owner on one runtime and one store elect a
 * leader through a {@link LocalLeaderElection} on virtual time, while random cuts (a candidate's renewals stop
 * reaching the election, as in a partition or a stopped process), mends, store write outages, failing runtime calls,
 * waits and applies through whoever leads go on. At every instant at most one of them leads, and every runtime call that changes something is made by the
 * one that leads at that instant and holds the lease the election knows of; a standby acts on nothing it is asked;
 * an apply the store could not keep changed nothing; and once every cut and outage is
 * mended and time passes, one leads, its spec is the last one taken, and the service runs that spec's replicas, one
 * per ordinal, of its image.
 */
class FailoverProperties {
  private static final List<String> NAMES = List.of("a", "b", "c");

  sealed interface Op {
  }

  record Cut(int candidate) implements Op {
  }

  record Mend(int candidate) implements Op {
  }

  record Wait(int seconds) implements Op {
  }

  record Apply(int replicas, int image) implements Op {
  }

  /** The store refuses writes from now on, until {@link StoreUp}. */
  record StoreDown() implements Op {
  }

  record StoreUp() implements Op {
  }

  /** The next {@code times} creates and starts fail, as a runtime that does not answer would. */
  record RuntimeFault(int times) implements Op {
  }

  @Provide
  Arbitrary<List<Op>> schedules() {
    Arbitrary<Op> op = Arbitraries.oneOf(
        Arbitraries.integers().between(0, 2).map(Cut::new),
        Arbitraries.integers().between(0, 2).map(Mend::new),
        Arbitraries.integers().between(1, 25).map(Wait::new),
        net.jqwik.api.Combinators.combine(Arbitraries.integers().between(1, 4), Arbitraries.integers().between(1, 3))
            .as(Apply::new),
        Arbitraries.just(new StoreDown()), Arbitraries.just(new StoreUp()),
        Arbitraries.integers().between(1, 4).map(RuntimeFault::new));
    return op.list().ofMinSize(3).ofMaxSize(14);
  }

  @Property(tries = 25)
  void neverTwoLeadersActingAndNothingLost(@ForAll("schedules") List<Op> schedule) {
    VirtualTimeSource time = new VirtualTimeSource();
    InMemoryRuntime runtime = InMemoryRuntime.builder().timeSource(time).nodes(3, Resources.of("8", "16Gi")).build();
    InMemoryStateStore store = new InMemoryStateStore("memory:shared");
    LocalLeaderElection.Arena arena = LocalLeaderElection.arena(time);
    List<Orchestrator> orchs = new ArrayList<>();
    List<String> wrong = new ArrayList<>();
    ServiceSpec taken = null;
    try {
      for (String name : NAMES) {
        Orchestrator[] self = new Orchestrator[1];
        self[0] = Orchestrator.builder().runtime(new NotingRuntime(runtime, what -> check(name, what, self[0], orchs,
                wrong, time)))
            .timeSource(time).stateStore(store).ownerId("shop").terminationGrace(Duration.ofSeconds(1))
            .leaderElection(arena.candidate(name)).build();
        orchs.add(self[0]);
      }
      for (Op op : schedule) {
        if (op instanceof Cut c) {
          arena.cut(NAMES.get(c.candidate()));
        } else if (op instanceof Mend m) {
          arena.mend(NAMES.get(m.candidate()));
        } else if (op instanceof StoreDown) {
          store.failWrites("injected outage");
        } else if (op instanceof StoreUp) {
          store.healWrites();
        } else if (op instanceof RuntimeFault f) {
          runtime.failNextCalls(f.times(), dev.orch.inmemory.RuntimeOperation.CREATE,
              dev.orch.inmemory.RuntimeOperation.START);
        } else if (op instanceof Wait w) {
          advance(time, w.seconds(), orchs, wrong, arena);
        } else if (op instanceof Apply ap) {
          ServiceSpec spec = web(ap.replicas(), ap.image());
          for (Orchestrator o : orchs) {
            if (o.leadership().leading()) {
              try {
                o.apply(spec); // (a standby's apply goes through the store to the leader: FailoverTest)
                taken = spec;
              } catch (StateStoreException refused) {
                // the store is down: refused, and nothing changed
              }
            } else {
              // (a standby passes a pause on to the leader: FailoverTest; a rollback only the leader can answer)
              assertTrue(refuses(() -> o.rollback("web")), "a standby does not roll back");
            }
          }
        }
        advance(time, 1, orchs, wrong, arena);
      }
      NAMES.forEach(arena::mend);
      store.healWrites();
      advance(time, 90, orchs, wrong, arena);
      List<Orchestrator> leaders = orchs.stream().filter(o -> o.leadership().leading()).toList();
      assertEquals(1, leaders.size(), () -> "one leads once every cut is mended: " + orchs.stream()
          .map(Orchestrator::leadership).toList());
      assertTrue(wrong.isEmpty(), () -> "at most one leads at any instant, and only it calls the runtime; "
          + wrong.size() + " times not, first: " + wrong.subList(0, Math.min(5, wrong.size())));
      Orchestrator leader = leaders.get(0);
      if (taken != null) {
        ServiceSpec last = taken;
        assertEquals(Optional.of(last), leader.spec("web"), "the last spec taken is the leader's");
        List<ContainerInfo> running = runtime.list(LabelSelector.of("orch.service", "web")).toCompletableFuture()
            .join().stream().filter(c -> c.state() == ContainerState.RUNNING).toList();
        assertEquals(last.replicas(), running.size(), () -> "runs the spec's replicas: " + running);
        assertTrue(running.stream().allMatch(c -> c.image().equals(last.container().image())), running::toString);
        Set<Integer> ordinals = new HashSet<>();
        leader.status("web").orElseThrow().replicas().forEach(r -> assertTrue(ordinals.add(r.ordinal()),
            () -> "one replica per ordinal: " + leader.status("web")));
      }
    } finally {
      orchs.forEach(Orchestrator::close);
      runtime.close();
      store.close();
    }
  }

  private static boolean refuses(Runnable call) {
    try {
      call.run();
      return false;
    } catch (IllegalStateException | UnknownServiceException | StateStoreException refused) {
      return true;
    }
  }

  private static ServiceSpec web(int replicas, int image) {
    return ServiceSpec.builder("web").replicas(replicas).container(ContainerSpec.builder("web:" + image)
        .port("http", 8080).requests("250m", "128Mi").build()).build();
  }

  /** {@code seconds} of virtual time in steps of 0.5 s, checking at each that at most one leads. */
  private static void advance(VirtualTimeSource time, int seconds, List<Orchestrator> orchs, List<String> wrong,
                              LocalLeaderElection.Arena arena) {
    for (int i = 0; i < seconds * 2; i++) {
      time.advance(Duration.ofMillis(500));
      long leading = orchs.stream().filter(o -> o.leadership().leading()).count();
      if (leading > 1) {
        wrong.add(leading + " lead at " + time.now() + ": " + orchs.stream().map(Orchestrator::leadership).toList());
      }
      for (Orchestrator o : orchs) { // one that acts holds the lease the election itself knows of
        if (o.leadership().leading() && !arena.leader().equals(Optional.of(o.leadership().candidate()))) {
          wrong.add(o.leadership().candidate() + " acts at " + time.now() + " while the election says "
              + arena.leader() + " holds the lease");
        }
      }
    }
  }

  /** Notes {@code what} of {@code who} when {@code who} does not lead at that instant, or two lead. */
  private static void check(String who, String what, Orchestrator self, List<Orchestrator> all, List<String> wrong,
                            VirtualTimeSource time) {
    if (self == null || !self.leadership().leading()) {
      wrong.add(who + " " + what + " at " + time.now() + " while not leading");
    }
    if (all.stream().filter(x -> x.leadership().leading()).count() > 1) {
      wrong.add(who + " " + what + " at " + time.now() + " while two lead");
    }
  }
}
