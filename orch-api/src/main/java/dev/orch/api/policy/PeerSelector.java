package dev.orch.api.policy;

import dev.orch.api.runtime.LabelSelector;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

/**
 * Selects services by name, by a {@link LabelSelector} over their labels, or both: a service is selected when its
 * name is among {@code services} <em>or</em> its labels satisfy {@code labels}.
 *
 * <p>{@link #all()} (the empty label selector) selects every service, as Kubernetes' {@code podSelector: {}} does.
 * A selector with no names and no label selector selects nothing, and a policy refuses it wherever it appears (a
 * policy must select something; a rule that should allow any peer lists no peers at all). Immutable and
 * thread-safe.
 *
 * @param services service names, in the order given, without repeats
 * @param labels   a label selector over service labels, if any
 */
public record PeerSelector(Set<String> services, Optional<LabelSelector> labels) {

  /** Creates a selector, copying the names. */
  public PeerSelector {
    Objects.requireNonNull(services, "services");
    Objects.requireNonNull(labels, "labels");
    LinkedHashSet<String> copy = new LinkedHashSet<>();
    for (String s : services) {
      copy.add(Objects.requireNonNull(s, "services element"));
    }
    services = Collections.unmodifiableSet(copy);
  }

  /** Selects the services named {@code first} and {@code more}. */
  public static PeerSelector services(String first, String... more) {
    Objects.requireNonNull(first, "first");
    Objects.requireNonNull(more, "more");
    List<String> names = new ArrayList<>(1 + more.length);
    names.add(first);
    names.addAll(List.of(more));
    return new PeerSelector(new LinkedHashSet<>(names), Optional.empty());
  }

  /** Selects the services whose labels satisfy {@code selector}. */
  public static PeerSelector labels(LabelSelector selector) {
    Objects.requireNonNull(selector, "selector");
    return new PeerSelector(Set.of(), Optional.of(selector));
  }

  /** Selects the services labelled {@code key=value}. */
  public static PeerSelector labels(String key, String value) {
    return labels(LabelSelector.of(key, value));
  }

  /** Selects every service. */
  public static PeerSelector all() {
    return labels(LabelSelector.ALL);
  }

  /** This selector, also selecting the services named {@code names}. */
  public PeerSelector orServices(String... names) {
    Objects.requireNonNull(names, "names");
    LinkedHashSet<String> more = new LinkedHashSet<>(services);
    for (String n : names) {
      more.add(Objects.requireNonNull(n, "names element"));
    }
    return new PeerSelector(more, labels);
  }

  /** This selector, also selecting the services {@code selector} matches (replacing any label selector). */
  public PeerSelector orLabels(LabelSelector selector) {
    Objects.requireNonNull(selector, "selector");
    return new PeerSelector(services, Optional.of(selector));
  }

  /** Whether this selects nothing at all (no names, no label selector). */
  public boolean isEmpty() {
    return services.isEmpty() && labels.isEmpty();
  }

  /** Whether this selects the service {@code name} carrying {@code serviceLabels}. */
  public boolean matches(String name, Map<String, String> serviceLabels) {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(serviceLabels, "serviceLabels");
    return services.contains(name) || labels.map(l -> l.matches(serviceLabels)).orElse(false);
  }

  void validate(String path, PolicyViolations v) {
    if (isEmpty()) {
      v.add(path, this, "must select something: service names, a label selector, or both");
      return;
    }
    int i = 0;
    for (String s : services) {
      v.dnsLabel(path + ".services[" + i++ + "]", s);
    }
    labels.ifPresent(l -> v.labelSelector(path + ".labels", l));
  }

  /** Reads {@code services [orders, billing] or labels {team=shop}}, {@code all services} or {@code nothing}. */
  @Override
  public String toString() {
    String names = services.isEmpty() ? "" : "services " + services;
    String selector = labels.map(l -> l.matchLabels().isEmpty() ? "all services"
        : "labels " + new TreeMap<>(l.matchLabels())).orElse("");
    if (names.isEmpty()) {
      return selector.isEmpty() ? "nothing" : selector;
    }
    return selector.isEmpty() ? names : names + " or " + selector;
  }
}
