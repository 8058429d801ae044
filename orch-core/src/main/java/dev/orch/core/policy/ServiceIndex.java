package dev.orch.core.policy;

import dev.orch.api.policy.PeerSelector;
import dev.orch.api.runtime.LabelSelector;
import dev.orch.api.spec.PortSpec;
import dev.orch.api.spec.Protocol;
import java.util.BitSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The services an evaluator knows, numbered 0..n-1, with an index from each label to the services carrying it and,
 * per service, its named ports resolved to numbers. Immutable once built; the bit sets it returns are new.
 */
final class ServiceIndex {
  private final List<PolicySubject> subjects;
  private final Map<String, Integer> ids;
  private final Ports[] ports;
  private final Map<String, Map<String, BitSet>> byLabel;

  ServiceIndex(List<PolicySubject> subjects) {
    this.subjects = List.copyOf(subjects);
    this.ids = new HashMap<>(subjects.size() * 2);
    this.ports = new Ports[subjects.size()];
    this.byLabel = new HashMap<>();
    for (int id = 0; id < subjects.size(); id++) {
      PolicySubject s = subjects.get(id);
      if (ids.put(s.name(), id) != null) {
        throw new IllegalArgumentException("service " + s.name() + " is given twice");
      }
      ports[id] = new Ports(s.ports());
      for (Map.Entry<String, String> e : s.labels().entrySet()) {
        byLabel.computeIfAbsent(e.getKey(), k -> new HashMap<>())
            .computeIfAbsent(e.getValue(), v -> new BitSet()).set(id);
      }
    }
  }

  List<PolicySubject> subjects() {
    return subjects;
  }

  int size() {
    return subjects.size();
  }

  /** The service's number, or -1 when it is not known. */
  int id(String name) {
    Integer id = ids.get(name);
    return id == null ? -1 : id;
  }

  /** The ports of service {@code id}; none for -1 (an unknown service declares no port). */
  Ports ports(int id) {
    return id < 0 ? Ports.NONE : ports[id];
  }

  /** The known services {@code selector} selects, as a new bit set. */
  BitSet select(PeerSelector selector) {
    BitSet selected = new BitSet(subjects.size());
    for (String name : selector.services()) {
      int id = id(name);
      if (id >= 0) {
        selected.set(id);
      }
    }
    selector.labels().ifPresent(l -> selected.or(matching(l)));
    return selected;
  }

  private BitSet matching(LabelSelector selector) {
    if (selector.matchLabels().isEmpty()) {
      BitSet all = new BitSet(subjects.size());
      all.set(0, subjects.size());
      return all;
    }
    BitSet match = null;
    for (Map.Entry<String, String> e : selector.matchLabels().entrySet()) {
      BitSet carrying = Optional.ofNullable(byLabel.get(e.getKey())).map(m -> m.get(e.getValue())).orElse(null);
      if (carrying == null) {
        return new BitSet();
      }
      if (match == null) {
        match = (BitSet) carrying.clone();
      } else {
        match.and(carrying);
      }
    }
    return match == null ? new BitSet() : match;
  }

  /** Whether {@code selector} selects a service that has no labels (its label selector is empty: all services). */
  static boolean selectsUnlabelled(PeerSelector selector) {
    return selector.labels().map(l -> l.matchLabels().isEmpty()).orElse(false);
  }

  /** A service's container ports as (number, protocol) keys with their names; scanned linearly, being few. */
  static final class Ports {
    static final Ports NONE = new Ports(List.of());

    private final int[] keys;
    private final String[] names;

    Ports(List<PortSpec> specs) {
      keys = new int[specs.size()];
      names = new String[specs.size()];
      for (int i = 0; i < keys.length; i++) {
        keys[i] = key(specs.get(i).containerPort(), specs.get(i).protocol().ordinal());
        names[i] = specs.get(i).name();
      }
    }

    static int key(int port, int protocol) {
      return port << 1 | protocol;
    }

    /** Whether the service declares {@code port} with {@code protocol} (an ordinal of {@link Protocol}). */
    boolean declares(int port, int protocol) {
      int key = key(port, protocol);
      for (int k : keys) {
        if (k == key) {
          return true;
        }
      }
      return false;
    }

    /** Whether the service's port {@code name} is {@code port} with {@code protocol}. */
    boolean resolves(String name, int port, int protocol) {
      int key = key(port, protocol);
      for (int i = 0; i < keys.length; i++) {
        if (keys[i] == key && names[i].equals(name)) {
          return true;
        }
      }
      return false;
    }
  }
}
