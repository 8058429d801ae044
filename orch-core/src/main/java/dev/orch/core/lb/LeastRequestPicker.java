package dev.orch.core.lb;

import java.util.concurrent.ThreadLocalRandom;

/**
 * Least request with two random choices (Envoy's default least-request): draw two distinct candidates
 * (in proportion to weight) and take the one with fewer requests in flight.
 */
final class LeastRequestPicker extends Picker {
  @Override
  public String name() {
    return "leastRequest";
  }

  @Override
  Table build(Candidates c) {
    if (c.size() == 0) {
      return Table.EMPTY;
    }
    WeightedSampler sampler = new WeightedSampler(c);
    EndpointStats[] stats = c.stats;
    return new Table() {
      @Override
      int pick(long keyHash) {
        ThreadLocalRandom r = ThreadLocalRandom.current();
        int a = sampler.sample(r);
        int b = sampler.sampleOther(r, a);
        return stats[b].inFlight() < stats[a].inFlight() ? b : a;
      }
    };
  }
}
