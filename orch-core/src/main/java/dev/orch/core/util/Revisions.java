package dev.orch.core.util;

import dev.orch.api.spec.ContainerSpec;
import dev.orch.api.spec.ServiceSpec;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Objects;
import java.util.TreeMap;

/** Stable hashes that identify a service's template revision and whole spec across JVM runs. */
public final class Revisions {
  private Revisions() {
  }

  /**
   * The revision of {@code spec}: a hash of its container template and probes (and a stateful service's
   * volume templates). A change of replica count, placement or labels alone keeps the revision.
   */
  public static String revision(ServiceSpec spec) {
    Objects.requireNonNull(spec, "spec");
    return sha(template(spec));
  }

  /** A hash of the whole spec. */
  public static String specHash(ServiceSpec spec) {
    Objects.requireNonNull(spec, "spec");
    return sha(template(spec) + "|" + spec.replicas() + "|" + spec.placement() + "|" + spec.restartPolicy()
        + "|" + spec.rollout() + "|" + spec.priority() + "|" + new TreeMap<>(spec.labels())
        + spec.stateful().map(st -> "|" + st).orElse("")
        + (spec.dependencies().isEmpty() ? "" : "|" + spec.dependencies()));
  }

  /** The template in a canonical form: maps sorted, so equal specs hash equal whatever their insertion order. */
  private static String template(ServiceSpec spec) {
    ContainerSpec c = spec.container();
    String t = String.join("|", c.image(), c.command().toString(), c.args().toString(),
        new TreeMap<>(c.env()).toString(), c.ports().toString(), c.resources().toString(), c.volumeMounts().toString(),
        spec.probes().toString()) + (c.logLimits() == null ? "" : "|" + c.logLimits()); // unset: as before
    // A stateful service's volume templates are part of what its replicas are made from: a changed template
    // reaches each replica at its next replacement, as a new revision does.
    return spec.stateful().filter(st -> !st.volumes().isEmpty()).map(st -> t + "|" + st.volumes()).orElse(t);
  }

  private static String sha(String text) {
    try {
      byte[] d = MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(d, 0, 5);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is missing from this JVM", e);
    }
  }
}
