package dev.orch.core.engine;

import dev.orch.api.runtime.ContainerInfo;
import dev.orch.api.runtime.RuntimeCapability;
import dev.orch.api.spec.ServiceSpec;
import dev.orch.core.policy.PolicyEvaluator;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * Where names reach and what the runtime cannot enforce, in words: the {@code DependenciesReachable} condition of
 * each service that names dependencies, and the limits a verdict of {@code check} lists. Networks are per node
 * (Docker: per engine), so a name reaches the ready replicas of its caller's node only. Thread-safe (it keeps
 * nothing of its own).
 */
final class NetworkRoutes {
  private final EngineSettings settings;
  private final boolean enabled;
  private final ObservedState observed;
  private final Supplier<PolicyEvaluator> policies;
  private final Function<String, List<String>> readyNames;
  private final ServiceNetworks.Conditions conditions;

  NetworkRoutes(EngineSettings settings, boolean enabled, ObservedState observed, Supplier<PolicyEvaluator> policies,
                Function<String, List<String>> readyNames, ServiceNetworks.Conditions conditions) {
    this.settings = settings;
    this.enabled = enabled;
    this.observed = observed;
    this.policies = policies;
    this.readyNames = readyNames;
    this.conditions = conditions;
  }


  /**
   * Says, in the {@code DependenciesReachable} condition of each service of {@code which}, whether every dependency it
   * names has a ready replica on the node of each of its replicas (a name reaches its own node only) and is allowed;
   * {@code specs} are all the applied ones, {@code byService} the containers of those services and their dependencies.
   */
  void report(java.util.Collection<ServiceSpec> which, Map<String, ServiceSpec> specs,
              Map<String, List<ContainerInfo>> byService) {
    PolicyEvaluator ev = policies.get();
    for (ServiceSpec spec : which) {
      if (spec.dependencies().isEmpty()) {
        conditions.clear(spec.name(), "DependenciesReachable"); // (it may have named some before)
        continue;
      }
      List<String> problems = new ArrayList<>();
      for (String d : spec.dependencies()) {
        ServiceSpec dest = specs.get(d);
        if (dest == null) {
          problems.add(d + " is not applied");
        } else if (dest.container().ports().isEmpty()) {
          problems.add(d + " declares no port");
        } else if (!ServiceNetworks.allowed(ev, spec.name(), dest)) {
          problems.add("no network policy allows " + spec.name() + " to call " + d + " ("
              + ev.check(spec.name(), d, dest.container().ports().get(0).containerPort()).explain() + ")");
        } else {
          List<String> without = nodesWithout(spec.name(), d, byService);
          if (!without.isEmpty()) {
            problems.add(noRoute(d, without));
          }
        }
      }
      if (problems.isEmpty()) {
        conditions.set(spec.name(), "DependenciesReachable", true, "Reachable", "every dependency ("
            + String.join(", ", spec.dependencies()) + ") has a ready replica where this service's replicas run");
      } else {
        conditions.set(spec.name(), "DependenciesReachable", false, "Unreachable", String.join("; ", problems));
      }
    }
  }

  /** The nodes where {@code from} has a replica and {@code to} has no ready one, sorted. */
  List<String> nodesWithout(String from, String to, Map<String, List<ContainerInfo>> byService) {
    Set<String> ready = new java.util.HashSet<>(readyNames.apply(to));
    Set<String> served = new java.util.TreeSet<>();
    Set<String> callers = new java.util.TreeSet<>();
    byService.getOrDefault(to, List.of()).stream().filter(c -> ready.contains(c.name()))
        .forEach(c -> served.add(c.nodeId()));
    byService.getOrDefault(from, List.of()).forEach(c -> callers.add(c.nodeId()));
    callers.removeAll(served);
    return new ArrayList<>(callers);
  }

  /** The words for {@code to} having no ready replica on {@code nodes}. */
  static String noRoute(String to, List<String> nodes) {
    return to + " has no ready replica on " + String.join(", ", nodes) + ", where callers run: networks are per node"
        + " (Docker: per engine), so its name does not reach replicas on other nodes";
  }

  /**
   * What the runtime cannot do about connections {@code from -> to}, for a verdict's limits: deciding by
   * service pair rather than by port, ports published on the host, replicas with no route.
   */
  List<String> limits(String from, String to) {
    List<String> out = new ArrayList<>();
    if (!enabled) {
      String why = settings.discovery() ? settings.runtime().name() + " has no networks" : "discovery is off";
      out.add("the runtime's networks are not wired (" + why + "): inside the runtime this verdict holds only for"
          + " callers through Orch's load balancers");
      return out;
    }
    if (!settings.runtime().capabilities().contains(RuntimeCapability.CONNECTION_FILTER)) {
      out.add("on " + settings.runtime().name() + " networks decide by service pair, not by port: once a port of "
          + to + " is allowed from " + from + ", every port of it is reachable from " + from);
      out.add("ports published on the host are reached from outside the networks: no policy holds there");
      out.add("a destination's network holds its replicas and all its allowed callers, and containers on one network"
          + " reach each other both ways: two callers of one service reach each other, and it reaches them,"
          + " whatever the policies say about those pairs");
    }
    Map<String, List<ContainerInfo>> byService = new java.util.HashMap<>();
    byService.put(from, observed.containersOf(from));
    byService.put(to, observed.containersOf(to));
    List<String> without = nodesWithout(from, to, byService);
    if (!without.isEmpty()) {
      out.add("no route: " + noRoute(to, without));
    }
    return out;
  }
}
