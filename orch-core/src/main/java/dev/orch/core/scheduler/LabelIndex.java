package dev.orch.core.scheduler;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * The values of one node label key, interned to small ints, and each node's value id (-1 when the node lacks
 * the key), so that selectors and spread read an int per node instead of looking up a map. Not thread-safe.
 */
final class LabelIndex {
  final String key;
  private final Map<String, Integer> ids = new HashMap<>();
  private final List<String> values = new ArrayList<>();
  int[] byNode;
  /** The nodes of each value (domain), in no particular order: {@code members[id][0..sizes[id])}. */
  int[][] members = new int[0][];
  int[] sizes = new int[0];
  private int[] posInMembers;

  LabelIndex(String key, int capacity) {
    this.key = key;
    this.byNode = new int[capacity];
    this.posInMembers = new int[capacity];
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

  /** Sets the node's value; null when the node lacks the key (or is removed). */
  void set(int node, @Nullable String value) {
    int old = byNode[node];
    if (old >= 0) {
      int last = members[old][--sizes[old]];
      members[old][posInMembers[node]] = last;
      posInMembers[last] = posInMembers[node];
    }
    if (value == null) {
      byNode[node] = -1;
      return;
    }
    Integer id = ids.get(value);
    if (id == null) {
      id = values.size();
      values.add(value);
      ids.put(value, id);
      members = Arrays.copyOf(members, id + 1);
      members[id] = new int[4];
      sizes = Arrays.copyOf(sizes, id + 1);
    }
    byNode[node] = id;
    if (sizes[id] == members[id].length) {
      members[id] = Arrays.copyOf(members[id], sizes[id] * 2);
    }
    posInMembers[node] = sizes[id];
    members[id][sizes[id]++] = node;
  }

  void grow(int capacity) {
    int old = byNode.length;
    byNode = Arrays.copyOf(byNode, capacity);
    posInMembers = Arrays.copyOf(posInMembers, capacity);
    Arrays.fill(byNode, old, capacity, -1);
  }
}
