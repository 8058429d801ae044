package dev.orch.inmemory;

import static dev.orch.inmemory.SimFixture.failure;
import static dev.orch.inmemory.SimFixture.join;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.orch.api.runtime.ContainerRuntimeException;
import dev.orch.api.runtime.ContainerState;
import dev.orch.api.runtime.ProbeResult;
import dev.orch.api.runtime.ProbeTransport;
import dev.orch.api.spec.ContainerSpec;
import dev.orch.api.spec.PortRef;
import dev.orch.api.spec.ProbeAction;
import dev.orch.api.spec.ProbeKind;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/** Each built-in behaviour, on virtual time. */
class BehaviorsTest {
  private static final ProbeAction READY = new ProbeAction.HttpGet("/ready", PortRef.number(8080));
  private static final ProbeAction LIVE = new ProbeAction.HttpGet("/healthz", PortRef.number(8080));
  private static final ProbeAction TCP = new ProbeAction.TcpSocket(PortRef.number(8080));

  private static boolean probe(SimFixture f, String id, ProbeAction action) {
    ProbeTransport t = f.runtime.probeTransport().orElseThrow();
    ProbeKind kind = action == READY ? ProbeKind.READINESS : ProbeKind.LIVENESS;
    ProbeResult r = join(t.probe(id, kind, action, Duration.ofSeconds(1)));
    return r.success();
  }

  private static Duration s(double seconds) {
    return Duration.ofMillis((long) (seconds * 1000));
  }

  @Test
  void runForeverRunsUntilStoppedAndExitsZeroOnSigterm() {
    try (SimFixture f = new SimFixture(1)) {
      String id = f.run("web", "node-1", "nginx:1.25");
      f.advance(Duration.ofHours(10));
      assertEquals(ContainerState.RUNNING, f.inspect(id).state());
      CompletableFuture<Void> stop = f.runtime.stop(id, Duration.ofSeconds(30)).toCompletableFuture();
      f.settle();
      assertTrue(stop.isDone());
      assertEquals(0, f.inspect(id).exitCode().orElseThrow());
      assertEquals(List.of("Created", "Started", "Exited(0)"), f.eventsOf(id));
    }
  }

  @Test
  void exitAfterExitsWithItsCodeAtTheDelay() {
    try (SimFixture f = new SimFixture(1, b -> b.behavior("job", Behaviors.exitAfter(s(2), 3)))) {
      String id = f.run("job-1", "node-1", "job");
      f.advance(s(1.999));
      assertEquals(ContainerState.RUNNING, f.inspect(id).state());
      f.advance(s(0.001));
      assertEquals(ContainerState.EXITED, f.inspect(id).state());
      assertEquals(3, f.inspect(id).exitCode().orElseThrow());
      assertEquals(f.clock.now(), f.inspect(id).finishedAt().orElseThrow());
      assertEquals(List.of("Created", "Started", "Exited(3)"), f.eventsOf(id));
    }
  }

  @Test
  void crashEveryCrashesOneIntervalAfterEachStart() {
    try (SimFixture f = new SimFixture(1, b -> b.behavior("flaky", Behaviors.crashEvery(s(5), 2)))) {
      String id = f.run("flaky-1", "node-1", "flaky");
      f.advance(s(5));
      assertEquals(2, f.inspect(id).exitCode().orElseThrow());
      f.advance(s(3));
      join(f.runtime.start(id));
      f.advance(s(4.9));
      assertTrue(f.inspect(id).isRunning());
      f.advance(s(0.1));
      assertFalse(f.inspect(id).isRunning());
      f.settle();
      assertEquals(List.of("Created", "Started", "Exited(2)", "Started", "Exited(2)"), f.eventsOf(id));
    }
  }

  @Test
  void crashRandomlyRepeatsWithTheSameSeed() {
    List<Object> first = crashTimes(7);
    assertEquals(first, crashTimes(7));
    assertFalse(first.equals(crashTimes(8)), "another seed gives other crash times");
  }

  private static List<Object> crashTimes(long seed) {
    try (SimFixture f = new SimFixture(1, b -> b.seed(seed).behavior("r", Behaviors.crashRandomly(s(10), 1)))) {
      String a = f.run("a", "node-1", "r");
      String b = f.run("b", "node-1", "r");
      f.advance(Duration.ofHours(1));
      return List.of(f.inspect(a).finishedAt().orElseThrow(), f.inspect(b).finishedAt().orElseThrow());
    }
  }

  @Test
  void notReadyForFailsReadinessOnlyInItsWindow() {
    try (SimFixture f = new SimFixture(1, b -> b.behavior("w", Behaviors.notReadyFor(s(1), s(3))))) {
      String id = f.run("w-1", "node-1", "w");
      f.advance(s(0.5));
      assertTrue(probe(f, id, READY));
      f.advance(s(0.5));
      assertFalse(probe(f, id, READY));
      assertTrue(probe(f, id, LIVE), "liveness is not affected");
      f.advance(s(2));
      assertTrue(probe(f, id, READY));
    }
  }

