package dev.orch.jmh;

import com.netflix.fenzo.ConstraintEvaluator;
import com.netflix.fenzo.SchedulingResult;
import com.netflix.fenzo.TaskRequest;
import com.netflix.fenzo.TaskScheduler;
import com.netflix.fenzo.VMAssignmentResult;
import com.netflix.fenzo.VMTaskFitnessCalculator;
import com.netflix.fenzo.VirtualMachineLease;
import com.netflix.fenzo.plugins.BinPackingFitnessCalculators;
import dev.orch.api.runtime.NodeInfo;
import dev.orch.api.spec.AntiAffinity;
import dev.orch.api.spec.Placement;
import dev.orch.api.spec.Resources;
import dev.orch.api.spec.TopologySpread;
import dev.orch.core.scheduler.ClusterSnapshot;
import dev.orch.core.scheduler.PlacementResult;
import dev.orch.core.scheduler.ReplicaRequest;
import dev.orch.core.scheduler.Scheduler;
import dev.orch.core.scheduler.Scores;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.apache.mesos.Protos;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * Places 10,000 replicas (100 services of 100, with CPU and memory requests) on a heterogeneous cluster,
 * with Orch's scheduler and with Netflix Fenzo's, in placements per second.
 *
 * <ul>
 *   <li>{@code orch}: one {@code place} per replica on a fresh snapshot, bin-packing
 *       ({@code Scores.mostAllocated()}, like Fenzo's {@code cpuMemBinPacker}), adaptive node sampling;</li>
 *   <li>{@code orchSpread}: the same with a hard spread over 10 zones (max skew 1) and soft anti-affinity;</li>
 *   <li>{@code fenzo}: one {@code scheduleOnce} of all 10,000 tasks on a fresh {@code TaskScheduler} with
 *       {@code cpuMemBinPacker}, which evaluates every VM for every task;</li>
 *   <li>{@code fenzoGoodEnough}: the same with a fitness-good-enough function ({@code fitness > 0.9}), its
 *       shortcut that stops looking once a VM is good enough.</li>
 * </ul>
 * Every invocation starts from an empty cluster (and, for Fenzo, a new scheduler and new lease ids), built
 * outside the measured time. Run: {@code java -jar jmh/target/benchmarks.jar SchedulerBenchmark}.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class SchedulerBenchmark {
  static final int SERVICES = 100;
  static final int REPLICAS_PER_SERVICE = 100;
  static final int REPLICAS = SERVICES * REPLICAS_PER_SERVICE;
  static final int ZONES = 10;

  /** The cluster and the replicas, the same for every method. */
  @State(Scope.Thread)
  public static class Workload {
    @Param({"100", "1000", "5000"})
    public int nodes;

    List<NodeInfo> nodeInfos;
    List<ReplicaRequest> plain;
    List<ReplicaRequest> spread;
    List<TaskRequest> tasks;
    long lastPlaced;
    int invocations;

    @Setup(Level.Trial)
    public void setUp() {
      SplittableRandom random = new SplittableRandom(7);
      long[] cores = {8, 16, 32, 64};
      long[] gib = {16, 32, 64, 128};
      nodeInfos = new ArrayList<>(nodes);
      for (int i = 0; i < nodes; i++) {
        Resources capacity = Resources.ofMillis(cores[random.nextInt(4)] * 1000,
            gib[random.nextInt(4)] << 30);
        nodeInfos.add(new NodeInfo("node-" + i, Map.of("zone", "zone-" + (i % ZONES)), List.of(), capacity,
            true));
      }
      long[] cpu = {50, 100, 200, 400};
      long[] mib = {64, 128, 256, 512};
      Placement spreadPlacement = Placement.builder().spread(TopologySpread.hard("zone", 1))
          .antiAffinity(AntiAffinity.SOFT).build();
      plain = new ArrayList<>(REPLICAS);
      spread = new ArrayList<>(REPLICAS);
      tasks = new ArrayList<>(REPLICAS);
      for (int s = 0; s < SERVICES; s++) {
        Resources requests = Resources.ofMillis(cpu[random.nextInt(4)], mib[random.nextInt(4)] << 20);
        String service = "svc-" + s;
        for (int r = 0; r < REPLICAS_PER_SERVICE; r++) {
          String id = service + "-" + r;
          plain.add(ReplicaRequest.builder(service, id).requests(requests).build());
          spread.add(ReplicaRequest.builder(service, id).requests(requests).placement(spreadPlacement).build());
          tasks.add(new FenzoTask(id, service, requests.cpuMillis() / 1000.0,
              requests.memoryBytes() / 1048576.0));
        }
      }
      // Interleave services, as replicas of many services arrive together.
      Collections.shuffle(plain, new java.util.Random(11));
      Collections.shuffle(spread, new java.util.Random(11));
      Collections.shuffle(tasks, new java.util.Random(11));
    }

    @TearDown(Level.Trial)
    public void report() {
      if (invocations == 0) {
        return; // a state instance JMH made but never measured with
      }
      System.out.println("\n[last invocation placed " + lastPlaced + " of " + REPLICAS + " on " + nodes
          + " nodes]");
    }
  }

  /** A fresh Orch snapshot per invocation. */
  @State(Scope.Thread)
  public static class OrchState {
    final Scheduler binPack = Scheduler.builder().seed(42).score(Scores.mostAllocated(), 1).build();
    final Scheduler spread = Scheduler.builder().seed(42).score(Scores.mostAllocated(), 1)
        .score(Scores.softAntiAffinity(), 5).build();
    ClusterSnapshot snapshot;

    @Setup(Level.Invocation)
    public void setUp(Workload w) {
      snapshot = ClusterSnapshot.of(w.nodeInfos);
    }
  }

  /** A fresh Fenzo scheduler and fresh leases per invocation. */
  @State(Scope.Thread)
  public static class FenzoState {
    TaskScheduler scheduler;
    List<VirtualMachineLease> leases;
    int invocation;

    void setUp(Workload w, boolean goodEnough) {
      invocation++;
      leases = new ArrayList<>(w.nodes);
      for (NodeInfo n : w.nodeInfos) {
        leases.add(new FenzoLease("lease-" + invocation + "-" + n.id(), n.id(),
            n.capacity().cpuMillis() / 1000.0, n.capacity().memoryBytes() / 1048576.0));
      }
      TaskScheduler.Builder b = new TaskScheduler.Builder()
          .withLeaseOfferExpirySecs(1_000_000)
          .withLeaseRejectAction(lease -> { })
          .withFitnessCalculator(BinPackingFitnessCalculators.cpuMemBinPacker);
      if (goodEnough) {
        b.withFitnessGoodEnoughFunction(fitness -> fitness > 0.9);
      }
      scheduler = b.build();
    }

    @TearDown(Level.Invocation)
    public void tearDown() {
      scheduler.shutdown();
    }
  }

  /** Fenzo's default: every VM evaluated for every task. */
  @State(Scope.Thread)
  public static class FenzoExhaustive extends FenzoState {
    @Setup(Level.Invocation)
    public void setUp(Workload w) {
      setUp(w, false);
    }
  }

  /** Fenzo with its fitness-good-enough shortcut. */
  @State(Scope.Thread)
  public static class FenzoGoodEnough extends FenzoState {
    @Setup(Level.Invocation)
    public void setUp(Workload w) {
      setUp(w, true);
    }
  }

  @Benchmark
  @OperationsPerInvocation(REPLICAS)
  public long orch(Workload w, OrchState o) {
    return placeAll(w, o.binPack, o.snapshot, w.plain);
  }

  @Benchmark
  @OperationsPerInvocation(REPLICAS)
  public long orchSpread(Workload w, OrchState o) {
    return placeAll(w, o.spread, o.snapshot, w.spread);
  }

  private static long placeAll(Workload w, Scheduler scheduler, ClusterSnapshot snapshot,
                               List<ReplicaRequest> replicas) {
    long placed = 0;
    for (int i = 0, n = replicas.size(); i < n; i++) {
      if (scheduler.place(snapshot, replicas.get(i)) instanceof PlacementResult.Placed) {
        placed++;
      }
    }
    w.lastPlaced = placed;
    w.invocations++;
    return placed;
  }

  @Benchmark
  @OperationsPerInvocation(REPLICAS)
  public long fenzo(Workload w, FenzoExhaustive f) {
    return fenzoPlace(w, f);
  }

  @Benchmark
  @OperationsPerInvocation(REPLICAS)
  public long fenzoGoodEnough(Workload w, FenzoGoodEnough f) {
    return fenzoPlace(w, f);
  }

  private static long fenzoPlace(Workload w, FenzoState f) {
    SchedulingResult result = f.scheduler.scheduleOnce(w.tasks, f.leases);
    long placed = 0;
    for (VMAssignmentResult vm : result.getResultMap().values()) {
      placed += vm.getTasksAssigned().size();
    }
    w.lastPlaced = placed;
    w.invocations++;
    return placed;
  }

  /** A Fenzo task asking for CPU cores and memory MB, nothing else. */
  static final class FenzoTask implements TaskRequest {
    private final String id;
    private final String group;
    private final double cpus;
    private final double memoryMb;
    private AssignedResources assigned;

    FenzoTask(String id, String group, double cpus, double memoryMb) {
      this.id = id;
      this.group = group;
      this.cpus = cpus;
      this.memoryMb = memoryMb;
    }

    @Override
    public String getId() {
      return id;
    }

    @Override
    public String taskGroupName() {
      return group;
    }

    @Override
    public double getCPUs() {
      return cpus;
    }

    @Override
    public double getMemory() {
      return memoryMb;
    }

    @Override
    public double getNetworkMbps() {
      return 0;
    }

    @Override
    public double getDisk() {
      return 0;
    }

    @Override
    public int getPorts() {
      return 0;
    }

    @Override
    public Map<String, Double> getScalarRequests() {
      return Collections.emptyMap();
    }

    @Override
    public Map<String, NamedResourceSetRequest> getCustomNamedResources() {
      return Collections.emptyMap();
    }

    @Override
    public List<? extends ConstraintEvaluator> getHardConstraints() {
      return Collections.emptyList();
    }

    @Override
    public List<? extends VMTaskFitnessCalculator> getSoftConstraints() {
      return Collections.emptyList();
    }

    @Override
    public void setAssignedResources(AssignedResources assignedResources) {
      this.assigned = assignedResources;
    }

    @Override
    public AssignedResources getAssignedResources() {
      return assigned;
    }
  }

  /** A Fenzo lease offering a node's CPU cores and memory MB. */
  static final class FenzoLease implements VirtualMachineLease {
    private final String id;
    private final String host;
    private final double cpus;
    private final double memoryMb;
    private final long offeredTime = System.currentTimeMillis();

    FenzoLease(String id, String host, double cpus, double memoryMb) {
      this.id = id;
      this.host = host;
      this.cpus = cpus;
      this.memoryMb = memoryMb;
    }

    @Override
    public String getId() {
      return id;
    }

    @Override
    public long getOfferedTime() {
      return offeredTime;
    }

    @Override
    public String hostname() {
      return host;
    }

    @Override
    public String getVMID() {
      return host;
    }

    @Override
    public double cpuCores() {
      return cpus;
    }

    @Override
    public double memoryMB() {
      return memoryMb;
    }

    @Override
    public double networkMbps() {
      return 0;
    }

    @Override
    public double diskMB() {
      return 0;
    }

    @Override
    public List<Range> portRanges() {
      return Collections.emptyList();
    }

    @Override
    public Protos.Offer getOffer() {
      return null;
    }

    @Override
    public Map<String, Protos.Attribute> getAttributeMap() {
      return Collections.emptyMap();
    }

    @Override
    public Double getScalarValue(String name) {
      return null;
    }

    @Override
    public Map<String, Double> getScalarValues() {
      return Collections.emptyMap();
    }
  }
}
