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
}
