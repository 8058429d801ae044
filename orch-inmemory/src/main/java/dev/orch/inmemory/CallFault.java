package dev.orch.inmemory;

import java.time.Duration;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * A fault to inject into the in-memory runtime's calls: make them fail with a
 * {@link dev.orch.api.runtime.RuntimeUnavailableException} (the node's fault), refuse them with a
 * {@link dev.orch.api.runtime.RequestRefusedException} (the request's fault: an image that does not exist, a
 * memory limit below the engine's minimum), answer late, or a mix; for every operation or some, on every
 * node or one; for the next {@code n} matching calls, for a while, or until cleared. Immutable and
 * thread-safe; build one with {@link #failing()}, {@link #refusing()} or {@link #slow(Duration)}.
 *
 * <pre>{@code
 * runtime.injectFault(CallFault.failing().operations(RuntimeOperation.CREATE).node("node-2").times(3).build());
 * runtime.injectFault(CallFault.slow(Duration.ofMillis(500)).lasting(Duration.ofSeconds(10)).build());
 * }</pre>
 */
public final class CallFault {
  private final Set<RuntimeOperation> operations;
  private final Optional<String> nodeId;
  private final boolean failing;
  private final Duration latency;
  private final int times;
  private final Optional<Duration> lasting;
  private final String message;
  private final boolean refusing;

  private CallFault(Builder b) {
    this.refusing = b.refusing;
    this.operations = b.operations.isEmpty()
        ? Set.copyOf(EnumSet.allOf(RuntimeOperation.class)) : Set.copyOf(b.operations);
    this.nodeId = Optional.ofNullable(b.nodeId);
    this.failing = b.failing;
    this.latency = b.latency;
    this.times = b.times;
    this.lasting = Optional.ofNullable(b.lasting);
    this.message = b.message;
  }

  /** Starts a fault that makes matching calls fail with {@code RuntimeUnavailableException}. */
  public static Builder failing() {
    return new Builder(true, Duration.ZERO);
  }

  /**
   * Starts a fault that makes matching calls fail with {@code RequestRefusedException}: the runtime answers
   * and refuses the request, as an engine refuses a create of an image it does not have.
   */
  public static Builder refusing() {
    Builder b = new Builder(true, Duration.ZERO);
    b.refusing = true;
    b.message = "refused";
    return b;
  }

  /**
   * Starts a fault that delays matching calls by {@code latency} (by the runtime's time source).
   *
   * @throws IllegalArgumentException if {@code latency} is negative
   */
  public static Builder slow(Duration latency) {
    return new Builder(false, Builder.checkLatency(latency));
  }

  /** The operations it affects; every operation unless narrowed. */
  public Set<RuntimeOperation> operations() {
    return operations;
  }

  /** The node it affects, or empty for every node (and for calls tied to no node, like {@code list}). */
  public Optional<String> nodeId() {
    return nodeId;
  }

  /** Whether matching calls fail. */
  public boolean isFailing() {
    return failing;
  }

  /** Whether failing calls are refusals of the request ({@code RequestRefusedException}), not the node's fault. */
  public boolean isRefusing() {
    return refusing;
  }

  /** How late matching calls answer; zero for no delay. */
  public Duration latency() {
    return latency;
  }

  /** How many matching calls it affects before it ends, or -1 for no limit. */
  public int times() {
    return times;
  }

  /** How long after injection it ends, or empty for never (until cleared). */
  public Optional<Duration> lasting() {
    return lasting;
  }

  /** The reason a failing call reports. */
  public String message() {
    return message;
  }

  /** Whether a call of {@code op} on {@code node} (null: no node) is affected. */
  boolean matches(RuntimeOperation op, @Nullable String node) {
    if (!operations.contains(op)) {
      return false;
    }
    return nodeId.isEmpty() || nodeId.get().equals(node);
  }

  @Override
  public String toString() {
    return "CallFault{" + (refusing ? "refusing" : failing ? "failing" : "") + (latency.isZero() ? "" : " latency=" + latency)
        + " operations=" + operations + nodeId.map(n -> " node=" + n).orElse("")
        + (times >= 0 ? " times=" + times : "") + lasting.map(d -> " lasting=" + d).orElse("") + "}";
  }

  /** Builds a {@link CallFault}; not thread-safe. */
  public static final class Builder {
    private final boolean failing;
    private Duration latency;
    private final Set<RuntimeOperation> operations = EnumSet.noneOf(RuntimeOperation.class);
    private @Nullable String nodeId;
    private int times = -1;
    private @Nullable Duration lasting;
    private String message = "injected failure";
    private boolean refusing;

    private Builder(boolean failing, Duration latency) {
      this.failing = failing;
      this.latency = latency;
    }

    private static Duration checkLatency(Duration latency) {
      Objects.requireNonNull(latency, "latency");
      if (latency.isNegative()) {
        throw new IllegalArgumentException("latency: " + latency + ": must be >= 0");
      }
      return latency;
    }

    /** Affects only these operations (every operation if never called). */
    public Builder operations(RuntimeOperation... ops) {
      Objects.requireNonNull(ops, "ops");
      operations.addAll(Arrays.asList(ops));
      return this;
    }

    /** Affects only calls concerning node {@code nodeId}. */
    public Builder node(String nodeId) {
      this.nodeId = Objects.requireNonNull(nodeId, "nodeId");
      return this;
    }

    /** Also delays matching calls by {@code latency}. */
    public Builder latency(Duration latency) {
      this.latency = checkLatency(latency);
      return this;
    }

    /**
     * Ends after {@code n} matching calls.
     *
     * @throws IllegalArgumentException if {@code n < 1}
     */
    public Builder times(int n) {
      if (n < 1) {
        throw new IllegalArgumentException("times: " + n + ": must be >= 1");
      }
      this.times = n;
      return this;
    }

    /**
     * Ends {@code duration} after injection, by the runtime's time source.
     *
     * @throws IllegalArgumentException if {@code duration} is not positive
     */
    public Builder lasting(Duration duration) {
      Objects.requireNonNull(duration, "duration");
      if (duration.isNegative() || duration.isZero()) {
        throw new IllegalArgumentException("lasting: " + duration + ": must be > 0");
      }
      this.lasting = duration;
      return this;
    }

    /** The reason failing calls report (default {@code "injected failure"}). */
    public Builder message(String message) {
      this.message = Objects.requireNonNull(message, "message");
      return this;
    }

    /** Builds the fault. */
    public CallFault build() {
      return new CallFault(this);
    }
  }
}
