package dev.orch.core.lb;

import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Finagle's peak-EWMA with two random choices: draw two distinct candidates and take the one whose
 * latency EWMA (peak-sensitive, decaying over {@code decay}) times (in-flight + 1) is lower. The
 * comparison needs only the difference of the two EWMAs' stamps, so a pick reads no clock.
 */
final class PeakEwmaPicker extends Picker {
  private final double tauNanos;
  private final Duration decay;

  PeakEwmaPicker(Duration decay) {
    if (decay.isNegative() || decay.isZero()) {
      throw new IllegalArgumentException("peakEwma.decay: " + decay + ": must be positive");
    }
    this.decay = decay;
    this.tauNanos = decay.toNanos();
  }

  @Override
  public String name() {
    return "peakEwma";
  }

  @Override
  boolean usesLatency() {
    return true;
  }

  double tauNanos() {
    return tauNanos;
  }

  @Override
  Table build(Candidates c) {
    if (c.size() == 0) {
      return Table.EMPTY;
    }
    WeightedSampler sampler = new WeightedSampler(c);
    EndpointStats[] stats = c.stats;
    double inverseTau = 1.0 / tauNanos;
    return new Table() {
      @Override
      int pick(long keyHash) {
        ThreadLocalRandom r = ThreadLocalRandom.current();
        int a = sampler.sample(r);
        int b = sampler.sampleOther(r, a);
        return EndpointStats.cheaper(stats[b], stats[a], inverseTau) ? b : a;
      }
    };
  }

  @Override
  public String toString() {
    return "peakEwma(decay=" + decay + ")";
  }
}