  @Test
  void notLiveForFailsLivenessInItsWindow() {
    try (SimFixture f = new SimFixture(1, b -> b.behavior("w", Behaviors.notLiveFor(s(1), s(2))))) {
      String id = f.run("w-1", "node-1", "w");
      f.advance(s(1.5));
      assertFalse(probe(f, id, LIVE));
      assertFalse(probe(f, id, TCP));
      f.advance(s(1));
      assertTrue(probe(f, id, LIVE));
    }
  }

  @Test
  void failLivenessAfterHangsButKeepsRunning() {
    try (SimFixture f = new SimFixture(1, b -> b.behavior("h", Behaviors.failLivenessAfter(s(2))))) {
      String id = f.run("h-1", "node-1", "h");
      assertTrue(probe(f, id, TCP));
      f.advance(s(2));
      assertFalse(probe(f, id, TCP));
      assertFalse(probe(f, id, READY));
      assertTrue(f.inspect(id).isRunning());
      join(f.runtime.kill(id));
      join(f.runtime.start(id));
      assertTrue(probe(f, id, TCP), "a restart cures it");
    }
  }

  @Test
  void slowStartIsNeitherLiveNorReadyUntilStarted() {
    try (SimFixture f = new SimFixture(1, b -> b.behavior("slow", Behaviors.slowStart(s(5))))) {
      String id = f.run("slow-1", "node-1", "slow");
      f.advance(s(4.9));
      assertFalse(probe(f, id, LIVE));
      assertFalse(probe(f, id, READY));
      f.advance(s(0.1));
      assertTrue(probe(f, id, LIVE));
      assertTrue(probe(f, id, READY));
      assertEquals(List.of("starting", "started"), join(f.runtime.logs(id, 10)));
    }
  }

  @Test
  void ignoreSigtermIsKilledWhenTheGraceEnds() {
    try (SimFixture f = new SimFixture(1, b -> b.behavior("stubborn", Behaviors.ignoreSigterm()))) {
      String id = f.run("s-1", "node-1", "stubborn");
      CompletableFuture<Void> stop = f.runtime.stop(id, s(10)).toCompletableFuture();
      f.advance(s(9.999));
      assertFalse(stop.isDone());
      assertTrue(f.inspect(id).isRunning());
      f.advance(s(0.001));
      f.settle();
      assertTrue(stop.isDone());
      assertEquals(137, f.inspect(id).exitCode().orElseThrow());
      assertFalse(f.inspect(id).oomKilled());
      assertEquals(List.of("ignoring SIGTERM", "killed after the grace period of PT10S"), join(f.runtime.logs(id, 5)));
    }
  }

  @Test
  void slowShutdownDrainsWithinGraceOrIsKilled() {
    try (SimFixture f = new SimFixture(1, b -> b.behavior("d", Behaviors.slowShutdown(s(2))))) {
      String a = f.run("a", "node-1", "d");
      String b = f.run("b", "node-1", "d");
      f.runtime.stop(a, s(10));
      f.runtime.stop(b, s(1));
      f.advance(s(1));
      assertEquals(137, f.inspect(b).exitCode().orElseThrow());
      assertTrue(f.inspect(a).isRunning());
      f.advance(s(1));
      assertEquals(0, f.inspect(a).exitCode().orElseThrow());
    }
  }

  @Test
  void leakMemoryIsOomKilledAtItsLimit() {
    try (SimFixture f = new SimFixture(1, b -> b.behavior("leaky", Behaviors.leakMemory(1024 * 1024)))) {
      ContainerSpec limited = ContainerSpec.builder("leaky").limits("1", "10Mi").build();
      String id = f.run("leaky-1", "node-1", limited);
      String unlimited = f.run("leaky-2", "node-1", "leaky");
      f.advance(s(10));
      assertTrue(f.inspect(id).isRunning(), "at the limit, not past it");
      f.advance(s(0.001));
      assertEquals(ContainerState.EXITED, f.inspect(id).state());
      assertEquals(137, f.inspect(id).exitCode().orElseThrow());
      assertTrue(f.inspect(id).oomKilled());
      f.settle();
      assertEquals(List.of("Created", "Started", "OomKilled", "Exited(137,oom)"), f.eventsOf(id));
      f.advance(Duration.ofHours(1));
      assertTrue(f.inspect(unlimited).isRunning(), "without a limit it is never killed");
      join(f.runtime.start(id));
      assertFalse(f.inspect(id).oomKilled(), "a new run clears the flag");
    }
  }

