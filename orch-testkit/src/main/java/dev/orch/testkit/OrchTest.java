package dev.orch.testkit;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Inherited;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Hands each test method a fresh simulated cluster: an {@link dev.orch.core.Orchestrator} over an
 * {@link dev.orch.inmemory.InMemoryRuntime}, with virtual time by default. Declare parameters of type
 * {@code Orchestrator}, {@code InMemoryRuntime}, {@code VirtualTimeSource} or {@link OrchCluster}.
 *
 * <pre>{@code
 * @OrchTest(nodes = 3)
 * class MyTest {
 *   @Test
 *   void heals(OrchCluster cluster) {
 *     cluster.orchestrator().apply(spec);
 *     cluster.advance(Duration.ofSeconds(5));
 *     assertTrue(cluster.orchestrator().status("orders").orElseThrow().isReady());
 *   }
 * }
 * }</pre>
 */
@Documented
@Inherited
@Retention(RetentionPolicy.RUNTIME)
@Target({ElementType.TYPE, ElementType.METHOD})
@ExtendWith(OrchExtension.class)
public @interface OrchTest {
  /** How many nodes, named {@code node-1} to {@code node-N}. */
  int nodes() default 3;

  /** Each node's CPU, as {@code Resources.of} reads it. */
  String nodeCpu() default "4";

  /** Each node's memory, as {@code Resources.of} reads it. */
  String nodeMemory() default "8Gi";

  /** Virtual time (deterministic; the test advances the clock) or real time. */
  boolean virtualTime() default true;

  /** The seed of every random choice. */
  long seed() default 1;

  /**
   * Zones to spread the nodes over: node {@code i} (1-based) gets the label {@code zone=zones[(i-1) % n]}.
   * Empty (the default): no zone label.
   */
  String[] zones() default {};

  /** Labels every node carries, each {@code key=value}. */
  String[] nodeLabels() default {};

  /**
   * Image behaviours, each {@code image=convention}, the convention as
   * {@code dev.orch.inmemory.Behaviors.fromImage} reads it: {@code "web:2=crash:1:every=5s"} makes image
   * {@code web:2} crash with code 1 every 5 s. Images named by no entry run by their own name's convention,
   * or forever.
   */
  String[] images() default {};

  /**
   * Short timings for tests on real time, so that none needs four builder overrides: node-lost grace 2 s,
   * termination grace 1 s, drain timeout 2 s, call timeout 5 s, resync every 5 s, crash-loop backoff 100 ms
   * doubling to 2 s. Off by default (the orchestrator's production defaults).
   */
  boolean fastTimings() default false;

  /**
   * A class (public, with a public no-argument constructor) that adjusts the orchestrator's builder after
   * every other setting here, for whatever else a test needs (owner id, revision history, a scheduler).
   */
  Class<? extends OrchestratorCustomizer> orchestrator() default OrchestratorCustomizer.None.class;
}
