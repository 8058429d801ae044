package dev.orch.core.scheduler;

/**
 * The built-in scores. Each gives a node a value from 0 to 1; the scheduler adds them up with the weights
 * given to {@link Scheduler.Builder#score}. The scheduler computes built-in scores inline, without a call
 * per node. Every score returned here is immutable and thread-safe.
 *
 * <p>When a scheduler is built with no score at all it uses {@link #leastAllocated()} (weight 1),
 * {@link #balancedAllocation()} (1), {@link #softAntiAffinity()} (5), {@link #softSpread()} (5) and
 * {@link #preferNoScheduleTaints()} (3): the soft constraints outweigh the resource scores, so they hold
 * whenever some scored node allows it (each soft score gains at least 3.75 by being met, more than the
 * resource scores and a PreferNoSchedule taint can lose together).
 */
public final class Scores {
  private static final BuiltinScore LEAST = new BuiltinScore(BuiltinScore.LEAST, "leastAllocated");
  private static final BuiltinScore MOST = new BuiltinScore(BuiltinScore.MOST, "mostAllocated");
  private static final BuiltinScore BALANCED = new BuiltinScore(BuiltinScore.BALANCED, "balancedAllocation");
  private static final BuiltinScore SOFT_ANTI = new BuiltinScore(BuiltinScore.SOFT_ANTI, "softAntiAffinity");
  private static final BuiltinScore SOFT_SPREAD = new BuiltinScore(BuiltinScore.SOFT_SPREAD, "softSpread");
  private static final BuiltinScore PREFER_TAINTS =
      new BuiltinScore(BuiltinScore.PREFER_TAINTS, "preferNoScheduleTaints");

  private Scores() {
  }

  /**
   * Prefers the emptiest nodes, spreading load: the mean over CPU and memory of the share of the node left
   * free once the replica is added.
   */
  public static Score leastAllocated() {
    return LEAST;
  }

  /**
   * Prefers the fullest nodes, packing replicas onto few nodes (bin-packing): the mean over CPU and memory of
   * the share of the node used once the replica is added.
   */
  public static Score mostAllocated() {
    return MOST;
  }

  /** Prefers nodes whose CPU and memory use stay alike: 1 less half the gap between the two shares. */
  public static Score balancedAllocation() {
    return BALANCED;
  }

  /**
   * For replicas with {@code AntiAffinity.SOFT}: 1 on a node without a replica of the service, at most 0.25
   * on a node with one (less with more). 0 for other replicas.
   */
  public static Score softAntiAffinity() {
    return SOFT_ANTI;
  }

  /**
   * For soft topology spreads: at least 0.75 on a node whose domain keeps the skew within the spread's
   * maximum (1 on the least-used domains), 0 where the skew would grow past it or the node lacks the key.
   */
  public static Score softSpread() {
    return SOFT_SPREAD;
  }

  /** 1 on a node without untolerated {@code PREFER_NO_SCHEDULE} taints, 1/(1+n) with n of them. */
  public static Score preferNoScheduleTaints() {
    return PREFER_TAINTS;
  }

  /** A built-in score: an id the scheduler switches on, computed inline on the placement path. */
  static final class BuiltinScore implements Score {
    static final int LEAST = 0;
    static final int MOST = 1;
    static final int BALANCED = 2;
    static final int SOFT_ANTI = 3;
    static final int SOFT_SPREAD = 4;
    static final int PREFER_TAINTS = 5;
    static final int COUNT = 6;

    final int kind;
    private final String name;

    private BuiltinScore(int kind, String name) {
      this.kind = kind;
      this.name = name;
    }

    @Override
    public double score(ReplicaRequest replica, NodeView node) {
      ClusterSnapshot s = node.snapshot();
      ServiceState svc = s.service(replica.service());
      CompiledPlacement c = s.compile(svc, replica.placement());
      c.prepare(svc);
      return PlacementKernel.builtin(kind, s, c, svc, replica, node.index);
    }

    @Override
    public String toString() {
      return "Scores." + name + "()";
    }
  }
}
