package dev.orch.inmemory;

import dev.orch.api.runtime.VolumeInfo;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.TreeMap;

/** A node-local named volume: its labels and its files (path relative to the volume root -> content). */
final class SimVolume {
  final String name;
  final String nodeId;
  final Map<String, String> labels;
  final Map<String, String> files = new TreeMap<>();

  SimVolume(String name, String nodeId, Map<String, String> labels) {
    this.name = name;
    this.nodeId = nodeId;
    this.labels = Map.copyOf(labels);
  }

  VolumeInfo info() {
    long size = 0;
    for (String content : files.values()) {
      size += content.getBytes(StandardCharsets.UTF_8).length;
    }
    return new VolumeInfo(name, nodeId, labels, size);
  }
}
