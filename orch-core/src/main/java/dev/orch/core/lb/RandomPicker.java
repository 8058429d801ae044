package dev.orch.core.lb;

import java.util.concurrent.ThreadLocalRandom;

/** A random candidate, in proportion to its weight. */
final class RandomPicker extends Picker {
  @Override
  public String name() {
    return "random";
  }

  @Override
  Table build(Candidates c) {
    if (c.size() == 0) {
      return Table.EMPTY;
    }
    WeightedSampler sampler = new WeightedSampler(c);
    return new Table() {
      @Override
      int pick(long keyHash) {
        return sampler.sample(ThreadLocalRandom.current());
      }
    };
  }
}
