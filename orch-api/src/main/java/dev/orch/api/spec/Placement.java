package dev.orch.api.spec;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * Where a service's replicas may go: a node selector (labels a node must have), topology spread,
 * replica anti-affinity and tolerations of node taints. Immutable and thread-safe.
 *
 * @param nodeSelector labels a node must carry, with equal values
 * @param spread       spread constraints, at most one per topology key
 * @param antiAffinity whether replicas may share a node
 * @param tolerations  taints the replicas tolerate
 */
public record Placement(Map<String, String> nodeSelector, List<TopologySpread> spread,
                        AntiAffinity antiAffinity, List<Toleration> tolerations) {
  /** Any node, no spread, no anti-affinity, no tolerations. */
  public static final Placement ANYWHERE = new Placement(Map.of(), List.of(), AntiAffinity.NONE, List.of());

  /** Creates a placement, copying every collection. */
  public Placement {
    Objects.requireNonNull(nodeSelector, "nodeSelector");
    Objects.requireNonNull(spread, "spread");
    Objects.requireNonNull(tolerations, "tolerations");
    nodeSelector = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(nodeSelector));
    spread = List.copyOf(spread);
    Objects.requireNonNull(antiAffinity, "antiAffinity");
    tolerations = List.copyOf(tolerations);
  }

  /** Starts a builder. */
  public static Builder builder() {
    return new Builder();
  }

  /** Every violation of this placement alone, with paths under {@code placement}; empty when valid. */
  public List<Violation> validate() {
    Violations v = new Violations();
    validate("placement", v);
    return v.list();
  }

  void validate(String path, Violations v) {
    v.labels(path + ".nodeSelector", nodeSelector);
    Set<String> keys = new HashSet<>();
    for (int i = 0; i < spread.size(); i++) {
      TopologySpread s = spread.get(i);
      String sp = path + ".spread[" + i + "]";
      v.notBlank(sp + ".topologyKey", s.topologyKey());
      v.atLeast(sp + ".maxSkew", s.maxSkew(), 1);
      if (!keys.add(s.topologyKey())) {
        v.add(sp + ".topologyKey", Violations.quoted(s.topologyKey()), "must be unique among spreads");
      }
    }
    for (int i = 0; i < tolerations.size(); i++) {
      Toleration t = tolerations.get(i);
      if (t.key().isEmpty() && !t.exists()) {
        v.add(path + ".tolerations[" + i + "].key", "\"\"", "must not be empty unless exists is set");
      }
    }
  }

  /** Builds a {@link Placement}; not thread-safe. */
  public static final class Builder {
    private final Map<String, String> nodeSelector = new LinkedHashMap<>();
    private final List<TopologySpread> spread = new ArrayList<>();
    private AntiAffinity antiAffinity = AntiAffinity.NONE;
    private final List<Toleration> tolerations = new ArrayList<>();

    private Builder() {
    }

    /** Requires nodes labelled {@code key=value}. */
    public Builder nodeSelector(String key, String value) {
      nodeSelector.put(Objects.requireNonNull(key, "key"), Objects.requireNonNull(value, "value"));
      return this;
    }

    /** Adds a spread constraint. */
    public Builder spread(TopologySpread spread) {
      this.spread.add(Objects.requireNonNull(spread, "spread"));
      return this;
    }

    /** Sets replica anti-affinity. */
    public Builder antiAffinity(AntiAffinity antiAffinity) {
      this.antiAffinity = Objects.requireNonNull(antiAffinity, "antiAffinity");
      return this;
    }

    /** Adds a toleration. */
    public Builder tolerate(Toleration toleration) {
      tolerations.add(Objects.requireNonNull(toleration, "toleration"));
      return this;
    }

    /**
     * Builds the placement. Its rules are checked with the spec that uses it (when the {@code ServiceSpec} is
     * built or applied), so that every violation is reported at once under its path from the service;
     * {@link Placement#validate()} checks it alone.
     */
    public Placement build() {
      return new Placement(nodeSelector, spread, antiAffinity, tolerations);
    }
  }
}
