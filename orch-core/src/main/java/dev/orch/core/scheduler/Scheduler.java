package dev.orch.core.scheduler;

import dev.orch.core.scheduler.Scores.BuiltinScore;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;

/**
 * Chooses a node for each replica: filter, then score, and explain every refusal.
 *
 * <p>Filters (all must pass): node ready; the replica's node-local volume is on the node; node selector;
 * NoSchedule and NoExecute taints tolerated; CPU and memory requests fit what is left; host ports free;
 * hard replica anti-affinity; hard topology spread; then user {@link Filter}s. Among the nodes that pass,
 * the highest weighted sum of {@link Score}s wins; ties break by a random choice seeded from
 * {@link Builder#seed} and the snapshot's history, so the same inputs and seed give the same placements.
 * On a large cluster only a sample of the feasible nodes is scored (see
 * {@link Builder#percentageOfNodesToScore}).
 *
 * <pre>{@code
 * Scheduler scheduler = Scheduler.builder().seed(42).meterRegistry(registry).build();
 * ClusterSnapshot snapshot = ClusterSnapshot.of(nodes);
 * PlacementResult r = scheduler.place(snapshot, ReplicaRequest.of(spec, "orders-0"));
 * if (r instanceof PlacementResult.Placed p) {
 *   start(p.nodeId());                        // on a later failure: scheduler.release(snapshot, "orders-0")
 * } else if (r instanceof PlacementResult.Unschedulable u) {
 *   log.info(u.message());                    // 0/5 nodes fit: 3 insufficient memory, 2 missing label zone=eu
 * }
 * }</pre>
 *
 * <p>Immutable and thread-safe: one scheduler may serve many snapshots on many threads, but each snapshot
 * has one owner ({@link ClusterSnapshot} is not thread-safe). Metrics, when a registry is given:
 * {@code orch.scheduler.placements} and {@code orch.scheduler.unschedulable} (counters) and
 * {@code orch.scheduler.placement.duration} (timer).
 */
public final class Scheduler {
  private final PlacementKernel kernel;
  private final long seed;
  private final boolean preemption;
  private final @Nullable Counter placements;
  private final @Nullable Counter unschedulable;
  private final @Nullable Timer duration;

  private Scheduler(Builder b) {
    double[] weights = new double[BuiltinScore.COUNT];
    List<Score> user = new ArrayList<>();
    List<Double> userWeights = new ArrayList<>();
    Map<Score, Double> scores = b.scores.isEmpty() ? defaultScores() : b.scores;
    for (Map.Entry<Score, Double> e : scores.entrySet()) {
      if (e.getKey() instanceof BuiltinScore builtin) {
        weights[builtin.kind] = e.getValue();
      } else {
        user.add(e.getKey());
        userWeights.add(e.getValue());
      }
    }
    this.kernel = new PlacementKernel(weights, b.filters.toArray(new Filter[0]), user.toArray(new Score[0]),
        userWeights.stream().mapToDouble(Double::doubleValue).toArray(), b.percentage);
    this.seed = b.seed;
    this.preemption = b.preemption;
    if (b.registry != null) {
      placements = Counter.builder("orch.scheduler.placements")
          .description("replicas placed on a node").register(b.registry);
      unschedulable = Counter.builder("orch.scheduler.unschedulable")
          .description("placements refused because no node fits").register(b.registry);
      duration = Timer.builder("orch.scheduler.placement.duration")
          .description("time to place one replica, fitted or not").register(b.registry);
    } else {
      placements = null;
      unschedulable = null;
      duration = null;
    }
  }

  private static Map<Score, Double> defaultScores() {
    Map<Score, Double> m = new LinkedHashMap<>();
    m.put(Scores.leastAllocated(), 1.0);
    m.put(Scores.balancedAllocation(), 1.0);
    m.put(Scores.softAntiAffinity(), 5.0);
    m.put(Scores.softSpread(), 5.0);
    m.put(Scores.preferNoScheduleTaints(), 3.0);
    return m;
  }

  /** Starts a builder: seed 0, the default scores, adaptive sampling, preemption on, no metrics. */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * Places one replica: on success reserves its requests and host ports on the chosen node in
   * {@code snapshot} at once; on failure reserves nothing and says why, per reason, and (for a replica with
   * a priority above others) which replicas to preempt to make room.
   *
   * @throws IllegalArgumentException when the snapshot already holds a replica with the same id
   */
  public PlacementResult place(ClusterSnapshot snapshot, ReplicaRequest replica) {
    Objects.requireNonNull(snapshot, "snapshot");
    Objects.requireNonNull(replica, "replica");
    long start = duration != null ? System.nanoTime() : 0;
    snapshot.requireNew(replica);
    ServiceState svc = snapshot.service(replica.service());
    CompiledPlacement c = snapshot.compile(svc, replica.placement());
    c.prepare(svc);
    int node = kernel.choose(snapshot, c, svc, replica, seed);
    PlacementResult result;
    if (node >= 0) {
      snapshot.reserve(replica, node);
      result = snapshot.placed[node];
      if (placements != null) {
        placements.increment();
      }
    } else {
      result = unschedulable(snapshot, c, svc, replica);
      if (unschedulable != null) {
        unschedulable.increment();
      }
    }
    if (duration != null) {
      duration.record(System.nanoTime() - start, TimeUnit.NANOSECONDS);
    }
    return result;
  }

