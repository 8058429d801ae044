package dev.orch.testkit;

import dev.orch.api.time.TimeSource;
import dev.orch.api.time.VirtualTimeSource;
import dev.orch.core.Orchestrator;
import dev.orch.inmemory.InMemoryRuntime;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * A simulated cluster for one test: a runtime, an orchestrator over it and their time source. Closed by
 * {@link OrchExtension} after the test. Not thread-safe beyond what its parts promise.
 */
public final class OrchCluster implements AutoCloseable {
  private final InMemoryRuntime runtime;
  private final Orchestrator orchestrator;
  private final TimeSource time;

  OrchCluster(InMemoryRuntime runtime, Orchestrator orchestrator, TimeSource time) {
    this.runtime = runtime;
    this.orchestrator = orchestrator;
    this.time = time;
  }

  /** The simulated runtime, for fault injection. */
  public InMemoryRuntime runtime() {
    return runtime;
  }

  /** The orchestrator under test. */
  public Orchestrator orchestrator() {
    return orchestrator;
  }

  /** The virtual clock, when the cluster runs on virtual time. */
  public Optional<VirtualTimeSource> virtualTime() {
    return time instanceof VirtualTimeSource v ? Optional.of(v) : Optional.empty();
  }

  /**
   * Moves virtual time forward by {@code d}, one second at a time, running everything that falls due.
   *
   * @throws IllegalStateException on real time
   */
  public void advance(Duration d) {
    Objects.requireNonNull(d, "d");
    VirtualTimeSource v = virtualTime().orElseThrow(() -> new IllegalStateException(
        "advance(" + d + "): this cluster runs on real time; use @OrchTest(virtualTime = true)"));
    Duration left = d;
    while (left.compareTo(Duration.ofSeconds(1)) > 0) {
      v.advance(Duration.ofSeconds(1));
      left = left.minusSeconds(1);
    }
    v.advance(left);
  }

  /**
   * Advances virtual time until {@code condition} holds, failing with an {@link AssertionError} that says
   * {@code state} when it has not within {@code bound} (see {@link VirtualClocks}).
   *
   * @throws IllegalStateException on real time
   */
  public void advanceUntil(java.util.function.BooleanSupplier condition, Duration bound,
                           java.util.function.Supplier<String> state) {
    Objects.requireNonNull(condition, "condition");
    Objects.requireNonNull(bound, "bound");
    Objects.requireNonNull(state, "state");
    VirtualTimeSource v = virtualTime().orElseThrow(() -> new IllegalStateException(
        "advanceUntil: this cluster runs on real time; use orchestrator().awaitStatus(...) instead"));
    VirtualClocks.advanceUntil(v, condition, bound, state);
  }

  @Override
  public void close() {
    orchestrator.close();
    runtime.close();
    time.close();
  }
}