  @Test
  void aUserBehaviourSeesItsProcessAndDrivesIt() {
    ContainerBehavior countdown = new ContainerBehavior() {
      @Override
      public void onStart(ContainerProcess p) {
        int code = Integer.parseInt(p.spec().env().get("CODE"));
        p.attributes().put("ticks", 0);
        p.schedule(s(1), () -> tick(p, code));
      }

      private void tick(ContainerProcess p, int code) {
        int ticks = (Integer) p.attributes().get("ticks") + 1;
        p.attributes().put("ticks", ticks);
        p.log("tick " + ticks + " of run " + p.previousRuns());
        if (ticks == 3) {
          p.exit(code);
        } else {
          p.schedule(s(1), () -> tick(p, code));
        }
      }
    };
    try (SimFixture f = new SimFixture(1, b -> b.behavior("countdown", countdown))) {
      String id = f.run("c", "node-1", ContainerSpec.builder("countdown:2").env("CODE", "9").build());
      f.advance(s(3));
      assertEquals(9, f.inspect(id).exitCode().orElseThrow());
      assertEquals(List.of("tick 1 of run 0", "tick 2 of run 0", "tick 3 of run 0"), join(f.runtime.logs(id, 100)));
      assertEquals(List.of("tick 3 of run 0"), join(f.runtime.logs(id, 1)));
    }
  }

  @Test
  void aBehaviourThatThrowsCrashesItsContainerWithCodeOne() {
    ContainerBehavior broken = new ContainerBehavior() {
      @Override
      public void onStart(ContainerProcess p) {
        throw new IllegalStateException("boom");
      }
    };
    try (SimFixture f = new SimFixture(1, b -> b.behavior("broken", broken))) {
      String id = f.run("b", "node-1", "broken");
      assertEquals(1, f.inspect(id).exitCode().orElseThrow());
      assertTrue(join(f.runtime.logs(id, 1)).get(0).contains("boom"));
    }
  }

  @Test
  void aControlledContainerReportsWhatTheTestSets() {
    try (SimFixture f = new SimFixture(1)) {
      String id = f.run("c", "node-1", "controlled");
      ContainerProcess p = f.runtime.process(id).orElseThrow();
      assertTrue(probe(f, id, READY));
      p.attributes().put(Behaviors.READY, false);
      assertFalse(probe(f, id, READY));
      assertTrue(probe(f, id, LIVE));
      p.attributes().put(Behaviors.LIVE, false);
      assertFalse(probe(f, id, TCP));
      p.useMemory(1 << 20);
      assertEquals(1 << 20, p.memoryUsageBytes());
      p.exit(5);
      assertEquals(5, f.inspect(id).exitCode().orElseThrow());
      assertTrue(f.runtime.process(id).isEmpty(), "no run while exited");
      join(f.runtime.start(id));
      assertTrue(probe(f, id, READY), "a new run starts live and ready");
      assertThrows(dev.orch.api.runtime.NoSuchContainerException.class, () -> f.runtime.process("nope"));
    }
  }

  @Test
  void imageConventionsSelectBuiltIns() {
    try (SimFixture f = new SimFixture(1)) {
      String exit = f.run("e", "node-1", "exit:3:after=2s");
      String now = f.run("n", "node-1", "exit:4");
      String crash = f.run("c", "node-1", "crash:5:every=500ms");
      String slow = f.run("s", "node-1", "slow-start:1s");
      f.advance(s(0.5));
      assertEquals(4, f.inspect(now).exitCode().orElseThrow());
      assertEquals(5, f.inspect(crash).exitCode().orElseThrow());
      assertFalse(probe(f, slow, READY));
      f.advance(s(1.5));
      assertEquals(3, f.inspect(exit).exitCode().orElseThrow());
      assertTrue(probe(f, slow, READY));
    }
  }

  @Test
  void aMalformedConventionFailsCreateNamingTheImage() {
    try (SimFixture f = new SimFixture(1)) {
      Throwable t = failure(f.runtime.create(new dev.orch.api.runtime.ContainerCreateRequest("x", "node-1",
          ContainerSpec.builder("exit:3:after=soon").build(), java.util.Map.of())));
      assertInstanceOf(ContainerRuntimeException.class, t);
      assertTrue(t.getMessage().startsWith("node-1: create x failed: image: \"exit:3:after=soon\""), t.getMessage());
    }
  }

  @Test
  void aBehaviourRegisteredWithoutTagServesEveryTag() {
    try (SimFixture f = new SimFixture(1, b -> b.behavior("orders", Behaviors.exitAfter(s(1), 7)))) {
      String id = f.run("o", "node-1", "orders:1.4");
      f.advance(s(1));
      assertEquals(7, f.inspect(id).exitCode().orElseThrow());
    }
  }

  @Test
  void factoriesRefuseBadArgumentsNamingThem() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> Behaviors.exitAfter(s(-1), 0));
    assertEquals("delay: PT-1S: must be >= 0", e.getMessage());
    assertEquals("exitCode: 256: must be within 0..255",
        assertThrows(IllegalArgumentException.class, () -> Behaviors.exitAfter(s(1), 256)).getMessage());
    assertEquals("to: PT1S: must be after from (PT2S)",
        assertThrows(IllegalArgumentException.class, () -> Behaviors.notReadyFor(s(2), s(1))).getMessage());
    assertEquals("bytesPerSecond: 0: must be > 0",
        assertThrows(IllegalArgumentException.class, () -> Behaviors.leakMemory(0)).getMessage());
    assertEquals(Duration.ofMillis(1500), Behaviors.parseDuration("1.5s"));
  }
}
