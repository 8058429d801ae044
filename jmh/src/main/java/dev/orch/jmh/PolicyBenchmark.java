package dev.orch.jmh;

import dev.orch.api.policy.EgressRule;
import dev.orch.api.policy.IngressRule;
import dev.orch.api.policy.NetworkPolicy;
import dev.orch.api.policy.PeerSelector;
import dev.orch.api.policy.PolicyPort;
import dev.orch.api.runtime.LabelSelector;
import dev.orch.api.spec.PortSpec;
import dev.orch.api.spec.Protocol;
import dev.orch.core.policy.PolicyEvaluator;
import dev.orch.core.policy.PolicySubject;
import dev.orch.core.policy.Verdict;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * The policy evaluator with 1,000 services and 1,000 policies: verdicts per second, and the time to recompile.
 *
 * <p>The evaluator is compiled, not cached: every {@code check} evaluates the rules of the policies that select its
 * two ends (resolved to bit sets at compile time), whatever pairs came before. The world: services {@code svc-0}
 * to {@code svc-999} in 50 teams and 3 tiers, each with named ports {@code http} (8080 to 8086), {@code grpc} and
 * {@code metrics}; 600 policies selecting one service by name (ingress from two services and a team, on
 * {@code http} and 9090), 200 selecting a team by label, 150 egress policies (to the db tier on {@code http}, DNS
 * on 53/UDP) and 50 audit policies. Queries are 4,096 random pairs on those ports, about a third allowed.
 *
 * <ul>
 *   <li>{@code check}: one {@link PolicyEvaluator#check} with its {@link Verdict} (sides, rules, audit);</li>
 *   <li>{@code allows}: the same decision as a boolean, allocating nothing;</li>
 *   <li>{@code recompileNamedPolicy} / {@code recompileLabelPolicy}: {@link PolicyEvaluator#withPolicy} replacing
 *       a policy that selects one service by name / a team of 20 by label (the incremental path);</li>
 *   <li>{@code removePolicy}: {@link PolicyEvaluator#withoutPolicy};</li>
 *   <li>{@code compileAll}: {@link PolicyEvaluator#of} from scratch, what a change would cost without the
 *       incremental path (and what {@link PolicyEvaluator#withServices} costs).</li>
 * </ul>
 * Run: {@code java -jar jmh/target/benchmarks.jar PolicyBenchmark}; add {@code -prof gc} to see allocation.
 */
@State(Scope.Benchmark)
public class PolicyBenchmark {
  static final int SERVICES = 1_000;
  static final int POLICIES = 1_000;
  static final int TEAMS = 50;
  static final int QUERIES = 4_096;
  static final String[] TIERS = {"web", "api", "db"};

  List<PolicySubject> services;
  List<NetworkPolicy> policies;
  PolicyEvaluator evaluator;
  String[] from;
  String[] to;
  int[] port;
  Protocol[] protocol;
  NetworkPolicy[] namedVariants;
  NetworkPolicy[] labelVariants;

  /** A thread's position in the query arrays and in the variants. */
  @State(Scope.Thread)
  public static class Cursor {
    int next;
  }

  @Setup(Level.Trial)
  public void setUp() {
    SplittableRandom random = new SplittableRandom(11);
    services = new ArrayList<>(SERVICES);
    for (int i = 0; i < SERVICES; i++) {
      services.add(PolicySubject.of("svc-" + i,
          Map.of("app", "svc-" + i, "team", team(i), "tier", TIERS[i % TIERS.length]),
          PortSpec.tcp("http", 8080 + i % 7), PortSpec.tcp("grpc", 9090), PortSpec.tcp("metrics", 9100)));
    }
    policies = new ArrayList<>(POLICIES);
    for (int i = 0; i < POLICIES; i++) {
      policies.add(policy(i, 0));
    }
    evaluator = PolicyEvaluator.of(policies, services);
    namedVariants = new NetworkPolicy[] {policy(0, 0), policy(0, 1)};
    labelVariants = new NetworkPolicy[] {policy(600, 0), policy(600, 1)};

    from = new String[QUERIES];
    to = new String[QUERIES];
    port = new int[QUERIES];
    protocol = new Protocol[QUERIES];
    int allowed = 0;
    for (int q = 0; q < QUERIES; q++) {
      int f = random.nextInt(SERVICES);
      // Half the pairs go to a service whose policy names the source, so that rules match as often as not.
      int t = random.nextBoolean() ? Math.floorMod(f - 1, SERVICES) : random.nextInt(SERVICES);
      from[q] = "svc-" + f;
      to[q] = "svc-" + t;
      int kind = random.nextInt(8);
      protocol[q] = kind == 0 ? Protocol.UDP : Protocol.TCP;
      port[q] = kind == 0 ? 53 : kind <= 4 ? 8080 + t % 7 : kind <= 6 ? 9090 : 9100;
      allowed += evaluator.allows(from[q], to[q], port[q], protocol[q]) ? 1 : 0;
    }
    System.out.printf("%n%s: %d of %d queries allowed%n", evaluator, allowed, QUERIES);
  }

  private static String team(int i) {
    return "team-" + i % TEAMS;
  }

  /** Policy {@code i}; {@code variant} 1 changes its rules (what a recompile measures). */
  static NetworkPolicy policy(int i, int variant) {
    if (i < 600) {
      return NetworkPolicy.builder("svc-" + i + "-ingress").selectServices("svc-" + i)
          .allowIngress(IngressRule.from(PeerSelector.services("svc-" + (i + 1) % SERVICES, "svc-" + (i + 7 + variant)
                  % SERVICES), PeerSelector.labels("team", team(i + 3)))
              .on(PolicyPort.tcp("http"), PolicyPort.tcp(9090)))
          .build();
    }
    if (i < 800) {
      return NetworkPolicy.builder("team-internal-" + i).selectLabels(LabelSelector.of("team", team(i)))
          .allowIngress(IngressRule.from(PeerSelector.labels("team", team(i + variant))).on(PolicyPort.tcp("http")))
          .allowIngress(IngressRule.from(PeerSelector.labels("tier", "web")).on(PolicyPort.tcp("grpc")))
          .build();
    }
    if (i < 950) {
      return NetworkPolicy.builder("svc-" + i + "-egress").selectServices("svc-" + i)
          .allowEgress(EgressRule.to(PeerSelector.labels("tier", "db")).on(PolicyPort.tcp("http")))
          .allowEgress(EgressRule.toAny().on(PolicyPort.udp(53)))
          .build();
    }
    return NetworkPolicy.builder("audit-" + i)
        .selectLabels(LabelSelector.of("team", team(i)).and("tier", "db"))
        .allowIngress(IngressRule.from(PeerSelector.labels("tier", "api")))
        .audit()
        .build();
  }

  @Benchmark
  @BenchmarkMode(Mode.Throughput)
  @OutputTimeUnit(TimeUnit.SECONDS)
  public Verdict check(Cursor c) {
    int q = c.next++ & (QUERIES - 1);
    return evaluator.check(from[q], to[q], port[q], protocol[q]);
  }

  @Benchmark
  @BenchmarkMode(Mode.Throughput)
  @OutputTimeUnit(TimeUnit.SECONDS)
  public boolean allows(Cursor c) {
    int q = c.next++ & (QUERIES - 1);
    return evaluator.allows(from[q], to[q], port[q], protocol[q]);
  }

  @Benchmark
  @BenchmarkMode(Mode.AverageTime)
  @OutputTimeUnit(TimeUnit.MICROSECONDS)
  public PolicyEvaluator recompileNamedPolicy(Cursor c) {
    return evaluator.withPolicy(namedVariants[c.next++ & 1]);
  }

  @Benchmark
  @BenchmarkMode(Mode.AverageTime)
  @OutputTimeUnit(TimeUnit.MICROSECONDS)
  public PolicyEvaluator recompileLabelPolicy(Cursor c) {
    return evaluator.withPolicy(labelVariants[c.next++ & 1]);
  }

  @Benchmark
  @BenchmarkMode(Mode.AverageTime)
  @OutputTimeUnit(TimeUnit.MICROSECONDS)
  public PolicyEvaluator removePolicy() {
    return evaluator.withoutPolicy("team-internal-600");
  }

  @Benchmark
  @BenchmarkMode(Mode.AverageTime)
  @OutputTimeUnit(TimeUnit.MICROSECONDS)
  public PolicyEvaluator compileAll() {
    return PolicyEvaluator.of(policies, services);
  }
}
