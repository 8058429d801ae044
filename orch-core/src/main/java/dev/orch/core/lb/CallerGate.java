package dev.orch.core.lb;

import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * Lets a balancer's picks through, or refuses them with a {@link CallRefusedException} while whoever holds the
 * gate says so: an orchestrator gives each balancer it builds a gate of its own and closes it while its network
 * policies deny the caller that named itself ({@link LoadBalancer.Builder#caller}). Open when made. Thread-safe;
 * reading it on the pick path is one volatile read.
 */
public final class CallerGate {
  /** The gate of a balancer built without one: always open. */
  static final CallerGate OPEN = new CallerGate();

  private volatile @Nullable Refusal refusal;

  /** An open gate. */
  public CallerGate() {
  }

  /** Refuses picks from now on for {@code reason} (the rule in words), running {@code onRefused} at each. */
  public void refuse(String reason, Runnable onRefused) {
    if (this == OPEN) {
      throw new IllegalStateException("the shared open gate cannot be closed");
    }
    this.refusal = new Refusal(Objects.requireNonNull(reason, "reason"), Objects.requireNonNull(onRefused,
        "onRefused"));
  }

  /** Lets picks through from now on. */
  public void allow() {
    this.refusal = null;
  }

  /** Whether picks are refused now. */
  public boolean isClosed() {
    return refusal != null;
  }

  /** Throws for a refused pick by {@code caller} of {@code service}, after counting it. */
  void check(@Nullable String caller, String service) {
    Refusal r = refusal;
    if (r != null) {
      r.onRefused.run();
      throw new CallRefusedException(caller, service, r.reason);
    }
  }

  private record Refusal(String reason, Runnable onRefused) {
  }
}
