package dev.orch.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.orch.api.runtime.ContainerInfo;
import dev.orch.api.runtime.ContainerState;
import dev.orch.api.runtime.LabelSelector;
import dev.orch.api.spec.ContainerSpec;
import dev.orch.api.spec.Resources;
import dev.orch.api.spec.RolloutStrategy;
import dev.orch.api.spec.ServiceSpec;
import dev.orch.api.state.NotLeaderException;
import dev.orch.api.time.VirtualTimeSource;
import dev.orch.core.state.InMemoryStateStore;
import dev.orch.core.state.LocalLeaderElection;
import dev.orch.core.util.Revisions;
import dev.orch.inmemory.InMemoryRuntime;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Two orchestrators of one owner on one runtime and one store, on virtual time, electing a leader through a
 * {@link LocalLeaderElection}: only the leader acts; the other is a standby that refuses writes naming it and serves
 * reads (spec, status, endpoints it probes itself) that follow the leader's; when the leader is cut off
 * from the election in the middle of a canary it stops acting before its lease ends, the standby takes over once it
 * has, adopts every container, resumes the canary at the same step and finishes it, with no duplicate replica and no
 * runtime call from the old leader after it was told to stop; the endpoint source the standby gave out goes on.
 */
class FailoverTest {
  private final VirtualTimeSource time = new VirtualTimeSource();
  private final InMemoryRuntime runtime = InMemoryRuntime.builder().timeSource(time).nodes(3, Resources.of("4",
      "8Gi")).build();
  private final InMemoryStateStore store = new InMemoryStateStore("memory:shared");
  private final LocalLeaderElection.Arena arena = LocalLeaderElection.arena(time);
  /** Every runtime call that changes something, with who made it and when. */
  private final List<String> calls = new CopyOnWriteArrayList<>();
  private Orchestrator a;
  private Orchestrator b;

  @AfterEach
  void close() {
    if (a != null) {
      a.close();
    }
    if (b != null) {
      b.close();
    }
    runtime.close();
    store.close();
  }

  private Orchestrator candidate(String name) {
    return candidate(name, store);
  }

  private Orchestrator candidate(String name, dev.orch.api.state.StateStore on) {
    return Orchestrator.builder().runtime(new NotingRuntime(runtime, what -> calls.add(name + " " + what + " at "
        + time.now()))).timeSource(time).stateStore(on).ownerId("shop")
        .terminationGrace(Duration.ofSeconds(1)).leaderElection(arena.candidate(name)).build();
  }

