package dev.orch.api.spec;

import java.util.Objects;

/**
 * Mounts a named volume into a container. The volume is created by Orch (and labelled as its own) on the
 * node the replica runs on; a replica whose volume is {@code nodeLocal} is placed back on the node that
 * holds its data. Immutable and thread-safe.
 *
 * @param volume    the volume's name, a DNS-1123 label; replicas get {@code <volume>-<ordinal>}
 * @param mountPath an absolute path inside the container
 * @param readOnly  whether the container may write to it
 * @param nodeLocal whether the data lives on one node, so the replica must return there
 */
public record VolumeMount(String volume, String mountPath, boolean readOnly, boolean nodeLocal) {
  /** Creates a mount; volume and path are required. */
  public VolumeMount {
    Objects.requireNonNull(volume, "volume");
    Objects.requireNonNull(mountPath, "mountPath");
  }

  /** A writable, node-local volume mounted at {@code mountPath}. */
  public static VolumeMount of(String volume, String mountPath) {
    return new VolumeMount(volume, mountPath, false, true);
  }

  void validate(String path, Violations v) {
    v.dnsLabel(path + ".volume", volume);
    if (!mountPath.startsWith("/")) {
      v.add(path + ".mountPath", Violations.quoted(mountPath), "must be an absolute path");
    }
  }
}
