package dev.orch.api.spec;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * The desired state of one service: how many replicas of which container, where they may run, how they
 * are probed and restarted, and how a new revision rolls out.
 *
 * <p>Build with {@code ServiceSpec.builder("orders").replicas(3).container(c).build()}; building checks the
 * whole spec and reports every violation at once, with paths rooted at the service's name
 * ({@code orders.replicas: -1: must be >= 0}). Immutable and thread-safe.
 *
 * @param name          a DNS-1123 label, unique within an orchestrator
 * @param replicas      desired replica count; at least 0
 * @param container     the template every replica runs
 * @param placement     where replicas may go
 * @param probes        startup, liveness and readiness probes
 * @param restartPolicy when an exited container is restarted
 * @param rollout       how a new revision replaces the old
 * @param priority      scheduling priority; a higher one may preempt lower ones
 * @param labels        labels of the service, copied onto its replicas
 * @param stateful      the stateful mode (stable identities, ordered start, volumes per replica), if set
 * @param dependencies  the services this one calls, by name: each replica finds each of them in its
 *                      environment ({@code INVENTORY_HOST}, {@code INVENTORY_PORT}; see
 *                      {@link Builder#dependsOn}), and the status says when one cannot be reached
 */
public record ServiceSpec(String name, int replicas, ContainerSpec container, Placement placement, Probes probes,
                          RestartPolicy restartPolicy, RolloutStrategy rollout, int priority,
                          Map<String, String> labels, Optional<Stateful> stateful, List<String> dependencies) {

  /** Creates a spec, copying the labels; use the builder for validation. */
  public ServiceSpec {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(container, "container");
    Objects.requireNonNull(placement, "placement");
    Objects.requireNonNull(probes, "probes");
    Objects.requireNonNull(restartPolicy, "restartPolicy");
    Objects.requireNonNull(rollout, "rollout");
    Objects.requireNonNull(labels, "labels");
    labels = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(labels));
    Objects.requireNonNull(stateful, "stateful");
    Objects.requireNonNull(dependencies, "dependencies");
    dependencies = java.util.Collections.unmodifiableList(new java.util.ArrayList<>(dependencies));
  }

  /** Creates a spec that names no dependencies. */
  public ServiceSpec(String name, int replicas, ContainerSpec container, Placement placement, Probes probes,
                     RestartPolicy restartPolicy, RolloutStrategy rollout, int priority, Map<String, String> labels,
                     Optional<Stateful> stateful) {
    this(name, replicas, container, placement, probes, restartPolicy, rollout, priority, labels, stateful, List.of());
  }

  /** Creates a spec that is not stateful. */
  public ServiceSpec(String name, int replicas, ContainerSpec container, Placement placement, Probes probes,
                     RestartPolicy restartPolicy, RolloutStrategy rollout, int priority, Map<String, String> labels) {
    this(name, replicas, container, placement, probes, restartPolicy, rollout, priority, labels, Optional.empty());
  }

  /** Starts a builder for the service {@code name}. */
  public static Builder builder(@Nullable String name) {
    return new Builder(name);
  }

  /** A builder holding this spec's values, to derive a changed copy. */
  public Builder toBuilder() {
    Builder b = new Builder(name);
    b.replicas = replicas;
    b.container = container;
    b.placement = placement;
    b.probes = probes;
    b.restartPolicy = restartPolicy;
    b.rollout = rollout;
    b.priority = priority;
    b.labels.putAll(labels);
    b.stateful = stateful.orElse(null);
    b.dependencies.addAll(dependencies);
    return b;
  }

  /** This spec with another replica count (not validated: call {@link #validate()} or apply it). */
  public ServiceSpec withReplicas(int replicas) {
    return new ServiceSpec(name, replicas, container, placement, probes, restartPolicy, rollout, priority,
        labels, stateful, dependencies);
  }

  /** Every violation in this spec, with paths rooted at its name; empty when valid. */
  public List<Violation> validate() {
    Violations v = new Violations();
    validate(v);
    return v.list();
  }

  /**
   * Checks this spec whole.
   *
   * @throws InvalidSpecException listing every violation
   */
  public ServiceSpec requireValid() {
    Violations v = new Violations();
    validate(v);
    v.throwIfAny();
    return this;
  }

  private void validate(Violations v) {
    String root = name;
    v.dnsLabel(root + ".name", name);
    v.atLeast(root + ".replicas", replicas, 0);
    container.validate(root + ".container", v);
    placement.validate(root + ".placement", v);
    probes.validate(root + ".probes", v, container);
    validateRollout(root + ".rollout", v);
    stateful.ifPresent(st -> validateStateful(root, st, v));
    v.labels(root + ".labels", labels);
    validateDependencies(root + ".dependencies", v);
    for (String key : labels.keySet()) {
      if (key.startsWith("orch.")) {
        v.add(root + ".labels[" + key + "]", Violations.quoted(key), "must not use the reserved prefix 'orch.'");
      }
    }
  }

  private void validateDependencies(String path, Violations v) {
    java.util.Set<String> seen = new java.util.HashSet<>();
    Map<String, String> byEnv = new java.util.HashMap<>();
    for (int i = 0; i < dependencies.size(); i++) {
      String d = dependencies.get(i);
      String at = path + "[" + i + "]";
      if (d == null) {
        v.add(at, "null", "must be a service name");
        continue;
      }
      v.dnsLabel(at, d);
      if (d.equals(name)) {
        v.add(at, Violations.quoted(d), "must not be the service itself");
      } else if (!seen.add(d)) {
        v.add(at, Violations.quoted(d), "must not repeat an earlier dependency");
      } else {
        String other = byEnv.putIfAbsent(envPrefix(d), d);
        if (other != null) {
          v.add(at, Violations.quoted(d), "must not map to the same environment variables as '" + other + "' ("
              + envPrefix(d) + "_HOST)");
        }
      }
    }
  }

  /**
   * The prefix of dependency {@code service}'s environment variables: its name in upper case with {@code -}
   * as {@code _} ({@code inventory-db} gives {@code INVENTORY_DB}, read as {@code INVENTORY_DB_HOST}).
   */
  public static String envPrefix(String service) {
    return service.toUpperCase(java.util.Locale.ROOT).replace('-', '_');
  }

  private void validateStateful(String root, Stateful st, Violations v) {
    st.validate(root + ".stateful", v);
    if (!(rollout instanceof RolloutStrategy.RollingUpdate ru)) {
      v.add(root + ".rollout", rollout.getClass().getSimpleName(), "must be RollingUpdate for a stateful service "
          + "(blue/green and canary run two replicas of an ordinal; stateful.update says how it updates)");
    } else {
      RolloutStrategy.RollingUpdate d = RolloutStrategy.RollingUpdate.DEFAULT;
      if (!ru.maxSurge().equals(d.maxSurge())) {
        v.add(root + ".rollout.maxSurge", ru.maxSurge(), "must be left at its default in a stateful service: it "
            + "never surges (two replicas of an ordinal)");
      }
      if (!ru.maxUnavailable().equals(d.maxUnavailable())) {
        v.add(root + ".rollout.maxUnavailable", ru.maxUnavailable(), "must be left at its default in a stateful "
            + "service: stateful.update.maxUnavailable bounds it");
      }
    }
    for (int i = 0; i < container.volumeMounts().size(); i++) {
      v.add(root + ".container.volumeMounts[" + i + "]", Violations.quoted(container.volumeMounts().get(i).volume()),
          "must be a volume template (stateful.volumes) in a stateful service");
    }
  }

  private void validateRollout(String path, Violations v) {
    if (rollout instanceof RolloutStrategy.RollingUpdate ru) {
      validateRollingUpdate(path, ru, v);
      return;
    }
    positive(path + ".progressDeadline", rollout.progressDeadline(), v);
    String kind = rollout.getClass().getSimpleName();
    if (!container.volumeMounts().isEmpty()) {
      v.add(path, kind, "needs replicas without volumes (two revisions' replicas would share them); "
          + "use RollingUpdate");
    }
    if (rollout instanceof RolloutStrategy.BlueGreen bg) {
      if (bg.scaleDownDelay().isNegative()) {
        v.add(path + ".scaleDownDelay", bg.scaleDownDelay(), "must be >= 0");
      }
      bg.prePromotionAnalysis().ifPresent(a -> a.validate(path + ".prePromotionAnalysis", v));
    } else if (rollout instanceof RolloutStrategy.Canary canary) {
      validateCanarySteps(path + ".steps", canary.steps(), v);
    }
  }

  private static void validateCanarySteps(String path, List<RolloutStrategy.CanaryStep> steps, Violations v) {
    int promotedAt = -1;
    for (int i = 0; i < steps.size(); i++) {
      String at = path + "[" + i + "]";
      RolloutStrategy.CanaryStep step = steps.get(i);
      if (promotedAt >= 0) {
        v.add(at, step, "must not follow full promotion (setWeight 100 at steps[" + promotedAt + "])");
      }
      if (step instanceof RolloutStrategy.CanaryStep.SetWeight w) {
        double p = w.percent();
        if (!(p >= 0 && p <= 100)) {
          v.add(at + ".percent", p, "must be between 0 and 100");
        } else if (Math.abs(p * 10 - Math.rint(p * 10)) > 1e-9) {
          v.add(at + ".percent", p, "must be a multiple of 0.1");
        } else if (p == 100 && promotedAt < 0) {
          promotedAt = i;
        }
      } else if (step instanceof RolloutStrategy.CanaryStep.Pause pause) {
        pause.duration().ifPresent(d -> positive(at + ".duration", d, v));
      } else if (step instanceof RolloutStrategy.CanaryStep.Analyze a) {
        a.analysis().validate(at + ".analysis", v);
      }
    }
  }

  private static void positive(String path, java.time.Duration d, Violations v) {
    if (d.isNegative() || d.isZero()) {
      v.add(path, d, "must be > 0");
    }
  }

  private static void validateRollingUpdate(String path, RolloutStrategy.RollingUpdate ru, Violations v) {
    intOrPercent(path + ".maxSurge", ru.maxSurge(), v);
    intOrPercent(path + ".maxUnavailable", ru.maxUnavailable(), v);
    if (ru.maxSurge().value() == 0 && ru.maxUnavailable().value() == 0) {
      v.add(path + ".maxUnavailable", ru.maxUnavailable(), "must not be 0 when maxSurge is 0");
    }
    if (ru.minReady().isNegative()) {
      v.add(path + ".minReady", ru.minReady(), "must be >= 0");
    }
    if (ru.progressDeadline().compareTo(ru.minReady()) <= 0) {
      v.add(path + ".progressDeadline", ru.progressDeadline(), "must be > minReady (" + ru.minReady() + ")");
    }
  }

  private static void intOrPercent(String path, IntOrPercent value, Violations v) {
    if (value.percent()) {
      v.between(path, value.value(), 0, 100);
    } else {
      v.atLeast(path, value.value(), 0);
    }
  }

  /** Builds a {@link ServiceSpec}; not thread-safe. */
  public static final class Builder {
    private final @Nullable String name;
    private int replicas = 1;
    private @Nullable ContainerSpec container;
    private @Nullable Placement placement = Placement.ANYWHERE;
    private @Nullable Probes probes = Probes.NONE;
    private @Nullable RestartPolicy restartPolicy = RestartPolicy.ALWAYS;
    private @Nullable RolloutStrategy rollout = RolloutStrategy.rollingUpdate();
    private int priority;
    private final Map<String, String> labels = new LinkedHashMap<>();
    private @Nullable Stateful stateful;
    private final List<String> dependencies = new java.util.ArrayList<>();

    private Builder(@Nullable String name) {
      this.name = name;
    }

    /** Sets the desired replica count (default 1). */
    public Builder replicas(int replicas) {
      this.replicas = replicas;
      return this;
    }

    /** Sets the container template (required). */
    public Builder container(@Nullable ContainerSpec container) {
      this.container = container;
      return this;
    }

    /** Sets the placement (default: anywhere). */
    public Builder placement(@Nullable Placement placement) {
      this.placement = placement;
      return this;
    }

    /** Sets the probes (default: none). */
    public Builder probes(@Nullable Probes probes) {
      this.probes = probes;
      return this;
    }

    /** Sets the readiness probe. */
    public Builder readiness(Probe probe) {
      this.probes = probes.withReadiness(probe);
      return this;
    }

    /** Sets the liveness probe. */
    public Builder liveness(Probe probe) {
      this.probes = probes.withLiveness(probe);
      return this;
    }

    /** Sets the startup probe. */
    public Builder startup(Probe probe) {
      this.probes = probes.withStartup(probe);
      return this;
    }

    /** Sets the restart policy (default {@link RestartPolicy#ALWAYS}). */
    public Builder restartPolicy(@Nullable RestartPolicy restartPolicy) {
      this.restartPolicy = restartPolicy;
      return this;
    }

    /** Sets the rollout strategy (default: a rolling update with 25% surge and unavailable). */
    public Builder rollout(@Nullable RolloutStrategy rollout) {
      this.rollout = rollout;
      return this;
    }

    /** Sets the scheduling priority (default 0). */
    public Builder priority(int priority) {
      this.priority = priority;
      return this;
    }

    /** Makes the service stateful (stable identities, ordered start, volumes per replica); null: not stateful. */
    public Builder stateful(@Nullable Stateful stateful) {
      this.stateful = stateful;
      return this;
    }

    /**
     * Names services this one calls (added to those named before). Each replica gets, for each of them, its
     * name as {@code <NAME>_HOST} and its first port as {@code <NAME>_PORT} in its environment
     * ({@link ServiceSpec#envPrefix}; the port once that service is applied), for software configured by its
     * environment; where networks allow, the name resolves to that service's ready replicas (Orch's discovery).
     * The status says when a dependency has no route from a replica. Policy, not this list, decides what may
     * connect.
     */
    public Builder dependsOn(String... services) {
      dependencies.addAll(java.util.Arrays.asList(Objects.requireNonNull(services, "services")));
      return this;
    }

    /** Adds a label. */
    public Builder label(String key, String value) {
      labels.put(Objects.requireNonNull(key, "label key"), Objects.requireNonNull(value, "label value"));
      return this;
    }

    /**
     * Builds and checks the spec.
     *
     * @throws InvalidSpecException listing every violation, with paths rooted at the service name
     */
    public ServiceSpec build() {
      Violations v = new Violations();
      String root = name == null ? "service" : name;
      v.notNull(root + ".name", name);
      v.notNull(root + ".container", container);
      v.notNull(root + ".placement", placement);
      v.notNull(root + ".probes", probes);
      v.notNull(root + ".restartPolicy", restartPolicy);
      v.notNull(root + ".rollout", rollout);
      if (name == null || container == null || placement == null || probes == null || restartPolicy == null
          || rollout == null) {
        if (name != null) {
          v.dnsLabel(root + ".name", name);
        }
        v.atLeast(root + ".replicas", replicas, 0);
        v.throwIfAny();
      }
      ServiceSpec spec = new ServiceSpec(name, replicas, container, placement, probes, restartPolicy, rollout,
          priority, labels, Optional.ofNullable(stateful), dependencies);
      spec.validate(v);
      v.throwIfAny();
      return spec;
    }
  }
}
