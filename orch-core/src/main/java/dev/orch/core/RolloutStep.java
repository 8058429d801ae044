package dev.orch.core;

import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * One step of a rollout, planned or taken: what it does, how many replicas of each revision it asks for,
 * the availability floor and total ceiling it keeps, and the share of traffic each revision gets.
 * {@link Orchestrator#plan} lists the steps a rollout would take; {@link RolloutStatus#steps()} lists
 * those it took, in the same form, so the two compare with {@code equals}. Immutable and thread-safe.
 *
 * @param index        the step's position, from 0
 * @param action       what the step does, in words (such as {@code "setWeight 10%"} or {@code "promote"})
 * @param replicas     replicas asked for, per revision id
 * @param minAvailable the fewest available replicas the step allows
 * @param maxTotal     the most replicas, of every revision, the step allows
 * @param weights      percent of the service's traffic per revision id (blue/green's preview gets none)
 */
public record RolloutStep(int index, String action, Map<String, Integer> replicas, int minAvailable, int maxTotal,
                          Map<String, Double> weights) {
  /** Creates a step, copying the maps into sorted order. */
  public RolloutStep {
    Objects.requireNonNull(action, "action");
    Objects.requireNonNull(replicas, "replicas");
    Objects.requireNonNull(weights, "weights");
    replicas = java.util.Collections.unmodifiableMap(new TreeMap<>(replicas));
    weights = java.util.Collections.unmodifiableMap(new TreeMap<>(weights));
  }

  /** One line: {@code 2 setWeight 10%: replicas {a=4, b=1}, min available 4, max total 5, weights {a=90.0, b=10.0}}. */
  @Override
  public String toString() {
    return index + " " + action + ": replicas " + replicas + ", min available " + minAvailable + ", max total "
        + maxTotal + ", weights " + weights;
  }
}