  private PlacementResult.Unschedulable unschedulable(ClusterSnapshot s, CompiledPlacement c, ServiceState svc,
                                                      ReplicaRequest r) {
    Map<String, Integer> reasons = Refusals.count(s, c, r, kernel.filters());
    Optional<Preemption> plan = preemption
        ? PreemptionPlanner.plan(kernel, s, c, svc, r) : Optional.empty();
    return new PlacementResult.Unschedulable(reasons, Refusals.message(0, s.liveCount, reasons), plan);
  }

  /**
   * Places each replica in turn, each reserving before the next is placed (so the batch never overcommits);
   * a replica that fits nowhere does not stop the others.
   *
   * @return one result per replica, in order
   */
  public List<PlacementResult> placeEach(ClusterSnapshot snapshot, List<ReplicaRequest> replicas) {
    Objects.requireNonNull(snapshot, "snapshot");
    Objects.requireNonNull(replicas, "replicas");
    List<PlacementResult> out = new ArrayList<>(replicas.size());
    for (ReplicaRequest r : replicas) {
      out.add(place(snapshot, r));
    }
    return out;
  }

  /**
   * Places a group all or nothing: the largest requests first (which packs better), each reserving; if one
   * fits nowhere, every reservation made for the group is released and the result names it.
   *
   * @throws IllegalArgumentException when a replica id appears twice or is already in the snapshot (then
   *                                  nothing is reserved)
   */
  public GangResult placeGang(ClusterSnapshot snapshot, List<ReplicaRequest> replicas) {
    Objects.requireNonNull(snapshot, "snapshot");
    Objects.requireNonNull(replicas, "replicas");
    List<ReplicaRequest> order = new ArrayList<>(replicas);
    order.sort(Comparator.<ReplicaRequest>comparingLong(r -> -r.cpuMillis())
        .thenComparingLong(r -> -r.memoryBytes()));
    java.util.Set<String> ids = new java.util.HashSet<>();
    for (ReplicaRequest r : order) {
      snapshot.requireNew(r);
      if (!ids.add(r.replicaId())) {
        throw new IllegalArgumentException("replicas: \"" + r.replicaId() + "\": appears twice in the gang");
      }
    }
    Map<String, String> nodes = new LinkedHashMap<>();
    List<String> reserved = new ArrayList<>(order.size());
    try {
      for (ReplicaRequest r : order) {
        PlacementResult result = place(snapshot, r);
        if (result instanceof PlacementResult.Unschedulable u) {
          releaseAll(snapshot, reserved);
          return new GangResult.Unschedulable(r.replicaId(), u);
        }
        reserved.add(r.replicaId());
      }
    } catch (RuntimeException e) {
      releaseAll(snapshot, reserved); // a user plugin threw: the gang still reserves nothing
      throw e;
    }
    for (ReplicaRequest r : replicas) {
      nodes.put(r.replicaId(), snapshot.nodeOf(r.replicaId()).orElseThrow());
    }
    return new GangResult.Placed(nodes);
  }

  private static void releaseAll(ClusterSnapshot snapshot, List<String> reserved) {
    for (String id : reserved) {
      snapshot.removeReplica(id);
    }
  }

  /**
   * Frees what replica {@code replicaId} reserved (its placement failed later, or it stopped); the same as
   * {@link ClusterSnapshot#removeReplica}.
   *
   * @return whether the snapshot held it
   */
  public boolean release(ClusterSnapshot snapshot, String replicaId) {
    Objects.requireNonNull(snapshot, "snapshot");
    Objects.requireNonNull(replicaId, "replicaId");
    return snapshot.removeReplica(replicaId);
  }

  /**
   * The smallest set of strictly lower-priority replicas whose removal would let {@code replica} fit, if
   * it fits nowhere now and such a set exists. Changes nothing.
   */
  public Optional<Preemption> preemptionFor(ClusterSnapshot snapshot, ReplicaRequest replica) {
    Objects.requireNonNull(snapshot, "snapshot");
    Objects.requireNonNull(replica, "replica");
    ServiceState svc = snapshot.service(replica.service());
    CompiledPlacement c = snapshot.compile(svc, replica.placement());
    c.prepare(svc);
    int bound = PlacementKernel.boundSlot(snapshot, replica);
    boolean anyFits = false;
    for (int i = 0; i < snapshot.slots; i++) {
      int code = kernel.check(snapshot, c, svc, replica, i, bound);
      snapshot.failedBy[i] = code;
      anyFits |= code == PlacementKernel.PASS;
    }
    return anyFits ? Optional.empty() : PreemptionPlanner.plan(kernel, snapshot, c, svc, replica);
  }

