package dev.orch.inmemory;

import dev.orch.api.runtime.OrchLabels;
import dev.orch.api.spec.ContainerSpec;
import dev.orch.api.spec.VolumeMount;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * Files on node-local volumes, as a container sees them through its mounts. Stateless; the nodes and
 * containers it is given are guarded by the cluster's lock, which callers hold.
 */
final class VolumeFiles {
  private VolumeFiles() {
  }

  /** Creates on {@code node} the volumes {@code spec} mounts that do not exist, labelled with the owner. */
  static void createMounted(SimNode node, ContainerSpec spec, Map<String, String> containerLabels) {
    for (VolumeMount m : spec.volumeMounts()) {
      if (!node.volumes.containsKey(m.volume())) {
        Map<String, String> labels = new HashMap<>();
        String owner = containerLabels.get(OrchLabels.OWNER);
        if (owner != null) {
          labels.put(OrchLabels.OWNER, owner);
        }
        node.volumes.put(m.volume(), new SimVolume(m.volume(), node.id(), labels));
      }
    }
  }

  /** Reads the file at absolute {@code path} in container {@code c}; empty if absent or under no mount. */
  static Optional<String> read(SimNode node, SimContainer c, String path) {
    for (VolumeMount m : c.spec.volumeMounts()) {
      String rel = under(m.mountPath(), path);
      if (rel != null) {
        SimVolume v = node.volumes.get(m.volume());
        return v == null ? Optional.empty() : Optional.ofNullable(v.files.get(rel));
      }
    }
    return Optional.empty();
  }

  /**
   * Writes the file at absolute {@code path} in container {@code c}.
   *
   * @throws IllegalArgumentException if the path is under no mount, or under a read-only one
   */
  static void write(SimNode node, SimContainer c, String path, String content) {
    Objects.requireNonNull(content, "content");
    for (VolumeMount m : c.spec.volumeMounts()) {
      String rel = under(m.mountPath(), path);
      if (rel != null) {
        if (m.readOnly()) {
          throw new IllegalArgumentException("path: \"" + path + "\": volume " + m.volume() + " is mounted "
              + "read-only at " + m.mountPath());
        }
        node.volumes.computeIfAbsent(m.volume(), k -> new SimVolume(k, node.id(), Map.of())).files.put(rel, content);
        return;
      }
    }
    throw new IllegalArgumentException("path: \"" + path + "\": is under no volume mount of " + c.describe()
        + "; only volumes hold files in the in-memory runtime");
  }

  /**
   * A path relative to a volume's root, from one that may start with {@code /}.
   *
   * @throws IllegalArgumentException if it names no file
   */
  static String relative(String path) {
    String p = path;
    while (p.startsWith("/")) {
      p = p.substring(1);
    }
    if (p.isEmpty()) {
      throw new IllegalArgumentException("path: \"" + path + "\": must name a file");
    }
    return p;
  }

  /** The path relative to {@code mountPath}, or null when {@code path} is not a file under it. */
  private static @Nullable String under(String mountPath, String path) {
    String root = mountPath.endsWith("/") ? mountPath : mountPath + "/";
    if (!path.startsWith(root) || path.length() == root.length()) {
      return null;
    }
    return path.substring(root.length());
  }
}
