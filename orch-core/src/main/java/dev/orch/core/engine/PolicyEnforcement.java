package dev.orch.core.engine;

import dev.orch.api.runtime.ConnectionFilter;
import dev.orch.api.runtime.OrchLabels;
import dev.orch.api.runtime.RuntimeCapability;
import dev.orch.api.runtime.Subscription;
import dev.orch.api.spec.Protocol;
import dev.orch.api.spec.ServiceSpec;
import dev.orch.core.OrchEvent;
import dev.orch.core.lb.CallerGate;
import dev.orch.core.lb.LoadBalancer;
import dev.orch.core.policy.PolicyEvaluator;
import dev.orch.core.policy.Verdict;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Function;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The enforcement points that see each connection, both asking the one evaluator: the runtime's connection filter
 * ({@link RuntimeCapability#CONNECTION_FILTER}: the in-memory runtime, port by port) and the caller check of
 * Orch's load balancers ({@code loadBalancer(name).caller(caller)}). Every denial they see becomes the counter
 * {@code orch.policy.verdicts} (tags owner, from, to, verdict {@code denied}) and a {@code PolicyDenied} event (at
 * most one per pair every {@link #EVENT_EVERY}); an audit policy that would deny becomes {@code audit-denied}, a
 * {@code PolicyAudit} event and a log line, and denies nothing; the connections the filter lets through count as
 * {@code allowed}. On Docker a denied connection never reaches anything Orch sees (the containers share no
 * network), so it is not counted. Thread-safe.
 */
final class PolicyEnforcement implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(PolicyEnforcement.class);
  /** The shortest time between two events about one pair. */
  static final Duration EVENT_EVERY = Duration.ofSeconds(10);

  private final EngineSettings settings;
  private final Supplier<PolicyEvaluator> evaluator;
  private final Function<String, Optional<ServiceSpec>> specs;
  private final EngineEvents events;
  private final MeterRegistry registry;
  private final ConcurrentHashMap<String, Counter> counters = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<String, Instant> lastEvent = new ConcurrentHashMap<>();
  /** Every balancer of this orchestrator whose caller named itself, whichever of its engines built it. */
  private final CopyOnWriteArrayList<Tracked> balancers;
  private final @Nullable Subscription filter;

  PolicyEnforcement(EngineSettings settings, Supplier<PolicyEvaluator> evaluator,
                    Function<String, Optional<ServiceSpec>> specs, EngineEvents events,
                    CopyOnWriteArrayList<Tracked> balancers) {
    this.settings = settings;
    this.balancers = balancers;
    this.evaluator = evaluator;
    this.specs = specs;
    this.events = events;
    this.registry = settings.meterRegistry();
    boolean filters = settings.discovery()
        && settings.runtime().capabilities().contains(RuntimeCapability.CONNECTION_FILTER);
    this.filter = filters ? register(settings) : null;
  }

  private @Nullable Subscription register(EngineSettings settings) {
    try {
      return settings.runtime().filterConnections(connectionFilter());
    } catch (dev.orch.api.runtime.UnsupportedCapabilityException e) {
      // A runtime (a wrapper, say) that names the capability without the call: networks alone decide there.
      LOG.warn("orchestrator {}: {}: connections are judged by the networks only", settings.ownerId(), e.getMessage());
      return null;
    }
  }

  private ConnectionFilter connectionFilter() {
    return (fromLabels, toLabels, port, protocol) -> {
      String owner = settings.ownerId();
      String from = fromLabels.get(OrchLabels.SERVICE);
      String to = toLabels.get(OrchLabels.SERVICE);
      if (from == null || to == null || !owner.equals(fromLabels.get(OrchLabels.OWNER))
          || !owner.equals(toLabels.get(OrchLabels.OWNER))) {
        return null; // not between this orchestrator's services: not its to judge
      }
      Verdict v = evaluator.get().check(from, to, port, "udp".equals(protocol) ? Protocol.UDP : Protocol.TCP);
      return judge(v, true);
    };
  }

  /**
   * Counts {@code v} and reports a denial or an audit; returns the reason to refuse, or null. {@code countAllowed}
   * says whether an allowed one is counted too (per connection, not per pick).
   */
  private @Nullable String judge(Verdict v, boolean countAllowed) {
    if (!v.allowed()) {
      count(v, "denied");
      report(v, OrchEvent.Type.WARNING, "PolicyDenied", v.explain());
      return v.explain();
    }
    if (v.auditWouldDeny()) {
      count(v, "audit-denied");
      if (report(v, OrchEvent.Type.NORMAL, "PolicyAudit", "would deny: " + v.explain())) {
        LOG.info("orchestrator {}: audit: {}", settings.ownerId(), v.explain());
      }
    } else if (countAllowed) {
      count(v, "allowed");
    }
    return null;
  }

  private void count(Verdict v, String verdict) {
    counters.computeIfAbsent(v.from() + "\0" + v.to() + "\0" + verdict, k -> Counter.builder("orch.policy.verdicts")
        .description("connections and load-balancer picks judged by the network policies")
        .tag("owner", settings.ownerId()).tag("from", v.from()).tag("to", v.to()).tag("verdict", verdict)
        .register(registry)).increment();
  }

  /** Emits an event about {@code v}'s pair unless one went out within {@link #EVENT_EVERY}; returns whether. */
  private boolean report(Verdict v, OrchEvent.Type type, String reason, String message) {
    Instant now = settings.time().now();
    String pair = reason + "\0" + v.from() + "\0" + v.to();
    Instant last = lastEvent.get(pair);
    if (last != null && now.isBefore(last.plus(EVENT_EVERY)) || !replace(pair, last, now)) {
      return false;
    }
    events.emit(type, reason, v.to(), "", "", message);
    return true;
  }

  private boolean replace(String pair, @Nullable Instant last, Instant now) {
    return last == null ? lastEvent.putIfAbsent(pair, now) == null : lastEvent.replace(pair, last, now);
  }

  // ------------------------------------------------------------------------------------------ load balancers

  /** A balancer whose caller named itself, and the gate its picks pass. */
  record Tracked(LoadBalancer lb, CallerGate gate) {
  }

  /** Tracks balancer {@code lb}, which passes {@code gate}, if a caller named itself to it; judges it now. */
  void track(LoadBalancer lb, CallerGate gate) {
    if (lb.caller().isPresent()) {
      Tracked t = new Tracked(lb, gate);
      balancers.add(t);
      judge(t);
    }
  }

  /**
   * Judges every tracked balancer's caller again: the policies or the services changed. Serialised on the list the
   * engines share, so that an older engine's verdict cannot land after a newer one's.
   */
  void refresh() {
    synchronized (balancers) {
      refreshShared();
    }
  }

  private void refreshShared() {
    for (Tracked t : balancers) {
      if (t.lb.isClosed()) {
        balancers.remove(t);
      } else {
        judge(t);
      }
    }
  }

  /**
   * Closes {@code t}'s gate while the policies deny its caller on the service's first port (what Orch's
   * endpoints carry), and opens it otherwise.
   */
  private void judge(Tracked t) {
    synchronized (balancers) {
      judgeShared(t);
    }
  }

  private void judgeShared(Tracked t) {
    String caller = t.lb.caller().orElseThrow();
    ServiceSpec spec = specs.apply(t.lb.service()).orElse(null);
    if (spec == null || spec.container().ports().isEmpty()) {
      t.gate.allow();
      return;
    }
    var port = spec.container().ports().get(0);
    Verdict v = evaluator.get().check(caller, t.lb.service(), port.containerPort(), port.protocol());
    if (v.allowed()) {
      if (v.auditWouldDeny()) {
        judge(v, false);
      }
      t.gate.allow();
    } else {
      t.gate.refuse(v.explain(), () -> judge(v, false));
    }
  }

  @Override
  public void close() {
    if (filter != null) {
      filter.close();
    }
  }
}