  /**
   * Advances virtual time until {@code condition} holds, for at most {@code seconds} of it and 10 s of real time (a
   * standby's request reaches the leader through the store's watch, on a thread of the store's).
   */
  private void advanceUntil(int seconds, java.util.function.BooleanSupplier condition) {
    Instant until = time.now().plusSeconds(seconds);
    org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(1))
        .until(() -> {
          if (!condition.getAsBoolean() && time.now().isBefore(until)) {
            time.advance(Duration.ofMillis(100));
          }
          return condition.getAsBoolean();
        });
  }

  /** a, then b, of one owner: a leads, b stands by. */
  private void aLeadsAndBStandsBy() {
    a = candidate("a");
    advance(1);
    b = candidate("b");
    advance(3);
  }

  /** web:1 applied through the standby b, and ready as the leader a sees it. */
  private void webReadyThroughB() {
    b.apply(web("web:1"));
    advanceUntil(20, () -> a.status("web").map(ServiceStatus::isReady).orElse(false));
  }

  private void advance(int seconds) {
    for (int i = 0; i < seconds * 10; i++) {
      time.advance(Duration.ofMillis(100));
    }
  }

  private static ServiceSpec web(String image) {
    return ServiceSpec.builder("web").replicas(4).container(ContainerSpec.builder(image).port("http", 8080)
        .requests("250m", "128Mi").build()).rollout(RolloutStrategy.canary().setWeight(25)
        .pause(Duration.ofMinutes(1)).setWeight(50).pause(Duration.ofSeconds(30)).build()).build();
  }

  /** The share of the traffic {@code endpoints} send to revision {@code revision}, by their weights. */
  private static double canaryShare(List<dev.orch.core.lb.Endpoint> endpoints, String revision) {
    double all = endpoints.stream().mapToInt(dev.orch.core.lb.Endpoint::weight).sum();
    return endpoints.stream().filter(e -> revision.equals(e.labels().get("orch.revision")))
        .mapToInt(dev.orch.core.lb.Endpoint::weight).sum() / all;
  }

  private List<ContainerInfo> running() {
    return runtime.list(LabelSelector.of("orch.service", "web")).toCompletableFuture().join().stream()
        .filter(c -> c.state() == ContainerState.RUNNING).toList();
  }

  @Test
  void theStandbyTakesOverMidCanaryOnceTheLeaderStoppedAndFinishesItWithoutDuplicates() {
    aLeadsAndBStandsBy();
    assertTrue(a.leadership().leading(), a.leadership()::toString);
    assertFalse(b.leadership().leading());
    assertEquals(Optional.of("a"), b.leadership().leader());
    IllegalStateException standby = assertThrows(IllegalStateException.class, () -> b.rollback("web"));
    assertTrue(standby.getMessage().contains("standby") && standby.getMessage().contains("a leads"),
        standby::getMessage);
    assertTrue(b.started().isDone() == false, "a standby has not started");

    b.apply(web("web:1")); // kept in the store for a, which applies it
    advanceUntil(20, () -> a.status("web").map(ServiceStatus::isReady).orElse(false));
    advance(2);
    assertTrue(a.status("web").orElseThrow().isReady());
    // The standby follows from the store and the runtime: the spec, the status, the endpoints (which it probes).
    assertEquals(Optional.of(web("web:1")), b.spec("web"));
    assertEquals(4, b.status("web").orElseThrow().running(), () -> b.status("web").toString());
    dev.orch.core.lb.EndpointSource seenByB = b.endpoints("web");
    assertEquals(4, seenByB.current().ready().size(), seenByB.current()::toString);
    a.apply(web("web:2"));
    advance(10);
    RolloutStatus atStep = a.status("web").orElseThrow().rollout();
    assertEquals(1, atStep.step(), atStep::toString);
    assertEquals(RolloutStatus.Phase.PAUSED, atStep.phase());
    assertEquals(5, running().size(), "4 of web:1 and 1 canary");
    advance(1); // b refreshes from the store half a second after a's writes
    // The standby shows the canary where the store holds it, and weights its endpoints as the leader does: the canary
    // gets its 25% of the traffic from b's balancers too.
    RolloutStatus seen = b.status("web").orElseThrow().rollout();
    assertEquals(RolloutStatus.Phase.PAUSED, seen.phase(), seen::toString);
    assertEquals(1, seen.step(), seen::toString);
    assertEquals(Map.of(Revisions.revision(web("web:1")), 75.0, Revisions.revision(web("web:2")), 25.0), seen.weights(),
        seen::toString);
    assertEquals(0.25, canaryShare(seenByB.current().ready(), Revisions.revision(web("web:2"))), 1e-9,
        seenByB.current()::toString);

    arena.cut("a"); // a's renewals no longer reach the election: it gives up within its renew deadline
    Instant cutAt = time.now();
    advance(12);
    assertFalse(a.leadership().leading(), "a stopped acting before its lease could end");
    assertTrue(a.leadership().reason().contains("no renewal"), a.leadership()::reason);
    assertFalse(b.leadership().leading(), "b is not elected before a's lease has ended");
    Instant aStopped = time.now();
    int callsOfA = (int) calls.stream().filter(c -> c.startsWith("a ")).count();
    ContainerInfo crashed = running().get(0);
    runtime.stop(crashed.id(), Duration.ZERO).toCompletableFuture().join(); // work for whoever leads: none does now
    Set<String> ids = running().stream().map(ContainerInfo::id).collect(java.util.stream.Collectors.toSet());
    advance(6); // its lease ends 15 s after its last renewal; b is elected at its next try
    assertTrue(b.leadership().leading(), () -> b.leadership() + " " + Duration.between(cutAt, time.now()));
    advance(1);
    assertTrue(b.started().isDone(), "elected and started on the store");

    RolloutStatus resumed = b.status("web").orElseThrow().rollout();
    assertEquals(1, resumed.step(), () -> "the same step: " + resumed);
    advanceUntil(10, () -> running().size() == 5);
    assertTrue(running().stream().map(ContainerInfo::id).collect(java.util.stream.Collectors.toSet()).containsAll(ids),
        "every container adopted; the crashed one restarted or replaced by b, none added beside");
    assertTrue(calls.stream().anyMatch(c -> c.startsWith("b ")), () -> "b acts: " + calls);
    assertThrows(IllegalStateException.class, () -> a.rollback("web"), "a is a standby now: it acts on nothing");
    assertEquals(5, seenByB.current().ready().size(), "the endpoints b gave out as a standby go on: "
        + seenByB.current());

    advance(120); // the pause of 1 min counted from before the failover, then 50%, 30 s, then the rest
    RolloutStatus done = b.status("web").orElseThrow().rollout();
    assertEquals(RolloutStatus.Phase.COMPLETE, done.phase(), done::toString);
    assertEquals(4, running().size());
    assertTrue(running().stream().allMatch(c -> c.image().equals("web:2")), () -> running().toString());
    assertEquals(callsOfA, calls.stream().filter(c -> c.startsWith("a ")).count(),
        () -> "no call of a's once it stopped (at " + aStopped + "): " + calls);
  }

  @Test
  void writesOnAStandbyReachTheLeaderThroughTheStoreAndOneItRefusesIsAnEvent() {
    aLeadsAndBStandsBy();
    b.apply(web("web:1"));
    advanceUntil(20, () -> running().size() == 4);
    assertEquals(Optional.of(web("web:1")), a.spec("web"), "the leader applied the standby's spec");
    advanceUntil(5, () -> b.spec("web").isPresent());
    b.scale("web", 2);
    advanceUntil(20, () -> running().size() == 2);
    assertEquals(2, a.spec("web").orElseThrow().replicas());
    advanceUntil(5, () -> b.spec("web").orElseThrow().replicas() == 2);
    assertThrows(UnknownServiceException.class, () -> b.scale("nothing", 1), "refused at once, by its view");
    assertThrows(dev.orch.api.spec.InvalidSpecException.class, () -> b.scale("web", -1));
    b.apply(ServiceSpec.builder("web").replicas(2).container(ContainerSpec.builder("web:1").port("http", 8080)
        .requests("250m", "128Mi").build()).stateful(dev.orch.api.spec.Stateful.builder().build()).build());
    advanceUntil(5, () -> a.events().recent().stream().anyMatch(e -> e.reason().equals("RequestRefused")));
    assertTrue(a.events().recent().stream().anyMatch(e -> e.reason().equals("RequestRefused")
        && e.message().contains("apply web from b")), () -> "the leader refuses what it would refuse: "
        + a.events().recent());
    assertTrue(b.delete("web"));
    advanceUntil(30, () -> a.spec("web").isEmpty() && running().isEmpty());
    assertEquals(List.of(), store.list("shop/requests/").toCompletableFuture().join(), "every request done");
  }

  @Test
  void rolloutOperationsCordonsAndPoliciesAskedOfAStandbyReachTheLeader() {
    aLeadsAndBStandsBy();
    webReadyThroughB();
    advanceUntil(5, () -> b.spec("web").isPresent());
    IllegalStateException idle = assertThrows(IllegalStateException.class, () -> b.promote("web"));
    assertTrue(idle.getMessage().contains("no rollout in progress"), idle::getMessage); // refused by b's own view
    assertThrows(UnknownServiceException.class, () -> b.pause("nothing"));

    b.apply(web("web:2"));
    advanceUntil(20, () -> a.status("web").map(st -> st.rollout().phase() == RolloutStatus.Phase.PAUSED)
        .orElse(false));
    advanceUntil(5, () -> b.status("web").map(st -> st.rollout().phase() == RolloutStatus.Phase.PAUSED)
        .orElse(false));
    b.promote("web"); // the canary waits a minute at 25%; the leader promotes it now, as asked through the store
    advanceUntil(30, () -> a.status("web").map(st -> st.rollout().phase() == RolloutStatus.Phase.COMPLETE)
        .orElse(false) && running().stream().allMatch(c -> c.image().equals("web:2")));
    assertTrue(a.events().recent().stream().noneMatch(e -> e.reason().equals("RequestRefused")),
        () -> a.events().recent().toString());

    IllegalArgumentException unknown = assertThrows(IllegalArgumentException.class, () -> b.cordon("node-9"));
    assertTrue(unknown.getMessage().contains("node-1"), unknown::getMessage); // names the known nodes
    b.cordon("node-2");
    advanceUntil(5, () -> a.cordoned().equals(List.of("node-2")));
    b.uncordon("node-2");
    advanceUntil(5, () -> a.cordoned().isEmpty());

    dev.orch.api.policy.NetworkPolicy closed = dev.orch.api.policy.NetworkPolicy.builder("web-closed")
        .selectServices("web").build();
    b.policies().apply(closed);
    advanceUntil(5, () -> a.policies().get("web-closed").isPresent());
    assertEquals(Optional.of(closed), a.policies().get("web-closed"));
    advanceUntil(5, () -> b.policies().get("web-closed").isPresent()); // b's view, from the store
    assertTrue(b.policies().delete("web-closed"), "b knew of it");
    advanceUntil(5, () -> a.policies().get("web-closed").isEmpty());
    assertEquals(List.of(), store.list("shop/requests/").toCompletableFuture().join(), "every request done");
  }

  @Test
  void aBalancerBuiltOnAStandbyFollowsThePoliciesThroughItsRefreshesAndAFailover() {
    aLeadsAndBStandsBy();
    webReadyThroughB();
    dev.orch.api.policy.NetworkPolicy fromOrders = dev.orch.api.policy.NetworkPolicy.builder("web-from-orders")
        .selectServices("web").allowIngress(dev.orch.api.policy.IngressRule.from(
            dev.orch.api.policy.PeerSelector.services("orders"))).build();
    a.policies().apply(fromOrders);
    advanceUntil(5, () -> b.policies().get("web-from-orders").isPresent());
    try (dev.orch.core.lb.LoadBalancer payments = b.loadBalancer("web").caller("payments").build()) {
      advance(1);
      dev.orch.core.lb.CallRefusedException refused = assertThrows(dev.orch.core.lb.CallRefusedException.class,
          payments::pick);
      assertTrue(refused.getMessage().contains("web-from-orders"), refused::getMessage);

      a.policies().delete("web-from-orders"); // b's engine that built the balancer is replaced by a refresh
      advanceUntil(5, () -> b.policies().get("web-from-orders").isEmpty());
      advance(1);
      payments.release(payments.pick());

      arena.cut("a");
      advanceUntil(30, () -> b.leadership().leading() && b.started().isDone());
      b.policies().apply(fromOrders); // the leader now: its engine judges the balancer b gave out as a standby
      assertThrows(dev.orch.core.lb.CallRefusedException.class, payments::pick);
      b.policies().delete("web-from-orders");
      payments.release(payments.pick());
    }
  }

  @Test
  void aWaitingPickThroughAStandbysBalancerWakesAServiceAtZeroThroughTheLeader() {
    aLeadsAndBStandsBy();
    a.apply(web("web:1").withReplicas(0));
    a.autoscaling().apply(dev.orch.api.spec.AutoscalePolicy.builder("web").minReplicas(0).maxReplicas(4)
        .averageValue(dev.orch.core.engine.AutoscaleOperations.REQUESTS_PER_SECOND, 5)
        .syncPeriod(Duration.ofSeconds(5)).build());
    advanceUntil(5, () -> b.autoscaling().get("web").isPresent());
    try (dev.orch.core.lb.LoadBalancer lb = b.loadBalancer("web").build()) {
      java.util.concurrent.CompletableFuture<dev.orch.core.lb.Endpoint> waiting = lb.pickAsync(Duration.ofSeconds(30));
      advanceUntil(20, waiting::isDone);
      assertTrue(waiting.isDone() && !waiting.isCompletedExceptionally(), () -> "woken by the leader: "
          + a.status("web") + " " + a.events().recent());
      lb.release(waiting.join());
    }
    assertTrue(a.events().recent().stream().anyMatch(e -> e.reason().equals("Woken")), () -> a.events().recent()
        .toString());
    assertTrue(a.spec("web").orElseThrow().replicas() >= 1);
  }

  @Test
  void aStandbysRequestTheLeaderCouldNotKeepIsTriedAgainOnceTheStoreTakesWrites() {
    java.util.concurrent.atomic.AtomicBoolean refuse = new java.util.concurrent.atomic.AtomicBoolean();
    ServiceWritesRefused refusing = new ServiceWritesRefused(store, refuse);
    a = candidate("a", refusing); // a's writes of service records fail while set
    advance(1);
    b = candidate("b");
    advance(3);
    refuse.set(true);
    b.apply(web("web:1")); // kept (a request record), but a cannot keep the service record it makes of it
    advanceUntil(5, () -> refusing.refused.get() > 0); // a took the request and could not keep it
    advance(5);
    assertEquals(Optional.empty(), a.spec("web"), "nothing applied while the store refuses");
    assertEquals(1, store.list("shop/requests/").toCompletableFuture().join().size(), "the request waits");
    refuse.set(false);
    advanceUntil(20, () -> running().size() == 4);
    assertEquals(Optional.of(web("web:1")), a.spec("web"), "tried again, and kept");
    advanceUntil(5, () -> store.list("shop/requests/").toCompletableFuture().join().isEmpty());
  }

  /** The shared store, refusing writes of service records while {@code refuse} is set (for this orchestrator). */
  private static final class ServiceWritesRefused implements dev.orch.api.state.StateStore {
    private final dev.orch.api.state.StateStore store;
    private final java.util.concurrent.atomic.AtomicBoolean refuse;
    final java.util.concurrent.atomic.AtomicInteger refused;

    ServiceWritesRefused(dev.orch.api.state.StateStore store, java.util.concurrent.atomic.AtomicBoolean refuse) {
      this(store, refuse, new java.util.concurrent.atomic.AtomicInteger());
    }

    private ServiceWritesRefused(dev.orch.api.state.StateStore store,
                                 java.util.concurrent.atomic.AtomicBoolean refuse,
                                 java.util.concurrent.atomic.AtomicInteger refused) {
      this.store = store;
      this.refuse = refuse;
      this.refused = refused;
    }

    @Override
    public String name() {
      return store.name();
    }

    @Override
    public java.util.concurrent.CompletionStage<Optional<dev.orch.api.state.StateRecord>> get(String key) {
      return store.get(key);
    }

    @Override
    public java.util.concurrent.CompletionStage<List<dev.orch.api.state.StateRecord>> list(String prefix) {
      return store.list(prefix);
    }

    @Override
    public java.util.concurrent.CompletionStage<dev.orch.api.state.StateRecord> put(String key, String value,
                                                                                   long expected) {
      if (refuse.get() && key.startsWith("shop/services/")) {
        refused.incrementAndGet();
        return java.util.concurrent.CompletableFuture.failedFuture(
            new dev.orch.api.state.StateStoreException("injected: " + key + " refused"));
      }
      return store.put(key, value, expected);
    }

    @Override
    public java.util.concurrent.CompletionStage<Boolean> delete(String key, long expected) {
      return store.delete(key, expected);
    }

    @Override
    public dev.orch.api.runtime.Subscription watch(String prefix,
                                                   java.util.function.Consumer<dev.orch.api.state.StateEvent> l) {
      return store.watch(prefix, l);
    }

    @Override
    public dev.orch.api.state.StateStore fencedBy(dev.orch.api.state.LeaderElection.Term term) {
      return new ServiceWritesRefused(store.fencedBy(term), refuse, refused);
    }

    @Override
    public void close() {
    }
  }

  @Test
  void aWriteFencedByAnEndedTermIsRefusedAndAnElectionNeedsASharedStore() {
    LocalLeaderElection e = arena.candidate("solo");
    List<dev.orch.api.state.LeaderElection.Term> terms = new CopyOnWriteArrayList<>();
    e.start(new dev.orch.api.state.LeaderElection.Listener() {
      @Override
      public void elected(dev.orch.api.state.LeaderElection.Term term) {
        terms.add(term);
      }

      @Override
      public void revoked(dev.orch.api.state.LeaderElection.Term term, String why) {
      }
    });
    advance(1);
    dev.orch.api.state.StateStore fenced = store.fencedBy(terms.get(0));
    fenced.put("k", "{}", dev.orch.api.state.StateStore.ANY).toCompletableFuture().join();
    arena.cut("solo");
    advance(16);
    Throwable refused = fenced.put("k", "{\"n\":2}", dev.orch.api.state.StateStore.ANY).toCompletableFuture()
        .handle((v, x) -> x).join();
    assertTrue(refused instanceof NotLeaderException, String.valueOf(refused));
    assertEquals("{}", store.get("k").toCompletableFuture().join().orElseThrow().value());
    e.close();

    IllegalArgumentException alone = assertThrows(IllegalArgumentException.class, () -> Orchestrator.builder()
        .runtime(runtime).timeSource(time).leaderElection(arena.candidate("x")).build());
    assertTrue(alone.getMessage().contains("leaderElection") && alone.getMessage().contains("stateStore"),
        alone::getMessage);
  }
}
