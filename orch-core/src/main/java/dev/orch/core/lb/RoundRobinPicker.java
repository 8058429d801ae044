package dev.orch.core.lb;

import java.util.concurrent.ThreadLocalRandom;

/** Round robin over the candidates, ignoring their weights (other than excluding weight 0). */
final class RoundRobinPicker extends Picker {
  @Override
  public String name() {
    return "roundRobin";
  }

  @Override
  boolean honoursSlowStart() {
    return false;
  }

  @Override
  Table build(Candidates c) {
    int n = c.size();
    if (n == 0) {
      return Table.EMPTY;
    }
    // A random start, so that every rebuild does not send the next request to the first endpoint.
    StripedSequence counter = new StripedSequence(n, ThreadLocalRandom.current().nextInt(n));
    return new Table() {
      @Override
      int pick(long keyHash) {
        return (int) (counter.next() % n);
      }
    };
  }
}
