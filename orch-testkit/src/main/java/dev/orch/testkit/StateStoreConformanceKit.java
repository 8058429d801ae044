package dev.orch.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.orch.api.runtime.Subscription;
import dev.orch.api.state.StateEvent;
import dev.orch.api.state.StateRecord;
import dev.orch.api.state.StateSchema;
import dev.orch.api.state.StateStore;
import dev.orch.api.state.StateStoreException;
import dev.orch.api.state.UnsupportedSchemaException;
import dev.orch.api.state.VersionConflictException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import org.awaitility.Awaitility;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The state store conformance kit: JUnit 5 tests every {@link StateStore} must pass, as the runtime kit is
 * for runtimes. Extend it and make the store; a store that keeps its records across a restart also says how
 * to reopen it ({@link #reopen}), and the durability checks run.
 *
 * <pre>{@code
 * class MyStoreConformanceTest extends StateStoreConformanceKit {
 *   protected StateStore createStore() { return MyStore.connect(...); }
 * }
 * }</pre>
 *
 * <p>Each test gets a fresh, empty store ({@link #createStore}) and closes it afterwards. Not thread-safe:
 * JUnit makes one instance per test.
 */
public abstract class StateStoreConformanceKit {
  private static final String DOC = "{\"n\":1}";

  /** The store under test, made before each test. */
  protected StateStore store;

  /** Creates the kit; subclasses are made by JUnit. */
  protected StateStoreConformanceKit() {
  }

  /** A new, empty store. */
  protected abstract StateStore createStore();

  /**
   * Closes {@code store} and opens it again over the same records, as a restarted process would; returns null
   * (the default) for a store that keeps nothing across a restart, and the durability checks are skipped.
   */
  protected @Nullable StateStore reopen(StateStore store) {
    return null;
  }

  /** The ceiling of every wait (default 10 s). */
  protected Duration timeout() {
    return Duration.ofSeconds(10);
  }

  @BeforeEach
  void makeStore() {
    store = createStore();
  }

  @AfterEach
  void closeStore() {
    if (store != null) {
      store.close();
    }
  }

  // ---------------------------------------------------------------- records and versions

  @Test
  void aPutIsReadBackWithItsVersion() {
    assertEquals(Optional.empty(), await(store.get("a/b")));
    StateRecord r = await(store.put("a/b", DOC, StateStore.ABSENT));
    assertEquals("a/b", r.key());
    assertEquals(DOC, r.value());
    assertTrue(r.version() >= 1, r::toString);
    assertEquals(Optional.of(r), await(store.get("a/b")), "get returns the value as put, with its version");
  }

  @Test
  void everyWriteGetsAHigherVersionThanAllBefore() {
    long a = await(store.put("a", DOC, StateStore.ANY)).version();
    long b = await(store.put("b", DOC, StateStore.ANY)).version();
    long a2 = await(store.put("a", "{\"n\":2}", a)).version();
    assertTrue(a < b && b < a2, () -> "versions " + a + ", " + b + ", " + a2 + " must increase across keys");
    await(store.delete("b", b));
    long c = await(store.put("c", DOC, StateStore.ABSENT)).version();
    assertTrue(c > a2 + 1, () -> "a delete takes a version too: " + c + " after " + a2);
  }

  @Test
  void aCompareAndSetWithTheCurrentVersionWinsAndAStaleOneChangesNothing() {
    StateRecord first = await(store.put("k", DOC, StateStore.ABSENT));
    StateRecord second = await(store.put("k", "{\"n\":2}", first.version()));
    VersionConflictException stale = assertInstanceOf(VersionConflictException.class,
        failureOf(store.put("k", "{\"n\":3}", first.version())));
    assertEquals("k", stale.key());
    assertEquals(first.version(), stale.expected());
    assertEquals(second.version(), stale.actual());
    assertInstanceOf(VersionConflictException.class, failureOf(store.put("k", "{\"n\":3}", StateStore.ABSENT)),
        "ABSENT expects no record");
    assertEquals(Optional.of(second), await(store.get("k")), "a lost compare-and-set changes nothing");
    assertInstanceOf(VersionConflictException.class, failureOf(store.put("other", DOC, 12345)),
        "a version expected of a key that does not exist");
    assertEquals(Optional.empty(), await(store.get("other")));
  }

  @Test
  void anyWritesWhateverTheVersion() {
    await(store.put("k", DOC, StateStore.ANY));
    StateRecord r = await(store.put("k", "{\"n\":2}", StateStore.ANY));
    assertEquals("{\"n\":2}", r.value());
  }

  @Test
  void deleteHonoursTheExpectedVersionAndSaysWhetherThereWasARecord() {
    StateRecord r = await(store.put("k", DOC, StateStore.ABSENT));
    assertInstanceOf(VersionConflictException.class, failureOf(store.delete("k", r.version() + 100)));
    assertEquals(Optional.of(r), await(store.get("k")));
    assertTrue(await(store.delete("k", r.version())));
    assertEquals(Optional.empty(), await(store.get("k")));
    assertFalse(await(store.delete("k", StateStore.ANY)), "nothing left to delete");
    assertFalse(await(store.delete("k", StateStore.ABSENT)));
  }

  @Test
  void listReturnsTheKeysUnderAPrefixSortedByKey() {
    for (String k : List.of("services/b/spec", "services/a/spec", "services/a/rollout", "servicesx", "nodes/n1")) {
      await(store.put(k, DOC, StateStore.ABSENT));
    }
    assertEquals(List.of("services/a/rollout", "services/a/spec", "services/b/spec"),
        await(store.list("services/")).stream().map(StateRecord::key).toList());
    assertEquals(List.of("nodes/n1", "services/a/rollout", "services/a/spec", "services/b/spec", "servicesx"),
        await(store.list("")).stream().map(StateRecord::key).toList());
    assertEquals(List.of(), await(store.list("none/")));
  }

  @Test
  void aValueKeepsEveryCharacter() {
    String value = "{\"text\":\"line one\\nline \\\"two\\\" \\u00e9\\u4e2d\",\"list\":[1,2.5,true,null],\n  \"pretty\": {}}";
    StateRecord r = await(store.put("k", value, StateStore.ABSENT));
    assertEquals(value, await(store.get("k")).orElseThrow().value());
    assertEquals(r, await(store.list("k")).get(0));
  }

  // ---------------------------------------------------------------- bad input

  @Test
  void badKeysAreRefusedNamingTheRule() {
    for (String bad : List.of("", "a//b", "/a", "a/", ".hidden", "a/.b", "a b", "a\\b", "x".repeat(513))) {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
          () -> store.put(bad, DOC, StateStore.ANY), () -> "key \"" + bad + "\"");
      assertTrue(e.getMessage().startsWith("key: "), e::getMessage);
      assertThrows(IllegalArgumentException.class, () -> store.get(bad));
      assertThrows(IllegalArgumentException.class, () -> store.delete(bad, StateStore.ANY));
    }
    assertEquals(List.of(), await(store.list("")), "nothing was written");
  }

  @Test
  void aValueThatIsNotJsonOrAnImpossibleVersionIsRefused() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> store.put("k", "{not json", StateStore.ANY));
    assertTrue(e.getMessage().contains("k"), e::getMessage);
    assertThrows(IllegalArgumentException.class, () -> store.put("k", DOC, -2));
    assertThrows(NullPointerException.class, () -> store.put("k", null, StateStore.ANY));
    assertEquals(Optional.empty(), await(store.get("k")));
  }

  // ---------------------------------------------------------------- watches

  @Test
  void aWatchSeesEveryChangeUnderItsPrefixInVersionOrderOnAnotherThread() {
    List<StateEvent> seen = new CopyOnWriteArrayList<>();
    List<Thread> threads = new CopyOnWriteArrayList<>();
    try (Subscription w = store.watch("services/", e -> {
      seen.add(e);
      threads.add(Thread.currentThread());
    })) {
      StateRecord a = await(store.put("services/a", DOC, StateStore.ABSENT));
      await(store.put("nodes/x", DOC, StateStore.ABSENT));
      StateRecord a2 = await(store.put("services/a", "{\"n\":2}", a.version()));
      await(store.delete("services/a", a2.version()));
      Awaitility.await().atMost(timeout()).until(() -> seen.size() >= 3);
      assertEquals(List.of(StateEvent.put(a), StateEvent.put(a2), seen.get(2)), seen);
      assertEquals(StateEvent.Type.DELETE, seen.get(2).type());
      assertTrue(seen.get(2).version() > a2.version());
      assertFalse(threads.contains(Thread.currentThread()), "events arrive on the store's thread");
    }
  }

  @Test
  void aClosedWatchGetsNothingMoreAndAThrowingOneKeepsWatching() {
    List<StateEvent> closed = new CopyOnWriteArrayList<>();
    AtomicInteger calls = new AtomicInteger();
    Subscription first = store.watch("", closed::add);
    try (Subscription throwing = store.watch("", e -> {
      calls.incrementAndGet();
      throw new IllegalStateException("a listener's bug");
    })) {
      await(store.put("a", DOC, StateStore.ANY));
      Awaitility.await().atMost(timeout()).until(() -> closed.size() == 1 && calls.get() == 1);
      first.close();
      await(store.put("b", DOC, StateStore.ANY));
      Awaitility.await().atMost(timeout()).until(() -> calls.get() == 2);
      assertEquals(1, closed.size(), "no event after close");
    }
  }

  // ---------------------------------------------------------------- concurrency and close

  @Test
  void concurrentCompareAndSetsLoseNoUpdate() throws Exception {
    await(store.put("counter", "{\"n\":0}", StateStore.ABSENT));
    int threads = 4;
    int each = 25;
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try {
      List<Future<?>> done = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        done.add(pool.submit(() -> {
          for (int i = 0; i < each; i++) {
            while (true) {
              StateRecord r = await(store.get("counter")).orElseThrow();
              long n = Long.parseLong(r.value().replaceAll("\\D", ""));
              try {
                await(store.put("counter", "{\"n\":" + (n + 1) + "}", r.version()));
                break;
              } catch (AssertionError lost) {
                if (!(lost.getCause() instanceof VersionConflictException)) {
                  throw lost;
                }
              }
            }
          }
          return null;
        }));
      }
      for (Future<?> f : done) {
        f.get(timeout().toMillis(), TimeUnit.MILLISECONDS);
      }
    } finally {
      pool.shutdownNow();
    }
    assertEquals("{\"n\":" + threads * each + "}", await(store.get("counter")).orElseThrow().value());
  }

  @Test
  void aClosedStoreRefusesCalls() {
    await(store.put("k", DOC, StateStore.ANY));
    store.close();
    store.close(); // twice does nothing
    assertInstanceOf(StateStoreException.class, failureOfCall(() -> store.get("k")));
    assertInstanceOf(StateStoreException.class, failureOfCall(() -> store.put("k", DOC, StateStore.ANY)));
    assertInstanceOf(StateStoreException.class, failureOfCall(() -> store.list("")));
    assertInstanceOf(StateStoreException.class, failureOfCall(() -> store.delete("k", StateStore.ANY)));
    assertThrows(StateStoreException.class, () -> store.watch("", e -> { }), "a watch on a closed store");
  }

  @Test
  void aWatchGetsOneEventAtATimeWhateverTheWritersDo() throws Exception {
    AtomicInteger inside = new AtomicInteger();
    AtomicInteger most = new AtomicInteger();
    AtomicInteger seen = new AtomicInteger();
    try (Subscription w = store.watch("", e -> {
      most.accumulateAndGet(inside.incrementAndGet(), Math::max);
      Thread.onSpinWait();
      inside.decrementAndGet();
      seen.incrementAndGet();
    })) {
      ExecutorService pool = Executors.newFixedThreadPool(2);
      try {
        List<Future<?>> writers = new ArrayList<>();
        for (int t = 0; t < 2; t++) {
          int writer = t;
          writers.add(pool.submit(() -> {
            for (int i = 0; i < 50; i++) {
              await(store.put("w" + writer + "/k" + i, DOC, StateStore.ABSENT));
            }
            return null;
          }));
        }
        for (Future<?> f : writers) {
          f.get(timeout().toMillis(), TimeUnit.MILLISECONDS);
        }
      } finally {
        pool.shutdownNow();
      }
      Awaitility.await().atMost(timeout()).until(() -> seen.get() == 100);
      assertEquals(1, most.get(), "never two deliveries at once");
    }
  }

  // ---------------------------------------------------------------- durability (stores that persist)

  @Test
  void recordsAndVersionsSurviveAReopen() {
    StateRecord a = await(store.put("services/a/spec", "{\"replicas\":3}", StateStore.ABSENT));
    StateRecord b = await(store.put("services/b/spec", DOC, StateStore.ABSENT));
    await(store.delete("services/b/spec", b.version()));
    StateStore again = reopen(store);
    assumeTrue(again != null, "the store keeps nothing across a restart");
    store = again;
    assertEquals(List.of(a), await(store.list("")), "what was written, and nothing that was deleted");
    long next = await(store.put("c", DOC, StateStore.ABSENT)).version();
    assertTrue(next > b.version() + 1, () -> "versions go on after a reopen, past the delete: " + next);
  }

  @Test
  void aStoreWithANewerSchemaIsRefusedOnReopen() {
    await(store.put(StateSchema.KEY, StateSchema.value(StateSchema.CURRENT + 1), StateStore.ABSENT));
    UnsupportedSchemaException refused;
    try {
      StateStore again = reopen(store);
      assumeTrue(again != null, "the store keeps nothing across a restart");
      store = again;
      fail("a store holding schema " + (StateSchema.CURRENT + 1) + " opened");
      return;
    } catch (UnsupportedSchemaException e) {
      refused = e;
      store = null; // closed by reopen
    }
    assertEquals(StateSchema.CURRENT + 1, refused.found());
    assertTrue(refused.getMessage().contains("schema " + (StateSchema.CURRENT + 1)), refused::getMessage);
  }

  // ---------------------------------------------------------------- helpers

  /** The value of {@code stage}, waiting up to {@link #timeout()}; fails the test on a failure. */
  protected <T> T await(CompletionStage<T> stage) {
    try {
      return stage.toCompletableFuture().get(timeout().toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted", e);
    } catch (ExecutionException e) {
      throw new AssertionError(store.name() + ": the call failed: " + e.getCause(), e.getCause());
    } catch (TimeoutException e) {
      throw new AssertionError(store.name() + ": no answer within " + timeout(), e);
    }
  }

  /** The failure of {@code stage}; fails the test when it succeeds. */
  protected Throwable failureOf(CompletionStage<?> stage) {
    try {
      Object v = stage.toCompletableFuture().get(timeout().toMillis(), TimeUnit.MILLISECONDS);
      throw new AssertionError(store.name() + ": expected a failure, got " + v);
    } catch (ExecutionException e) {
      return e.getCause();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted", e);
    } catch (TimeoutException e) {
      throw new AssertionError(store.name() + ": no answer within " + timeout(), e);
    }
  }

  private Throwable failureOfCall(java.util.function.Supplier<CompletionStage<?>> call) {
    try {
      return failureOf(call.get());
    } catch (CompletionException | StateStoreException e) {
      return e instanceof CompletionException ? e.getCause() : e;
    }
  }
}
