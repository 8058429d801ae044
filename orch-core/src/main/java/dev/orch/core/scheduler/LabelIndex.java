package dev.orch.core.scheduler;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The values of one node label key, interned to small ints, and each node's value id (-1 when the node lacks
 * the key), so that selectors and spread read an int per node instead of looking up a map. Not thread-safe.
 */
final class LabelIndex {
  final String key;
  private final Map<String, Integer> ids = new HashMap<>();
  private final List<String> values = new ArrayList<>();
  int[] byNode;

  LabelIndex(String key, int capacity) {
    this.key = key;
    this.byNode = new int[capacity];
    Arrays.fill(byNode, -1);
  }

  /** The id of {@code value}, or -1 when no node ever carried it. */
  int idOf(String value) {
    Integer id = ids.get(value);
    return id == null ? -1 : id;
  }

  String valueOf(int id) {
    return values.get(id);
  }

  int valueCount() {
    return values.size();
  }

  void set(int node, String value) {
    if (value == null) {
      byNode[node] = -1;
      return;
    }
    Integer id = ids.get(value);
    if (id == null) {
      id = values.size();
      values.add(value);
      ids.put(value, id);
    }
    byNode[node] = id;
  }

  void grow(int capacity) {
    int old = byNode.length;
    byNode = Arrays.copyOf(byNode, capacity);
    Arrays.fill(byNode, old, capacity, -1);
  }
}