  /**
   * The verdict of every node for {@code replica}: whether it fits, why not, and its score. Examines and
   * scores every node (no sampling) and changes nothing.
   */
  public Explanation explain(ClusterSnapshot snapshot, ReplicaRequest replica) {
    Objects.requireNonNull(snapshot, "snapshot");
    Objects.requireNonNull(replica, "replica");
    ServiceState svc = snapshot.service(replica.service());
    CompiledPlacement c = snapshot.compile(svc, replica.placement());
    c.prepare(svc);
    int bound = PlacementKernel.boundSlot(snapshot, replica);
    List<Explanation.NodeVerdict> verdicts = new ArrayList<>(snapshot.liveCount);
    int fit = 0;
    String best = null;
    double bestScore = Double.NEGATIVE_INFINITY;
    for (int i = 0; i < snapshot.slots; i++) {
      if (!snapshot.live[i]) {
        continue;
      }
      int code = kernel.check(snapshot, c, svc, replica, i, bound);
      snapshot.failedBy[i] = code;
      if (code == PlacementKernel.PASS) {
        fit++;
        double score = kernel.score(snapshot, c, svc, replica, i);
        if (score > bestScore) {
          bestScore = score;
          best = snapshot.ids[i];
        }
        verdicts.add(new Explanation.NodeVerdict(snapshot.ids[i], true, Optional.empty(), score));
      } else {
        verdicts.add(new Explanation.NodeVerdict(snapshot.ids[i], false,
            Optional.of(Refusals.reason(snapshot, c, replica, kernel.filters(), i, code)), Double.NaN));
      }
    }
    Map<String, Integer> reasons = new LinkedHashMap<>();
    if (fit < snapshot.liveCount) {
      Map<String, int[]> counts = new LinkedHashMap<>();
      for (Explanation.NodeVerdict v : verdicts) {
        v.reason().ifPresent(reason -> counts.computeIfAbsent(reason, k -> new int[1])[0]++);
      }
      counts.entrySet().stream()
          .sorted((a, b) -> a.getValue()[0] != b.getValue()[0]
              ? Integer.compare(b.getValue()[0], a.getValue()[0]) : a.getKey().compareTo(b.getKey()))
          .forEach(e -> reasons.put(e.getKey(), e.getValue()[0]));
    }
    return new Explanation(replica.replicaId(), verdicts, reasons, Optional.ofNullable(best),
        Refusals.message(fit, snapshot.liveCount, reasons));
  }

  /** Builds a {@link Scheduler}; not thread-safe. */
  public static final class Builder {
    private long seed;
    private final Map<Score, Double> scores = new LinkedHashMap<>();
    private final List<Filter> filters = new ArrayList<>();
    private int percentage;
    private boolean preemption = true;
    private @Nullable MeterRegistry registry;

    private Builder() {
    }

    /** Seeds the tie-breaking random choice (default 0): the same seed and inputs give the same placements. */
    public Builder seed(long seed) {
      this.seed = seed;
      return this;
    }

    /**
     * Adds a score with a weight (or sets the weight of one added before). Once any score is added, only
     * added scores apply; with none, the defaults described in {@link Scores} apply.
     *
     * @throws IllegalArgumentException when the weight is negative, infinite or NaN
     */
    public Builder score(Score score, double weight) {
      Objects.requireNonNull(score, "score");
      if (!(weight >= 0) || Double.isInfinite(weight)) {
        throw new IllegalArgumentException("weight of " + score + ": " + weight + ": must be finite and >= 0");
      }
      scores.put(score, weight);
      return this;
    }

    /** Adds a user filter, run after the built-in ones, in the order added. */
    public Builder filter(Filter filter) {
      filters.add(Objects.requireNonNull(filter, "filter"));
      return this;
    }

    /**
     * Scores only this share of the nodes on a large cluster, as kube-scheduler's
     * {@code percentageOfNodesToScore}: the scheduler stops filtering once it has found that many feasible
     * nodes (at least 100, or all of them on a cluster of 100 or fewer), starting each search where the last
     * stopped. 100 scores every feasible node. The default (0) adapts: 50% less 1% per 125 nodes, at least
     * 5% (42% at 1,000 nodes, 10% at 5,000).
     *
     * @throws IllegalArgumentException when not between 0 and 100
     */
    public Builder percentageOfNodesToScore(int percentage) {
      if (percentage < 0 || percentage > 100) {
        throw new IllegalArgumentException("percentageOfNodesToScore: " + percentage
            + ": must be between 0 (adaptive) and 100 (all)");
      }
      this.percentage = percentage;
      return this;
    }

    /** Scores every feasible node: the best node always wins, at a cost linear in the cluster's size. */
    public Builder scoreAllNodes() {
      return percentageOfNodesToScore(100);
    }

    /** Whether an unschedulable result names replicas to preempt (default true). */
    public Builder preemption(boolean enabled) {
      this.preemption = enabled;
      return this;
    }

    /** Records metrics in {@code registry} (default: none; never the global registry). */
    public Builder meterRegistry(MeterRegistry registry) {
      this.registry = Objects.requireNonNull(registry, "registry");
      return this;
    }

    /** Builds the scheduler. */
    public Scheduler build() {
      return new Scheduler(this);
    }
  }
}
